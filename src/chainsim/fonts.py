"""The project's CJK font, for matplotlib figures and the dashboard page.

Figures and the page label things in English and Chinese (:mod:`chainsim.vocabulary`);
Chinese needs a font with its glyphs, and classroom machines and cluster nodes often have
none. So set-up installs one from PyPI, with the ``fonts`` extra that every figure- or
page-drawing extra (``report``, ``analysis``, ``dashboard``) pulls in: Noto Sans SC
Regular (Google/Adobe, SIL Open Font License 1.1, ≈ 8 MB OTF) as shipped by the wheel
``pylopdf-fonts-zh-cn``. Nothing is downloaded at run time.

:func:`use_cjk` registers that font with matplotlib as a per-glyph fallback behind
DejaVu Sans; a system CJK font (WenQuanYi, Noto CJK, …) is the fallback when the extra is
not installed, and without either, callers label figures in English only. The dashboard
serves the same file from its offline asset cache (:mod:`chainsim.dashboard.assets`).
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path
from typing import Any

#: the wheel (extra "fonts") and the file in it: Noto Sans SC 2.004, OFL-1.1
FONT_PACKAGE = "pylopdf_fonts_zh_cn"
FONT_FILE = "NotoSansSC-Regular.otf"
FONT_FAMILY = "Noto Sans SC"  # its name table's family, what matplotlib and browsers call it
CJK_FILES = ("wqy", "notosanscjk", "notoserifcjk", "notosanssc", "simhei", "msyh", "pingfang")


def project_font() -> Path | None:
    """The project's CJK font file, or None if the ``fonts`` extra is not installed.

    Located without importing the package (only its directory is needed)."""
    try:
        spec = find_spec(FONT_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / FONT_FILE
    return path if path.is_file() else None


def _register(path: str | Path) -> str | None:
    """Add a font file to matplotlib's font manager; its family name, or None if unreadable."""
    from matplotlib import font_manager as fm

    try:
        fm.fontManager.addfont(path)
        return str(fm.FontProperties(fname=path).get_name())
    except (OSError, RuntimeError, ValueError):
        return None


def cjk_fonts() -> list[str]:
    """Names of CJK-capable fonts registered with matplotlib: the project's font first,
    then system ones (matplotlib's font cache may predate them)."""
    from matplotlib import font_manager as fm

    names = []
    own = project_font()
    if own is not None:
        names.append(_register(own))
    find: Any = fm.findSystemFonts  # its stubs know only "ttf" and "afm"
    # .ttc collections (WenQuanYi, Noto CJK) are not in the ttf list
    for path in sorted({*find(fontext="ttf"), *find(fontext="ttc")}):
        if any(k in Path(path).name.lower() for k in CJK_FILES):
            names.append(_register(path))
    return list(dict.fromkeys(n for n in names if n))


def use_cjk(**rc: Any) -> str | None:
    """Set matplotlib (Agg) to DejaVu Sans with a CJK fallback, plus ``rc``; the CJK font's
    name, or None if there is none."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cjk = cjk_fonts()
    params: Any = plt.rcParams
    params.update({"font.family": ["DejaVu Sans", *cjk], **rc})  # per-glyph fallback (matplotlib ≥ 3.6)
    return cjk[0] if cjk else None

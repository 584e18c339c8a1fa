"""A CJK font for matplotlib figures (the report's and the sweep analysis's).

Figures label things in English and Chinese (:mod:`chainsim.vocabulary`); Chinese needs
a font with its glyphs: WenQuanYi or Noto CJK (Debian's fonts-wqy-microhei or
fonts-noto-cjk). :func:`use_cjk` registers one with matplotlib as a per-glyph fallback
behind DejaVu Sans; without one, callers label figures in English only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CJK_FILES = ("wqy", "notosanscjk", "notoserifcjk", "simhei", "msyh", "pingfang")


def cjk_fonts() -> list[str]:
    """Names of CJK-capable fonts, registered with matplotlib (its cache may predate them)."""
    from matplotlib import font_manager as fm

    find: Any = fm.findSystemFonts  # its stubs know only "ttf" and "afm"
    names = []  # .ttc collections (WenQuanYi, Noto CJK) are not in the ttf list
    for path in {*find(fontext="ttf"), *find(fontext="ttc")}:
        if any(k in Path(path).name.lower() for k in CJK_FILES):
            try:
                fm.fontManager.addfont(path)
                names.append(fm.FontProperties(fname=path).get_name())
            except (OSError, RuntimeError):
                continue
    return list(dict.fromkeys(names))


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

"""The page's Chinese font, served from the offline asset cache.

The page labels everything in English or Chinese; a classroom machine often has no CJK
font, and then every Chinese label is a row of boxes. The project's font (Noto Sans SC,
SIL OFL, from the ``fonts`` extra: :mod:`chainsim.fonts`) is copied into Solara's asset
cache next to the npm packages (:func:`ensure_font`, called by
:func:`chainsim.dashboard.assets.ensure_assets`), so the server answers
``/_solara/cdn/<KEY>/NotoSansSC-Regular.otf`` itself, and :func:`css` declares it:

the family ``Noto Sans SC`` (:data:`FAMILY`), which the charts name first and which
follows Roboto wherever Vuetify sets ``Roboto, sans-serif`` (:data:`VUETIFY_ROBOTO`), so
Latin text keeps Roboto and Chinese comes from this font.

Nothing is downloaded: the file comes from the installed wheel.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from importlib import metadata
from pathlib import Path

from chainsim.fonts import FONT_FAMILY, FONT_FILE, project_font

FAMILY = FONT_FAMILY
DIST = "pylopdf-fonts-zh-cn"  # the wheel of the ``fonts`` extra
# Where Vuetify (solara-vuetify3-app 5.2.0, main8.css) sets ``font-family: Roboto, sans-serif``:
# the root and its typography classes (text-h1, text-md-body-2, …). Roboto has no Chinese,
# and the browser takes a missing glyph from the next family in the list, so this page's
# rules (later in the document, same specificity) put the project's font second.
VUETIFY_ROBOTO = ", ".join(
    [
        "html",
        ".v-application",
        *(f'[class*="text-{k}"]' for k in ("h", "subtitle", "body", "button", "caption", "overline")),
        ".v-kbd",
        ".v-badge__badge",
    ]
)


def font_key() -> str | None:
    """The font's folder in the asset cache (``noto-sans-sc-otf@<wheel version>``), or None
    without the ``fonts`` extra. An exact version: Solara marks such URLs immutable."""
    if project_font() is None:
        return None
    try:
        return f"noto-sans-sc-otf@{metadata.version(DIST)}"
    except metadata.PackageNotFoundError:  # pragma: no cover - found but not installed as a dist
        return "noto-sans-sc-otf@0"


def url_path() -> str | None:
    """The font's path below the page's ``_solara/cdn/``, or None without the extra."""
    key = font_key()
    return None if key is None else f"{key}/{FONT_FILE}"


def ensure_font(root: Path, *, log=print) -> Path | None:
    """Copy the project's font (and its licence) into the cache ``root`` unless present;
    the copied file, or None (with a note) when the ``fonts`` extra is not installed."""
    src, rel = project_font(), url_path()
    if src is None or rel is None:
        log(
            "[dashboard] no project CJK font (pip install 'chainsim[fonts]'): Chinese labels "
            "use the machine's fonts, if it has any"
        )
        return None
    target = root / rel
    if target.is_file() and target.stat().st_size == src.stat().st_size:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        dist = metadata.distribution(DIST)
        for f in dist.files or []:
            if f.name.startswith("LICENSE"):  # the SIL Open Font License travels with the font
                shutil.copyfile(Path(str(dist.locate_file(f))), target.parent / "LICENSE-OFL.txt")
    except metadata.PackageNotFoundError:  # pragma: no cover
        pass
    fd, tmp = tempfile.mkstemp(prefix=".font-", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from a server run by another user
        os.replace(tmp, target)  # a half-copied font never looks complete
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    log(f"[dashboard] Chinese font for the page: {target} ({target.stat().st_size / 2**20:.1f} MiB)")
    return target


def css() -> str:
    """``@font-face`` for the page and the font stacks that use it (empty without the
    ``fonts`` extra). The URL is relative to the page, so a server under a path prefix
    works too."""
    rel = url_path()
    if rel is None:
        return ""
    return f"""
@font-face {{ font-family: "{FAMILY}"; src: url("_solara/cdn/{rel}") format("opentype"); font-display: swap; }}
{VUETIFY_ROBOTO} {{ font-family: Roboto, "{FAMILY}", sans-serif; }}
"""

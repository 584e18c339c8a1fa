"""The dashboard in Chinese on a machine with no CJK font (issue 15, point 2).

Chromium runs with a fontconfig file of this test's own that lists one directory:
matplotlib's bundled fonts (DejaVu and friends: Latin, no Chinese). Whatever CJK fonts the
machine has are invisible to it, so every Chinese glyph on the page must come from the
project's web font (Noto Sans SC, served by the dashboard itself from its asset cache).
The browser's own font report (the DevTools call ``CSS.getPlatformFontsForNode``) is read
for every visible element holding Chinese text: the project's font must have drawn at
least as many glyphs as the element has Chinese characters. The control page blocks the
font file and must fail that check, so the check (and the hiding) is real.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chainsim.dashboard import webfont
from test_dashboard import (  # noqa: F401  (fixtures: the running dashboard)
    ARTIFACTS,
    CHROMIUM_FLAGS,
    _is_local,
    _open,
    dashboard,
)

# the elements showing Chinese, each marked for the DevTools calls, with its count of CJK characters
MARK_CJK = r"""() => {
  const cjk = /[\u2e80-\u2fdf\u3000-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]/g;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (['SCRIPT', 'STYLE', 'NOSCRIPT'].includes(el.tagName)) continue;
    let own = '';
    for (const n of el.childNodes) if (n.nodeType === 3) own += n.textContent;
    const m = own.match(cjk);
    if (!m || el.getClientRects().length === 0) continue;
    el.setAttribute('data-cjk-check', String(out.length));
    out.push({text: own.trim().slice(0, 40), n: m.length});
  }
  return out;
}"""


def _fontconfig(tmp: Path) -> Path:
    """A fontconfig file that shows Chromium matplotlib's bundled (Latin) fonts only."""
    import matplotlib

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    assert fonts.is_dir() and not any("cjk" in f.name.lower() for f in fonts.iterdir())
    conf = tmp / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"  <dir>{fonts}</dir>\n  <cachedir>{tmp / 'cache'}</cachedir>\n</fontconfig>\n"
    )
    return conf


def _untofu(page, cdp) -> tuple[int, list[str]]:
    """Elements with Chinese text, and those whose Chinese the project's font did not draw."""
    marked = page.evaluate(MARK_CJK)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]["nodeId"]
    ids = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": "[data-cjk-check]"})["nodeIds"]
    bad = []
    for nid in ids:
        attrs = cdp.send("DOM.getAttributes", {"nodeId": nid})["attributes"]
        item = marked[int(attrs[attrs.index("data-cjk-check") + 1])]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": nid})["fonts"]
        ours = sum(
            f["glyphCount"] for f in fonts if f["familyName"] == webfont.FAMILY and f.get("isCustomFont")
        )
        if ours < item["n"]:
            bad.append(f"{item['text']!r}: {[(f['familyName'], f['glyphCount']) for f in fonts]}")
    return len(ids), bad


def _chinese_page(context, url: str, requests: list[str]):
    page = _open(context, url, requests)
    page.get_by_role("button", name="中文").click()
    page.get_by_role("button", name="单步", exact=True).wait_for()
    page.wait_for_function(
        "document.querySelector('[data-view=\"signings\"] svg').textContent.includes('领导外出招商')"
    )
    page.evaluate("() => document.fonts.ready")
    page.wait_for_timeout(500)  # the charts redraw once the font has arrived
    page.evaluate("() => document.fonts.ready")
    return page


def test_font_goes_into_the_asset_cache_without_network(tmp_path):
    """The page's font is copied from the installed extra (with its licence), once."""
    notes: list[str] = []
    path = webfont.ensure_font(tmp_path, log=notes.append)
    assert path is not None and path == tmp_path / webfont.url_path()
    assert path.read_bytes()[:4] == b"OTTO"  # an OpenType (CFF) font
    assert "Open Font License" in (path.parent / "LICENSE-OFL.txt").read_text()
    assert len(notes) == 1 and webfont.ensure_font(tmp_path, log=notes.append) == path
    assert len(notes) == 1  # the second call found it complete and said nothing
    assert f'url("_solara/cdn/{webfont.url_path()}")' in webfont.css()


@pytest.mark.slow
def test_chinese_page_uses_the_project_font_without_system_fonts(dashboard, tmp_path):  # noqa: F811
    from playwright.sync_api import sync_playwright

    url, _, chromium = dashboard
    rel = webfont.url_path()
    assert rel is not None, "the 'fonts' extra is missing: pip install -e '.[fonts]' (./dev setup does)"
    env = {**os.environ, "FONTCONFIG_FILE": str(_fontconfig(tmp_path))}
    requests: list[str] = []
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS, env=env)
        context = b.new_context(viewport={"width": 1366, "height": 768}, device_scale_factor=1)
        context.route("**/*", lambda r: r.continue_() if _is_local(r.request.url) else r.abort())
        try:
            page = _chinese_page(context, url, requests)
            page.screenshot(path=str(ARTIFACTS / "zh_no_system_fonts.png"), full_page=True)
            checked, bad = _untofu(page, context.new_cdp_session(page))
            assert checked > 30, f"only {checked} elements with Chinese text on the Chinese page"
            assert not bad, (
                f"{len(bad)} of {checked} elements show Chinese not drawn by the project font:\n"
                + ("\n".join(bad[:15]))
            )
            assert any(r.endswith(rel) for r in requests), "the page did not load the project font"
            assert all(_is_local(r) for r in requests)
            page.close()

            # control: without the font file the same check fails (no system CJK font to hide behind)
            context.route(f"**/{rel}", lambda r: r.abort())
            page = _chinese_page(context, url, requests)
            checked, bad = _untofu(page, context.new_cdp_session(page))
            page.screenshot(path=str(ARTIFACTS / "zh_font_blocked.png"), full_page=True)
            assert len(bad) == checked > 30, f"blocked font, yet {checked - len(bad)} elements drew Chinese"
        finally:
            context.close()
            b.close()

"""The dashboard on the screens of real classrooms (issue 15, points 1 and 3).

The page is loaded in headless Chromium (offline: every request goes to 127.0.0.1) at
1024×768 (an older projector), 1366×768 (a laptop, most projectors) and 1920×1080, and
played to the end of the scenario with the ensemble view on; then, in English and in
Chinese, with the control column shown and hidden, the page's geometry is read from the
browser (:data:`GEOMETRY`) and must show:

- every control (buttons, switches, sliders, fields), every chart's title and every
  chart legend inside what its scroll container can show: not cut off at a side, not
  outside the window;
- no two pieces of text overlapping: every text fragment of the page, HTML text and the
  SVG text of the Vega charts (axis labels and titles, legends, the chain map's labels,
  at 1024×768 for every chain) alike; nor any text cut short (by the box it is in, an
  ellipsis, or a Vega label truncated with "…");
- the control toggle's icon drawn: an SVG with a box of its own and dark pixels on the
  title bar in the screenshot;
- the switches' state in words ("· on" / "· 开"), not by colour alone;
- in Chinese, every Chinese character on the page drawn by the project's own font: Chromium
  runs with the fonts test's fontconfig file (no system font but matplotlib's Latin ones),
  and the browser's font report (``CSS.getPlatformFontsForNode``) is read for every element
  with Chinese text at each size, after the run has filled every chart
  (:func:`test_dashboard_fonts._untofu`; that file's control proves the check can fail).

It also measures, at 1366×768 with the ensemble view on: Step + redraw (click → every
chart redrawn; the median of 15), Reset, and the Play speed at the default and the fastest
setting. They are reported, not judged (a shared 2-core machine is no stopwatch): printed
and written to ``timings.json``. Screenshots of every case go to the artifacts directory,
``$CHAINSIM_TEST_ARTIFACTS/dashboard/layout`` (default ``test-artifacts/dashboard/layout``
in the checkout; CI keeps ``test-artifacts/``). With ``CHAINSIM_DOC_SCREENSHOTS=1`` the
1366×768 page in both languages is also written to ``docs/img/`` for docs/teaching.md.

The checks were seen to fail on the page before this layout: the drawer covering the
charts at 1024×768, the quarter labels "22Q122Q2…" and the cut legends at 1366×768.
"""

from __future__ import annotations

import io
import json
import os
import re
import statistics
import time

import pytest

from test_dashboard import (  # noqa: F401  (fixtures: the running dashboard, the browser)
    ARTIFACTS,
    CHROMIUM_FLAGS,
    DOC_IMAGES,
    _assert_offline,
    _is_local,
    _open,
    _play_to_end,
    _reset,
    _set_slider,
    _step,
    _wait_week,
    _week,
    dashboard,
    doc_png,
)
from test_dashboard_fonts import _fontconfig, _untofu

VIEWPORTS = [(1024, 768), (1366, 768), (1920, 1080)]
LAYOUT = ARTIFACTS / "layout"
ON_OFF = re.compile(r" · (on|off|开|关)$")

# Reads the page's geometry. Rectangles are the browser's (CSS pixels, window coordinates).
# A "clip" ancestor is one whose overflow is not visible (an SVG root clips too); a scroll
# container is a clip ancestor that scrolls. Something is reachable when it lies inside
# every clip ancestor: inside a plain one's box, inside a scroll container's scrollable
# area (across its width, and down to its scroll height). Text overlaps are compared within
# one scroll container as laid out, and across containers as far as each is visible.
GEOMETRY = r"""() => {
  const EPS = 1;
  const visible = el => el.checkVisibility({opacityProperty: true, visibilityProperty: true});
  const R = r => ({x0: r.left, y0: r.top, x1: r.right, y1: r.bottom});
  const inter = (a, b) => ({x0: Math.max(a.x0, b.x0), y0: Math.max(a.y0, b.y0),
                            x1: Math.min(a.x1, b.x1), y1: Math.min(a.y1, b.y1)});
  const empty = r => r.x1 - r.x0 <= 0 || r.y1 - r.y0 <= 0;
  const view = {x0: 0, y0: 0, x1: innerWidth, y1: innerHeight};
  const scrolls = el => {
    const s = getComputedStyle(el);
    return ['auto', 'scroll'].includes(s.overflowY) || ['auto', 'scroll'].includes(s.overflowX);
  };
  const clipping = el => {
    if (el instanceof SVGSVGElement) return true;
    const s = getComputedStyle(el);
    return s.overflowX !== 'visible' || s.overflowY !== 'visible';
  };
  const clips = el => {  // clip ancestors, innermost first
    const out = [];
    for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      if (a === document.body) continue;  // the page itself does not scroll
      if (clipping(a)) out.push(a);
    }
    return out;
  };
  const name = el => {
    const t = (el.getAttribute('aria-label') || el.textContent || '').trim().replace(/\s+/g, ' ');
    const cls = (el.getAttribute('class') || '').split(' ').filter(c => c).slice(0, 3).join('.');
    return `${el.tagName.toLowerCase()}.${cls} "${t.slice(0, 50)}"`;
  };
  // where a box may be: the window, and each clip ancestor's box or scroll area
  const outside = el => {
    const r = R(el.getBoundingClientRect());
    const bad = [];
    if (r.x0 < view.x0 - EPS || r.x1 > view.x1 + EPS) bad.push('window (sideways)');
    for (const a of clips(el)) {
      const b = a.getBoundingClientRect();
      let room = R(b);
      if (scrolls(a) && !(a instanceof SVGSVGElement)) {
        room = {x0: b.left - a.scrollLeft, x1: b.left + a.clientWidth,
                y0: b.top - a.scrollTop, y1: b.top - a.scrollTop + a.scrollHeight};
        const frame = R(b);  // the scroll container itself must be in the window
        if (frame.x0 < -EPS || frame.x1 > view.x1 + EPS || frame.y0 < -EPS || frame.y1 > view.y1 + EPS)
          bad.push('its scroll container ' + name(a) + ' leaves the window');
      }
      if (r.x0 < room.x0 - EPS || r.x1 > room.x1 + EPS || r.y0 < room.y0 - EPS || r.y1 > room.y1 + EPS)
        bad.push(name(a) + ` [${Math.round(room.x0)},${Math.round(room.y0)},${Math.round(room.x1)},${Math.round(room.y1)}]`);
    }
    return bad.length ? `${name(el)} at [${[r.x0, r.y0, r.x1, r.y1].map(Math.round)}] outside ${bad.join('; ')}` : null;
  };
  const checks = {
    control: 'button, .v-btn, [role="slider"], [role="checkbox"], .v-switch, .v-select, .v-text-field, .v-slider',
    title: '.chainsim-card-title, .chainsim-title, .v-card-title',
    legend: '[data-view] svg g.role-legend',
  };
  const boxes = {}, problems = [];
  for (const [kind, sel] of Object.entries(checks)) {
    const els = [...document.querySelectorAll(sel)].filter(el => visible(el) && el.getClientRects().length);
    boxes[kind] = els.length;
    for (const el of els) { const p = outside(el); if (p) problems.push(kind + ': ' + p); }
  }
  // text: each fragment of HTML text (a line box of a text node), and each SVG <text>
  const items = [], cut = [];
  const frameOf = el => clips(el).find(a => scrolls(a) && !(a instanceof SVGSVGElement)) || null;
  const add = (el, text, rect) => {
    const cl = clips(el);
    const frame = frameOf(el);
    let laid = R(rect);  // clipped by the plain clip ancestors inside its scroll container
    for (const a of cl) { if (a === frame) break; laid = inter(laid, R(a.getBoundingClientRect())); }
    let seen = laid;  // and by the scroll containers, and the window
    for (const a of cl) if (scrolls(a) && !(a instanceof SVGSVGElement)) seen = inter(seen, R(a.getBoundingClientRect()));
    seen = inter(seen, view);
    const raw = R(rect);
    if (laid.x0 > raw.x0 + EPS || laid.x1 < raw.x1 - EPS || laid.y0 > raw.y0 + EPS || laid.y1 < raw.y1 - EPS)
      cut.push(`"${text.slice(0, 40)}" cut by its box` +
               ` (in ${name(el.closest('[data-view]') || el)} of` +
               ` "${(el.closest('.v-card')?.querySelector('.chainsim-card-title')?.textContent || '').trim()}":` +
               ` ${[raw.x0, raw.y0, raw.x1, raw.y1].map(Math.round)}` +
               ` shown ${[laid.x0, laid.y0, laid.x1, laid.y1].map(Math.round)})`);
    if (empty(laid)) return;
    items.push({el, text, frame, laid, seen});
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || el.closest('svg, script, style, noscript, title, textarea')) continue;
    if (!visible(el)) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    for (const r of range.getClientRects()) if (r.width > 0.5 && r.height > 0.5) add(el, n.textContent.trim(), r);
  }
  const truncated = cut;
  for (const el of document.querySelectorAll('[data-view] svg text')) {
    if (!el.textContent.trim() || !visible(el)) continue;
    if (el.textContent.trim().endsWith('…')) truncated.push(el.textContent.trim());
    add(el, el.textContent.trim(), el.getBoundingClientRect());
  }
  // an element that cuts its own text short (text-overflow: ellipsis in a box that hides overflow)
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg') || !visible(el)) continue;
    const own = [...el.childNodes].some(c => c.nodeType === 3 && c.textContent.trim());
    if (!own) continue;
    const s = getComputedStyle(el);
    if (s.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) truncated.push(name(el));
  }
  // overlaps: glyph boxes, shrunk a little (a font's line box is taller than its ink)
  const ink = r => { const dy = Math.min(2, (r.y1 - r.y0) * 0.15);
                     return {x0: r.x0 + 0.5, x1: r.x1 - 0.5, y0: r.y0 + dy, y1: r.y1 - dy}; };
  const overlaps = [];
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i], b = items[j];
      if (a.el === b.el) continue;  // lines of one text
      const same = a.frame === b.frame;
      const ra = ink(same ? a.laid : a.seen), rb = ink(same ? b.laid : b.seen);
      if (empty(ra) || empty(rb)) continue;
      const o = inter(ra, rb);
      if (!empty(o)) overlaps.push(`"${a.text.slice(0, 40)}" × "${b.text.slice(0, 40)}" ` +
                                   `(${Math.round(o.x1 - o.x0)}×${Math.round(o.y1 - o.y0)} px)`);
    }
  }
  return {boxes, problems, overlaps, truncated, texts: items.length,
          svgTexts: items.filter(i => i.el instanceof SVGElement).length};
}"""

TOGGLE_ICON = r"""() => {
  const btn = document.querySelector('.chainsim-toggle');
  const svg = btn && btn.querySelector('svg.chainsim-icon');
  if (!svg) return null;
  const r = svg.getBoundingClientRect(), b = btn.getBoundingClientRect();
  const drawn = [...svg.querySelectorAll('path, circle')].map(e => e.getBBox()).filter(x => x.width * x.height > 0);
  return {w: r.width, h: r.height, inButton: r.left >= b.left && r.right <= b.right && r.top >= b.top && r.bottom <= b.bottom,
          shapes: drawn.length, label: btn.textContent.trim(), expanded: btn.getAttribute('aria-expanded'),
          stroke: getComputedStyle(svg).stroke, colour: getComputedStyle(svg).color};
}"""


def _check(page, case: str) -> dict:
    """The page's geometry must be clean; a screenshot either way."""
    page.wait_for_timeout(400)  # charts of container width re-fit after a resize
    page.screenshot(path=str(LAYOUT / f"{case}.png"))
    g = page.evaluate(GEOMETRY)
    (LAYOUT / f"{case}.json").write_text(json.dumps(g, indent=1, ensure_ascii=False))
    assert g["boxes"]["control"] > 20 or "hidden" in case, (case, g["boxes"])
    assert g["boxes"]["title"] >= 9 and g["boxes"]["legend"] >= 6, (case, g["boxes"])
    assert g["svgTexts"] > 80, (case, g["svgTexts"])  # the charts' own text was looked at
    assert not g["problems"], f"{case}: cut off or out of reach:\n" + "\n".join(g["problems"][:20])
    assert not g["overlaps"], f"{case}: text overlapping:\n" + "\n".join(g["overlaps"][:20])
    assert not g["truncated"], f"{case}: text cut short: {g['truncated'][:20]}"
    return g


def _every_chain(page, case: str) -> None:
    """The chain map of every chain: its labels must not overlap either."""
    picker = page.locator(".chainsim-card-chain .v-select")
    picker.click()
    page.get_by_role("option").first.wait_for()  # the menu opens after the click: read it once drawn
    names = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    assert len(names) >= 10, names
    for name in names:
        picker.click()
        page.get_by_role("option", name=name, exact=True).click()
        page.wait_for_function(
            f"document.querySelector('.chainsim-card-chain .v-select').textContent.includes({name!r})"
        )
        page.wait_for_timeout(400)  # the new nodes drawn
        g = page.evaluate(GEOMETRY)
        bad = g["overlaps"] + g["truncated"] + g["problems"]
        if bad:
            page.locator(".chainsim-card-chain").screenshot(path=str(LAYOUT / f"{case}_chain_{name}.png"))
        assert not bad, f"{case}, chain map of {name}:\n" + "\n".join(bad[:10])


def _icon_drawn(page) -> None:
    """The toggle's icon: an SVG of its own size, in the button, with dark pixels on the bar."""
    from PIL import Image

    icon = page.evaluate(TOGGLE_ICON)
    assert icon is not None, "the control toggle has no SVG icon"
    assert icon["w"] >= 16 and icon["h"] >= 16 and icon["inButton"] and icon["shapes"] >= 3, icon
    png = page.locator(".chainsim-toggle svg.chainsim-icon").screenshot()
    grey = Image.open(io.BytesIO(png)).convert("L")
    hist = grey.histogram()
    # the bar is dark blue, the icon white (currentColor): count clearly light pixels
    light = sum(hist[200:])
    assert light >= 30, f"the toggle's icon left {light} light pixels on the bar (not drawn?) {icon}"


def _switch_states(page) -> None:
    names = [
        page.locator(".chainsim-switch").nth(i).inner_text().strip()
        for i in range(page.locator(".chainsim-switch").count())
    ]
    assert len(names) >= 7, names  # the ensemble view, three strategies, three reforms
    assert all(ON_OFF.search(n) for n in names), names


def _to_chinese(page) -> None:
    page.get_by_role("button", name="中文").click()
    page.get_by_role("button", name="单步", exact=True).wait_for()
    page.wait_for_function(
        "document.querySelector('[data-view=\"signings\"] svg').textContent.includes('领导外出招商')"
    )
    page.evaluate("() => document.fonts.ready")


def _toggle(page, to_open: bool) -> None:
    label = re.compile("^(Show controls|显示控制面板)$" if to_open else "^(Hide controls|隐藏控制面板)$")
    page.get_by_role("button", name=label).click()
    page.wait_for_function(
        f"document.querySelector('.chainsim-app').classList.contains('chainsim-side-{'open' if to_open else 'closed'}')"
    )


DRAWN = (
    "Math.max(window.__weekAt, ...[...document.querySelectorAll('[data-view]')].map(e => +e.dataset.drawnAt))"
)


def _timed_reset(page) -> float:
    """Click Reset; seconds until the status and every chart show week 0 again."""
    assert _week(page) > 0
    t0 = page.evaluate("performance.now()")
    page.get_by_role("button", name="Reset", exact=True).click()
    _wait_week(page, 0)
    return (page.evaluate(DRAWN) - t0) / 1000


def _play_rate(page, per_second: int, seconds: float = 6.0) -> float:
    """Steps a second while playing (from ▶ to ❚❚, the step under way included).

    Plays for at most half the weeks left at the nominal rate ``per_second``: a run that
    reaches its end disables ❚❚ (nothing left to pause) and the rate would be cut short."""
    left = int(page.locator(".chainsim-step").get_attribute("data-total")) - _week(page)
    seconds = min(seconds, left / 2 / per_second)
    before, t0 = _week(page), time.perf_counter()
    page.get_by_role("button", name="▶").click()
    page.wait_for_timeout(seconds * 1000)
    page.get_by_role("button", name="❚❚").click()
    elapsed = time.perf_counter() - t0
    page.get_by_role("button", name="▶").wait_for()
    page.wait_for_timeout(500)
    _wait_week(page, _week(page))
    return (_week(page) - before) / elapsed


def _measure(page) -> dict:
    """Step + redraw, Reset and Play at 1366×768, ensemble view on (reported, not judged)."""
    assert page.locator(".chainsim-spread-note").count() == 1  # the ensemble view is on
    steps, resets = [], []
    for _ in range(3):
        steps += [_step(page) for _ in range(5)]
        resets.append(_timed_reset(page))
    default = _play_rate(page, per_second=4)
    resets.append(_timed_reset(page))
    _set_slider(page, re.compile(r"^Play speed"), "End")
    fastest = _play_rate(page, per_second=20)
    resets.append(_timed_reset(page))
    return {
        "viewport": "1366x768",
        "ensemble_view": True,
        "runs": page.locator(".chainsim-spread-note").inner_text(),
        "step_and_redraw_ms": [round(t) for t in steps],
        "step_and_redraw_median_ms": round(statistics.median(steps)),
        "reset_s": [round(t, 2) for t in resets],
        "reset_median_s": round(statistics.median(resets), 2),
        "play_steps_per_s": {"default (4/s)": round(default, 1), "fastest (20/s)": round(fastest, 1)},
    }


@pytest.mark.slow
def test_layout_at_classroom_screen_sizes(dashboard, tmp_path):  # noqa: F811
    from playwright.sync_api import sync_playwright

    url, log, chromium = dashboard
    LAYOUT.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    timings = {}
    glyphs = {}
    only_our_fonts = {**os.environ, "FONTCONFIG_FILE": str(_fontconfig(tmp_path))}
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS, env=only_our_fonts)
        try:
            for w, h in VIEWPORTS:
                context = b.new_context(viewport={"width": w, "height": h}, device_scale_factor=1)
                context.route("**/*", lambda r: r.continue_() if _is_local(r.request.url) else r.abort())
                page = _open(context, url, requests)
                if (w, h) == (1366, 768):
                    timings = _measure(page)
                _play_to_end(page)  # full charts: every quarter, legend and band drawn
                for lang in ("en", "zh"):
                    if lang == "zh":
                        _to_chinese(page)
                    case = f"{w}x{h}_{lang}"
                    if lang == "zh":
                        page.wait_for_timeout(500)  # the charts redraw once the font has arrived
                        page.evaluate("() => document.fonts.ready")
                        checked, bad = _untofu(page, context.new_cdp_session(page))
                        assert checked > 30 and not bad, (case, checked, bad[:15])
                        glyphs[case] = checked
                    _icon_drawn(page)
                    _switch_states(page)
                    _check(page, case)
                    if (w, h) == (1024, 768):  # the narrowest chain map
                        _every_chain(page, case)
                    if (w, h) == (1366, 768) and os.environ.get("CHAINSIM_DOC_SCREENSHOTS") == "1":
                        doc_png(LAYOUT / f"{case}.png", DOC_IMAGES / f"dashboard_1366_{lang}.png")
                    _toggle(page, to_open=False)  # the charts take the whole width
                    _check(page, f"{case}_controls_hidden")
                    _toggle(page, to_open=True)
                    assert page.locator(".chainsim-side").is_visible()
                page.close()
                context.close()
        finally:
            b.close()
    _assert_offline(requests, log)
    (LAYOUT / "timings.json").write_text(
        json.dumps({**timings, "chinese_elements_checked": glyphs}, indent=1)
    )
    print(f"\n1366x768, ensemble view on: {json.dumps(timings)}\nscreenshots: {LAYOUT}")

"""The page's frame: a title bar, a control column and the views, sized for projectors.

Solara's default frame (``AppLayout``) puts the controls in a navigation drawer that turns
into an overlay below 1280 px and whose menu button is an icon-font glyph the offline page
does not have; on a 1024×768 projector the controls covered the charts or vanished with no
visible way back. This frame is plain CSS instead (:data:`CSS`):

- a title bar: the controls' toggle (an inline SVG icon and a label, so it needs no icon
  font), the title (wraps, never cut), the language switch;
- below it two columns that scroll on their own: the controls (290 px below 1200 px of
  window width, 340 px above) and the views, a grid of cards at least 320 px wide
  (1024×768: two columns of charts, 1366×768: three, 1920×1080: four); the chain map takes
  two columns where there are two;
- the toggle hides the control column and gives the views the whole width.

tests/test_dashboard_layout.py checks it at 1024×768, 1366×768 and 1920×1080 in both
languages: controls, chart titles and legends inside what their scroll container shows,
no two pieces of text overlapping, the toggle's icon drawn.
"""

from __future__ import annotations

from html import escape

import solara

from chainsim.dashboard.labels import Lang, t

# a "tune" icon (three sliders): stroked paths, drawn by the browser, nothing to fetch
ICON = (
    '<svg class="chainsim-icon" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" '
    'focusable="false" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round">'
    '<path d="M4 6h9M17 6h3M4 12h3M11 12h9M4 18h11M19 18h1"/>'
    '<circle cx="15" cy="6" r="2"/><circle cx="9" cy="12" r="2"/><circle cx="17" cy="18" r="2"/></svg>'
)
SIDE_ID = "chainsim-controls"

CSS = """
html, body { overflow: hidden !important; }
.chainsim-app { display: flex; flex-direction: column; height: 100vh; background: #eef0f3; color: #1d1d1f; }
.chainsim-bar { flex: none; display: flex; flex-wrap: wrap; align-items: center; gap: 6px 14px;
                padding: 6px 12px; background: #283593; color: #fff; }
.chainsim-bar .v-btn { color: #fff !important; }
.chainsim-toggle.v-btn { text-transform: none; letter-spacing: 0; font-size: 16px; border: 1px solid rgba(255,255,255,.7); }
.chainsim-icon { display: inline-block; flex: none; margin-right: 6px; vertical-align: middle; }
.chainsim-title { flex: 1 1 260px; min-width: 0; font-size: 20px; font-weight: 500; line-height: 1.25;
                  overflow-wrap: anywhere; }
.chainsim-lang .v-btn { text-transform: none; letter-spacing: 0; font-size: 16px; }
.chainsim-lang .v-btn--active, .chainsim-lang .v-btn.v-btn--selected { background: rgba(255,255,255,.22); font-weight: 700; }
.chainsim-body { flex: 1 1 auto; min-height: 0; display: grid; grid-template-columns: 340px minmax(0, 1fr); }
.chainsim-side-closed .chainsim-body { grid-template-columns: minmax(0, 1fr); }
.chainsim-side-closed .chainsim-side { display: none; }
.chainsim-side { overflow-y: auto; overflow-x: hidden; padding: 8px; background: #f7f7f9; border-right: 1px solid #cfd3da; }
.chainsim-side .v-card { margin-bottom: 8px; }
.chainsim-side .v-card-title, .chainsim-side .v-card__title { white-space: normal; line-height: 1.3; }
/* sliders in the column: the label above the track, so a long label leaves the track its width */
.chainsim-side .v-slider.v-input--horizontal { grid-template-areas: "prepend" "control" "messages";
                                               grid-template-columns: minmax(0, 1fr); }
.chainsim-side .v-slider .v-input__prepend { margin-inline-end: 0; margin-bottom: -4px; }
.chainsim-side .v-slider .v-slider__label { white-space: normal; margin-inline-end: 0; }
.chainsim-side .v-slider.v-input--horizontal .v-input__control { min-height: 32px; }
.chainsim-side .v-input__details { min-height: 0; padding-top: 0; }
.chainsim-main { overflow-y: auto; overflow-x: hidden; padding: 8px 12px 16px; container-type: inline-size; }
@media (max-width: 1200px) { .chainsim-body { grid-template-columns: 290px minmax(0, 1fr); } }
.chainsim-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 10px; }
@container (min-width: 660px) { .chainsim-card-chain { grid-column: span 2; } }
.chainsim-kpis { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
.chainsim-kpi-box { min-width: 150px; padding: 6px 12px; border-radius: 4px; background: #fff;
                    box-shadow: 0 1px 3px rgba(0,0,0,.2); }
.chainsim-card { background: #fff; border-radius: 4px; box-shadow: 0 1px 3px rgba(0,0,0,.2); padding: 10px 14px;
                 min-width: 0; }
.chainsim-card-title { font-size: 19px; font-weight: 500; margin-bottom: 2px; line-height: 1.3; }
.chainsim-kpi { font-size: 26px; font-weight: 600; line-height: 1.1; }
.chainsim-kpi-label { font-size: 13px; color: #555; }
.chainsim-kpi-range { font-size: 12px; color: #555; }
.chainsim-note { font-size: 13px; color: #555; display: block; }
.chainsim-step { font-size: 24px; font-weight: 600; }
.chainsim-date { font-size: 20px; }
.chainsim-status { margin: 6px 2px; }
.chainsim-in-use { display: block; font-size: 14px; }
.chainsim-command { font-family: monospace; font-size: 11px; word-break: break-all; color: #333; }
.chainsim-vega { min-height: 240px; }
/* on/off switches: the state is written next to the label ("· on" / "· off") and the track
   is filled or hollow, so colour is not the only cue */
.chainsim-switch .v-selection-control__wrapper .v-switch__track { opacity: 1; border: 2px solid #555; background: #fff; }
.chainsim-switch.chainsim-on .v-switch__track { background: #283593; border-color: #283593; }
.chainsim-switch .v-switch__thumb { border: 2px solid #555; }
.chainsim-switch .v-label { opacity: 1; }
.chainsim-state { font-weight: 700; margin-left: 4px; }
"""


@solara.component
def TopBar(L: Lang, lang, side_open):
    """The title bar: the controls' toggle, the title, the language switch."""
    is_open = side_open.value
    with solara.Div(classes=["chainsim-bar"]):
        solara.Button(
            children=[
                solara.HTML(tag="span", unsafe_innerHTML=ICON, style="display: inline-flex"),
                t("hide_controls" if is_open else "show_controls", L),
            ],
            text=True,
            on_click=lambda: side_open.set(not side_open.value),
            classes=["chainsim-toggle"],
            attributes={"aria-controls": SIDE_ID, "aria-expanded": "true" if is_open else "false"},
        )
        solara.HTML(tag="div", unsafe_innerHTML=escape(t("title", L)), classes=["chainsim-title"])
        with solara.ToggleButtonsSingle(value=lang, classes=["chainsim-lang"]):
            solara.Button(t("lang_en", "en"), value="en", text=True)
            solara.Button(t("lang_zh", "zh"), value="zh", text=True)

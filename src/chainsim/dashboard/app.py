"""The teaching dashboard page (run by ``chainsim dashboard``; Solara imports ``Page``).

Laid out like Mesa's SolaraViz — run controls (▶ / Step / Reset), model parameters that
act on Reset, the model's views updating as it steps — but built from Solara components
directly, for two reasons: every word on the page switches between English and Chinese
(SolaraViz's own controls are English-only), and the views sit in a fixed grid
(SolaraViz's draggable grid fails under Vue 3 / ipyvuetify 3 with ``GlobalVue.use is
not a function``, leaving the charts empty). The model is the real
:class:`chainsim.engine.model.ChainModel` (see :mod:`chainsim.dashboard.classroom`).

Each browser tab gets its own model. The step number and date are shown on the page;
so is the model in use, read back from the model's configuration after each Reset.

A step must reach the screen within ~300 ms on a 2-core machine, so: only ``Main`` (the
views) re-renders on a step, never the sidebar; the views are few widgets (HTML blocks,
not cards of cards); chart data travel as JSON text (reacton compares and walks dict
props value by value); and the charts redraw their data in place (:mod:`.vega`).
tests/test_dashboard.py measures click → last chart redrawn.
"""

from __future__ import annotations

import os
import time
from html import escape

import solara

from chainsim.config.loader import ScenarioError
from chainsim.dashboard import charts, webfont
from chainsim.dashboard import controls as C
from chainsim.dashboard import views as V
from chainsim.dashboard.classroom import Session, build
from chainsim.dashboard.labels import Lang, name, t
from chainsim.dashboard.panels import InUse, LeverPanel, RunPanel
from chainsim.dashboard.vega import chart, spec_json
from chainsim.engine.records import F

SCENARIO = os.environ.get("CHAINSIM_DASHBOARD_SCENARIO", "scenarios/kunming_2023.yaml")
CSS = """
.chainsim-kpis { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
.chainsim-kpi-box { min-width: 150px; padding: 6px 12px; border-radius: 4px; background: #fff;
                    box-shadow: 0 1px 3px rgba(0,0,0,.2); }
.chainsim-card { background: #fff; border-radius: 4px; box-shadow: 0 1px 3px rgba(0,0,0,.2); padding: 10px 14px; height: 100%; }
.chainsim-card-title { font-size: 19px; font-weight: 500; margin-bottom: 2px; }
.chainsim-kpi { font-size: 26px; font-weight: 600; line-height: 1.1; }
.chainsim-kpi-label { font-size: 13px; color: #555; }
.chainsim-note { font-size: 13px; color: #555; display: block; }
.chainsim-step { font-size: 24px; font-weight: 600; }
.chainsim-date { font-size: 20px; }
.chainsim-status { margin: 6px 2px; }
.chainsim-in-use { display: block; font-size: 14px; }
.chainsim-command { font-family: monospace; font-size: 11px; word-break: break-all; color: #333; }
.chainsim-vega { min-height: 240px; }
"""


@solara.component
def Page():
    lang = solara.use_reactive("en")
    first = solara.use_memo(lambda: C.defaults(SCENARIO), [])
    session = solara.use_memo(lambda: Session(build(first)), [])
    levers = solara.use_reactive(first)  # what the controls show (applied on Reset)
    # tick: bumped after every step. Only Main reads it, so a step re-renders the views and
    # nothing else (re-rendering Page would re-render the sidebar and app bar too).
    tick = solara.use_reactive(0)
    generation = solara.use_reactive(0)  # bumped by Reset: everything re-renders
    playing = solara.use_reactive(False)
    running = solara.use_reactive(True)
    speed = solara.use_reactive(4)
    error = solara.use_reactive("")
    chain_id = solara.use_reactive(session.built.model.chains.chain_ids[0])
    L: Lang = lang.value

    def advance() -> None:
        running.value = session.step()
        tick.value += 1  # renders the views in this thread, before the next step

    def play_loop() -> None:
        next_at = time.perf_counter()
        while playing.value and running.value:
            advance()
            next_at = max(next_at + 1.0 / speed.value, time.perf_counter())
            while playing.value and (rest := next_at - time.perf_counter()) > 0:
                time.sleep(min(rest, 0.05))  # short naps: a pause takes effect at once
        playing.value = False

    solara.use_thread(play_loop, dependencies=[playing.value])

    def do_reset() -> None:
        playing.value = False
        try:
            new = build(levers.value)
        except ScenarioError as err:
            error.value = str(err)
            return
        with session.lock:
            session.built = new
        error.value = ""
        if chain_id.value not in new.model.chains.chain_ids:
            chain_id.value = new.model.chains.chain_ids[0]
        running.value = True
        generation.value += 1

    solara.Title(t("title", L))
    solara.Style(webfont.css() + CSS)
    with solara.AppBar():
        solara.AppBarTitle(t("title", L))
        with solara.ToggleButtonsSingle(value=lang, classes=["chainsim-lang"]):
            solara.Button(t("lang_en", "en"), value="en", text=True)
            solara.Button(t("lang_zh", "zh"), value="zh", text=True)
    with solara.Sidebar():
        RunPanel(L, playing, running.value, speed, advance, do_reset)
        LeverPanel(levers, L, error, SCENARIO)
        InUse(session, L, generation.value)
    Main(session, L, tick, generation.value, chain_id)


@solara.component
def Main(session: Session, L: Lang, tick, generation: int, chain_id):
    tick.value  # noqa: B018 - subscribe: this component, alone, redraws after each step
    Banner(session, L, generation)
    # generation too: after a Reset the session holds a new model but is the same object
    Status(session, L, tick.value, generation)
    Indicators(session, L, tick.value, generation)
    Views(session, L, tick.value, generation, chain_id)


@solara.component
def Status(session: Session, L: Lang, tick: int, generation: int):
    m = session.built.model
    html = (
        f'<span class="chainsim-step" data-week="{m.week}" data-total="{m.n_weeks}">{escape(t("step_of", L, n=m.week, total=m.n_weeks))}</span> '
        f'<span class="chainsim-date">· {escape(t("week_ending", L, date=m.date().isoformat()))}</span>'
        f'<div class="chainsim-note">{escape(t("burn_in_note", L, n=m.calendar.burn_in))}</div>'
    )
    solara.HTML(tag="div", unsafe_innerHTML=html, classes=["chainsim-status"])


@solara.component
def Banner(session: Session, L: Lang, generation: int):
    b = session.built
    if b.calibrated:
        solara.Success(t("calibrated", L, file=b.levers.scenario), dense=True)
    else:
        solara.Warning(t("not_calibrated", L), dense=True)


@solara.component
def Indicators(session: Session, L: Lang, tick: int, generation: int):
    with session.lock:
        m = session.built.model
        flows = m.recorder.flows[m.reported]
        year = m.calendar.date_end[m.reported].astype("datetime64[Y]")
        this_year = year == year[-1] if len(year) else year.astype(bool)
        by_trip = flows[:, F["signings_by_source.leader_trip"]].sum()
        trips = flows[:, F["city_leader_trips"]].sum(), flows[:, F["county_leader_trips"]].sum()
        items = [
            ("kpi_signings", f"{flows[:, F['signings']].sum():,.0f}"),
            ("kpi_value", f"{flows[:, F['signing_value_yi']].sum():,.0f}"),
            ("kpi_funds", f"{flows[this_year, F['funds_in_place_yi']].sum():,.1f}"),
            ("kpi_fdi", f"{flows[this_year, F['fdi_usd_yi']].sum():,.2f}"),
            ("kpi_landed", f"{flows[:, F['landed']].sum():,.0f}"),
            ("kpi_trips", f"{trips[0]:.0f} / {trips[1]:.0f}"),
            ("kpi_per_trip", f"{by_trip / sum(trips):.2f}" if sum(trips) else "–"),
            ("kpi_served", f"{m.in_service()}"),
            ("kpi_missing", f"{int(m.missing[0].sum())}"),
        ]
    # one HTML block, not a card per figure: fewer widgets to reconcile on every step
    cells = "".join(
        f'<div class="chainsim-kpi-box" data-kpi="{key}"><div class="chainsim-kpi">{escape(value)}</div>'
        f'<div class="chainsim-kpi-label">{escape(t(key, L))}</div></div>'
        for key, value in items
    )
    solara.HTML(tag="div", unsafe_innerHTML=cells, classes=["chainsim-kpis"])


def view_card(key: str, title: str, note: str | None, *children) -> None:
    """A titled box around a chart (plain HTML: cheap to re-render on every step)."""
    head = f'<div class="chainsim-card-title">{escape(title)}</div>'
    if note:
        head += f'<div class="chainsim-note">{escape(note)}</div>'
    solara.Div(
        classes=["chainsim-card", f"chainsim-card-{key}"],
        children=[solara.HTML(tag="div", unsafe_innerHTML=head), *children],
    )


@solara.component
def Views(session: Session, L: Lang, tick: int, generation: int, chain_id):
    span = V.time_span(session.built.model)
    specs = solara.use_memo(
        lambda: {
            k: spec_json(v)
            for k, v in {
                "funnel": charts.funnel_spec(L),
                "signings": charts.signings_spec(L, False, span),
                "value": charts.signings_spec(L, True, span),
                "funds": charts.funds_spec(L, False, span),
                "fdi": charts.funds_spec(L, True, span),
                "cohort": charts.cohort_spec(L, session.built.model.quarters),
                "chain": charts.chain_spec(L),
                "land": charts.land_spec(L),
                "park_firms": charts.park_firms_spec(
                    L, [name(c, L) for c in session.built.model.config.chains.values()]
                ),
            }.items()
        },
        [L, generation],
    )
    with session.lock:
        m = session.built.model
        cid = chain_id.value if chain_id.value in m.chains.chain_ids else m.chains.chain_ids[0]
        data = {
            "funnel": V.funnel_data(m, L),
            "signings": V.signings_data(m, L, False),
            "value": V.signings_data(m, L, True),
            "funds": V.funds_data(m, False),
            "fdi": V.funds_data(m, True),
            "cohort": V.cohort_data(m, L),
            "chain": V.chain_data(m, cid, L),
            "land": V.land_data(m, L),
            "park_firms": V.park_firms_data(m, L),
        }
        stamp, chains, major = (
            m.week,
            {name(m.config.chains[c], L): c for c in m.chains.chain_ids},
            m.major_yi,
        )

    def view(key: str):
        return chart(key, specs[key], data[key], stamp)

    with solara.Columns([1, 1, 1]):
        view_card("funnel", t("v_funnel", L), t("v_funnel_note", L), view("funnel"))
        view_card("signings", t("v_signings", L), t("v_signings_note", L), view("signings"))
        view_card("value", t("v_value", L), t("v_signings_note", L), view("value"))
    with solara.Columns([1, 1, 1]):
        view_card("funds", t("v_funds", L), t("v_funds_note", L), view("funds"))
        view_card("fdi", t("v_fdi", L), t("v_funds_note", L), view("fdi"))
        view_card("cohort", t("v_cohort", L), t("v_cohort_note", L, major=major), view("cohort"))
    with solara.Columns([3, 2]):
        label = next(k for k, v in chains.items() if v == cid)
        picker = solara.Select(
            t("v_chain_pick", L), values=list(chains), value=label, on_value=lambda k: chain_id.set(chains[k])
        )
        view_card("chain", t("v_chain", L), t("v_chain_note", L), picker, view("chain"))
        with solara.Column():
            view_card("land", t("v_land", L), None, view("land"))
            view_card("park_firms", t("v_park_firms", L), t("v_park_firms_note", L), view("park_firms"))

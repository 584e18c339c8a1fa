"""The teaching dashboard page (run by ``chainsim dashboard``; Solara imports ``Page``).

Laid out like Mesa's SolaraViz — run controls (▶ / Step / Reset), model parameters that
act on Reset, the model's views updating as it steps — but built from Solara components
directly, for three reasons: every word on the page switches between English and Chinese
(SolaraViz's own controls are English-only), the views sit in a fixed grid
(SolaraViz's draggable grid fails under Vue 3 / ipyvuetify 3 with ``GlobalVue.use is
not a function``, leaving the charts empty), and the frame must fit a 1024×768 projector
(:mod:`.layout`; this module's ``Layout`` replaces Solara's ``AppLayout``). The model is
the real :class:`chainsim.engine.model.ChainModel` (see :mod:`chainsim.dashboard.classroom`),
a batch of :data:`~chainsim.dashboard.classroom.ENSEMBLE_RUNS` replicates whose spread
the ensemble view shows around the page's run.

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
from chainsim.dashboard import charts, layout, mapcharts, webfont
from chainsim.dashboard import controls as C
from chainsim.dashboard import views as V
from chainsim.dashboard.classroom import ENSEMBLE_RUNS, SPREAD_DROP, Session, build
from chainsim.dashboard.labels import Lang, major_size, name, t
from chainsim.dashboard.panels import InUse, LeverPanel, RunPanel
from chainsim.dashboard.vega import chart, spec_json
from chainsim.engine.records import F

SCENARIO = os.environ.get("CHAINSIM_DASHBOARD_SCENARIO", "scenarios/kunming_2023.yaml")


@solara.component
def Layout(children: list | None = None):
    """The page draws its own frame (:mod:`.layout`), not Solara's ``AppLayout``."""
    return solara.Div(children=children or [])


@solara.component
def Page():
    lang = solara.use_reactive("en")
    first = solara.use_memo(lambda: C.defaults(SCENARIO), [])
    session = solara.use_memo(lambda: Session(build(first, ENSEMBLE_RUNS)), [])
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
    side_open = solara.use_reactive(True)  # the control column
    spread = solara.use_reactive(True)  # the ensemble view: the spread of the batch's runs
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
            new = build(levers.value, ENSEMBLE_RUNS)
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
    solara.Style(webfont.css() + layout.CSS)
    frame = "chainsim-side-open" if side_open.value else "chainsim-side-closed"
    with solara.Div(classes=["chainsim-app", frame]):
        layout.TopBar(L, lang, side_open)
        with solara.Div(classes=["chainsim-body"]):
            with solara.Div(classes=["chainsim-side"], attributes={"id": layout.SIDE_ID}):
                RunPanel(L, playing, running.value, speed, advance, do_reset, spread)
                LeverPanel(levers, L, error, SCENARIO)
                InUse(session, L, generation.value)
            with solara.Div(classes=["chainsim-main"]):
                Main(session, L, tick, generation.value, chain_id, spread.value)


@solara.component
def Main(session: Session, L: Lang, tick, generation: int, chain_id, spread: bool):
    tick.value  # noqa: B018 - subscribe: this component, alone, redraws after each step
    Banner(session, L, generation)
    # generation too: after a Reset the session holds a new model but is the same object
    Status(session, L, tick.value, generation, spread)
    Indicators(session, L, tick.value, generation, spread)
    Views(session, L, tick.value, generation, chain_id, spread)


@solara.component
def Status(session: Session, L: Lang, tick: int, generation: int, spread: bool):
    m = session.built.model
    html = (
        f'<span class="chainsim-step" data-week="{m.week}" data-total="{m.n_weeks}">{escape(t("step_of", L, n=m.week, total=m.n_weeks))}</span> '
        f'<span class="chainsim-date">· {escape(t("week_ending", L, date=m.date().isoformat()))}</span>'
        f'<div class="chainsim-note">{escape(t("burn_in_note", L, n=m.calendar.burn_in))}</div>'
    )
    if spread:
        note = t("spread_note", L, n=m.n_reps, k=m.n_reps - 2 * SPREAD_DROP, d=SPREAD_DROP)
        html += f'<div class="chainsim-note chainsim-spread-note">{escape(note)}</div>'
    solara.HTML(tag="div", unsafe_innerHTML=html, classes=["chainsim-status"])


@solara.component
def Banner(session: Session, L: Lang, generation: int):
    b = session.built
    if b.calibrated:
        solara.Success(t("calibrated", L, file=b.levers.scenario), dense=True)
    else:
        solara.Warning(t("not_calibrated", L), dense=True)


@solara.component
def Indicators(session: Session, L: Lang, tick: int, generation: int, spread: bool):
    with session.lock:
        m = session.built.model
        flows = m.recorder_batch.flows[:, m.reported]  # replicates × steps × flows; 0: the page's run
        year = m.calendar.date_end[m.reported].astype("datetime64[Y]")
        this_year = year == year[-1] if len(year) else year.astype(bool)
        trips = flows[0, :, F["city_leader_trips"]].sum(), flows[0, :, F["county_leader_trips"]].sum()
        per_trip = flows[:, :, F["signings_by_source.leader_trip"]].sum(axis=1) / max(sum(trips), 1)
        totals = {  # per replicate: (value, format)
            "kpi_signings": (flows[:, :, F["signings"]].sum(axis=1), "{:,.0f}"),
            "kpi_value": (flows[:, :, F["signing_value_yi"]].sum(axis=1), "{:,.0f}"),
            "kpi_funds": (flows[:, this_year, F["funds_in_place_yi"]].sum(axis=1), "{:,.1f}"),
            "kpi_fdi": (flows[:, this_year, F["fdi_usd_yi"]].sum(axis=1), "{:,.2f}"),
            "kpi_landed": (flows[:, :, F["landed"]].sum(axis=1), "{:,.0f}"),
        }
        items = [(key, fmt.format(v[0]), v, fmt) for key, (v, fmt) in totals.items()]
        items += [
            ("kpi_trips", f"{trips[0]:.0f} / {trips[1]:.0f}", None, ""),
            (
                "kpi_per_trip",
                f"{per_trip[0]:.2f}" if sum(trips) else "–",
                per_trip if sum(trips) else None,
                "{:.2f}",
            ),
            ("kpi_served", f"{m.in_service()}", None, ""),
            ("kpi_missing", f"{int(m.missing[0].sum())}", None, ""),
        ]
    # one HTML block, not a card per figure: fewer widgets to reconcile on every step
    cells = []
    for key, value, runs, fmt in items:
        cell = (
            f'<div class="chainsim-kpi-box" data-kpi="{key}"><div class="chainsim-kpi">{escape(value)}</div>'
        )
        cell += f'<div class="chainsim-kpi-label">{escape(t(key, L))}</div>'
        if spread and runs is not None:
            lo, hi = V.middle(runs)
            span = t(
                "kpi_range",
                L,
                n=len(runs),
                k=len(runs) - 2 * SPREAD_DROP,
                lo=fmt.format(lo),
                hi=fmt.format(hi),
            )
            cell += f'<div class="chainsim-kpi-range">{escape(span)}</div>'
        cells.append(cell + "</div>")
    solara.HTML(tag="div", unsafe_innerHTML="".join(cells), classes=["chainsim-kpis"])


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
def Views(session: Session, L: Lang, tick: int, generation: int, chain_id, spread: bool):
    m = session.built.model
    span = V.time_span(m)
    band = t("spread_legend", L, n=m.n_reps, k=m.n_reps - 2 * SPREAD_DROP) if spread else None
    specs = solara.use_memo(
        lambda: {
            k: spec_json(v)
            for k, v in {
                "funnel": charts.funnel_spec(L),
                "signings": charts.signings_spec(L, False, span, band),
                "value": charts.signings_spec(L, True, span, band),
                "funds": charts.funds_spec(L, False, span, band),
                "fdi": charts.funds_spec(L, True, span, band),
                "cohort": charts.cohort_spec(L, m.quarters, band),
                "chain": mapcharts.chain_spec(L),
                "land": mapcharts.land_spec(L),
                "park_firms": mapcharts.park_firms_spec(L, [name(c, L) for c in m.config.chains.values()]),
            }.items()
        },
        [L, generation, spread],
    )
    with session.lock:
        m = session.built.model
        cid = chain_id.value if chain_id.value in m.chains.chain_ids else m.chains.chain_ids[0]
        data = {
            "funnel": V.funnel_data(m, L),
            "signings": V.signings_data(m, L, False, spread),
            "value": V.signings_data(m, L, True, spread),
            "funds": V.funds_data(m, False, spread),
            "fdi": V.funds_data(m, True, spread),
            "cohort": V.cohort_data(m, L, spread),
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

    with solara.Div(classes=["chainsim-grid"]):
        view_card("funnel", t("v_funnel", L), t("v_funnel_note", L), view("funnel"))
        view_card("signings", t("v_signings", L), t("v_signings_note", L), view("signings"))
        view_card("value", t("v_value", L), t("v_signings_note", L), view("value"))
        view_card("funds", t("v_funds", L), t("v_funds_note", L), view("funds"))
        view_card("fdi", t("v_fdi", L), t("v_funds_note", L), view("fdi"))
        note = t("v_cohort_note", L, major=major_size(major, L))
        view_card("cohort", t("v_cohort", L), note, view("cohort"))
        label = next(k for k, v in chains.items() if v == cid)
        picker = solara.Select(
            t("v_chain_pick", L), values=list(chains), value=label, on_value=lambda k: chain_id.set(chains[k])
        )
        view_card("chain", t("v_chain", L), t("v_chain_note", L), picker, view("chain"))
        view_card("land", t("v_land", L), None, view("land"))
        view_card("park_firms", t("v_park_firms", L), t("v_park_firms_note", L), view("park_firms"))

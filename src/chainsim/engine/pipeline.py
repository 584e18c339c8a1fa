"""The strategy-neutral pipeline after the talks: signing, service, building, funds and
drop-out (docs/model.md, phases 6–9; the talks before a signing are :mod:`.talks`), on the
rows of the pipeline tables:
``m.talks`` (contacted and negotiating firms) and ``m.projects`` (signed … in
construction); a signing moves a firm's row from the first to the second.

Each phase is one function of the model: masks → rows → one kernel call → write back.
What strategies change arrives as orders and multipliers (:mod:`.strategies.base`):
ceremonies, the signing-hazard multipliers of marked contacts, the service order and the
stage factors of the step. Random numbers are keyed by (replicate seed, stream, step,
firm slot), so a firm's decision never depends on which rows share its table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from chainsim.engine import kernels as K
from chainsim.engine.calendar import per_step
from chainsim.engine.funds import pay, pay_capital
from chainsim.vocabulary import Stage

if TYPE_CHECKING:
    from chainsim.engine.active import Active
    from chainsim.engine.model import ChainModel

Rows = NDArray[np.int64]
LAND_CHOICE_OFFSET = 32  # park-choice keys of a diverting firm: slot × 64 + 32 + park


def sign(m: ChainModel, t: int, rows: Rows) -> None:
    """Phase 6 (*Sign*): record the signing, choose a park (logit, Gumbel-max), schedule
    registration, note the reporting cohorts."""
    if len(rows) == 0:
        return
    m.talks.i("stage")[rows] = Stage.SIGNED  # leaves the talks …
    a = m.projects
    rows = a.take(m.talks, rows)  # … for the projects
    rep, slot = a.i("rep")[rows], a.i("slot")[rows]
    a.i("stage")[rows] = Stage.SIGNED
    a.f("signed_day")[rows] = m.day
    a.f("drop_clock")[rows] = -np.log1p(
        -m.streams.after_signing.uniform(t, rep, slot)
    )  # Exp(1): see drop_out
    n_parks = m.parks.n
    u = m.streams.park_choice.uniform(t, rep[:, None], slot[:, None] * 64 + np.arange(n_parks))
    park = m.parks.choose(rep, a.i("chain")[rows], a.f("land_need_ha")[rows], u)
    a.i("park")[rows] = park.clip(0)
    a.f("due_day")[rows] = m.day + duration(
        m, t, rows, m.config.pipeline.register_days * stage_factor(m, "register", rows)
    )
    value, industrial = a.f("value_yi")[rows], a.b("industrial")[rows]
    bits = np.zeros(len(rows), dtype=np.int64)
    for c, co in enumerate(m.cohorts):
        if m.cohort_open[c, t]:
            ok = value >= co.min_value_yi
            if co.industrial_only:
                ok &= industrial
            bits |= ok.astype(np.int64) << c
    a.i("cohorts")[rows] = bits
    rec = m.recorder_batch
    if bits.any():
        rec.cohorts(rec.cohort_signed, rep, bits)
        rec.cohorts(rec.cohort_fixed_signed, rep, np.where(a.b("fixed_asset")[rows], bits, 0))
    rec.signings(t, rep, value, industrial, a.i("source")[rows], a.i("segment")[rows])
    m.on_signed(t, rows)


def duration(
    m: ChainModel, t: int, rows: Rows, mean_days: float | NDArray[np.float64], spread: Spread | None = None
) -> NDArray[np.float64]:
    """A stage duration drawn on entry (log-normal around the mean; its spread factor from
    ``spread`` when the rows' draws are already made this step); a served project's is
    shortened by its service's factor."""
    a = m.projects
    factor = spread(rows) if spread is not None else Spread(m, t, rows)(rows)
    d = mean_days * factor
    svc = m.step_orders.service
    if svc is None:
        return d
    return np.where(a.b("serving")[rows], d * svc.duration_factor, d)


def stage_factor(m: ChainModel, name: str, rows: Rows) -> NDArray[np.float64]:
    """This step's stage factor ``name`` for each project row: a reform's factor applies
    only to the projects it is for (their eligibility class, from industrial flag and value)."""
    a = m.projects
    return m.step_orders.factors.rows(name, a.b("industrial")[rows], a.f("value_yi")[rows])


class Spread:
    """The log-normal factor exp(σz − σ²/2) of the stage durations drawn this step, for a
    set of project rows, from one draw each (the duration stream is keyed by step and
    firm, so a firm that passes several stages in one step gets the same number for each,
    whether they are drawn together or apart)."""

    def __init__(self, m: ChainModel, t: int, rows: Rows) -> None:
        a, sigma = m.projects, m.config.pipeline.duration_sigma_log
        self.rows = np.sort(rows)
        u = m.streams.duration.uniform(t, a.i("rep")[self.rows], a.i("slot")[self.rows])
        self.factor = K.lognormal_days(1.0, sigma, u)

    def __call__(self, rows: Rows) -> NDArray[np.float64]:
        factor: NDArray[np.float64] = self.factor[np.searchsorted(self.rows, rows)]
        return factor


def serve(m: ChainModel, t: int) -> None:
    """Phase 7 (*Serve*): free service slots go to the largest projects never served; a
    new one's remaining time in its stage shrinks by the service's factor."""
    svc, a = m.step_orders.service, m.projects
    if svc is None or svc.slots <= 0:
        return
    stage, serving, rep = a.i("stage"), a.b("serving"), a.i("rep")
    projects = stage <= Stage.CONSTRUCTION  # the table's live rows (signed … construction)
    free = svc.slots - np.bincount(rep[projects & serving], minlength=m.n_reps)
    if not (free > 0).any():
        return
    value = a.f("value_yi")
    cand = np.flatnonzero(projects & ~a.b("served") & (value >= svc.min_value_yi) & (free[rep] > 0))
    if len(cand) == 0:
        return
    # largest first within each replicate, ties by slot (deterministic)
    order = cand[np.lexsort((a.i("slot")[cand], -value[cand], rep[cand]))]
    r = rep[order]
    first = np.searchsorted(r, r, side="left")
    new = order[np.arange(len(order)) - first < free[r]]
    a.b("served")[new] = True
    serving[new] = True
    due = a.f("due_day")
    due[new] = m.day + np.maximum(due[new] - m.day, 0.0) * svc.duration_factor
    since = m.day - a.f("signed_day")[new]  # a project waiting for land (due passed) gains nothing now
    days = np.full(len(new), m.day)
    m.recorder_batch.durations("signing_to_service_days", rep[new], since, serving[new], value[new], days)


def build(m: ChainModel, t: int) -> None:
    """Phase 8 (*Build*): scheduled transitions in stage order — signed → registered →
    land → construction → producing, or signed → registered → producing for a project
    without fixed assets — for projects whose due day has passed (a firm can
    pass several short stages in one step), then drop-outs after signing."""
    a = m.projects
    stage, due = a.i("stage"), a.f("due_day")
    rows = np.flatnonzero((due <= m.day) & (stage <= Stage.CONSTRUCTION))
    if len(rows):
        spread = Spread(m, t, rows)  # one duration draw per due project
        for stage_from, enter in TRANSITIONS:
            ready = rows[(stage[rows] == stage_from) & (due[rows] <= m.day)]
            if len(ready):
                enter(m, t, ready, spread)
    drop_out(m, t)


def register(m: ChainModel, t: int, rows: Rows, spread: Spread) -> None:
    """signed → registered: ``funds_at_registration_share`` of the realised value arrives.
    A fixed-asset (固投类) project's land is due ``land_days`` later; any other project has
    *landed* (落地) now and starts operating ``operation_days`` later."""
    a, p = m.projects, m.config.pipeline
    a.i("stage")[rows] = Stage.REGISTERED
    entered = a.f("due_day")[rows]
    realised = a.f("value_yi")[rows] * p.realisation_share
    a.f("funds_left_yi")[rows] = realised
    pay(m, t, rows, realised * p.funds_at_registration_share)
    pay_capital(m, t, rows, at_registration=True)
    fixed = a.b("fixed_asset")[rows]
    land = duration(m, t, rows, p.land_days * stage_factor(m, "land", rows), spread)
    # no land: no land-stage factor; the climate's pace applies as to construction (fit-out)
    operate = duration(m, t, rows, p.operation_days * stage_factor(m, "construction", rows), spread)
    a.f("due_day")[rows] = entered + np.where(fixed, land, operate)
    rec, rep = m.recorder_batch, a.i("rep")[rows]
    rec.count(t, "registered", rep)
    if not fixed.all():
        other = ~fixed
        rec.count(t, "landed", rep[other])
        rec.cohorts(
            rec.cohort_landed, rep[other], a.i("cohorts")[rows[other]], entered[other], m.cohort_as_of
        )


def start_operation(m: ChainModel, t: int, rows: Rows, spread: Spread) -> None:
    """registered → producing for a project without fixed-asset investment (no land, no
    construction): it operates from its due day (see :func:`start_production`)."""
    rows = rows[~m.projects.b("fixed_asset")[rows]]
    if len(rows):
        pay_capital(m, t, rows, at_registration=False)
        start_production(m, t, rows, spread)


def acquire_land(m: ChainModel, t: int, rows: Rows, spread: Spread) -> None:
    """registered → land: first come, first served in each park; a refused firm waits or
    re-chooses among parks with room (``divert_prob_per_step``)."""
    a, parks = m.projects, m.parks
    rep, due = a.i("rep"), a.f("due_day")
    rows = rows[np.lexsort((due[rows], rep[rows]))]  # by application day within each replicate
    got = parks.acquire(rep[rows], a.i("park")[rows], a.f("land_need_ha")[rows], a.f("mw_need")[rows])
    ok, waiting = rows[got], rows[~got]
    if len(waiting):
        divert_p = per_step(m.config.location.divert_prob_per_step, float(m.calendar.scale[t]))
        divert = waiting[m.streams.divert.uniform(t, rep[waiting], a.i("slot")[waiting]) < divert_p]
        if len(divert):
            slot = a.i("slot")[divert]
            u = m.streams.park_choice.uniform(
                t, rep[divert, None], slot[:, None] * 64 + LAND_CHOICE_OFFSET + np.arange(parks.n)
            )
            choice = parks.choose(rep[divert], a.i("chain")[divert], a.f("land_need_ha")[divert], u)
            a.i("park")[divert[choice >= 0]] = choice[choice >= 0]
    if len(ok) == 0:
        return
    day = np.maximum(due[ok], m.day - m.calendar.step_len[t])  # a firm that waited gets its land now
    a.i("stage")[ok] = Stage.LAND
    p = m.config.pipeline
    if p.funds_at_land_share:  # land price and fees declared in place (申报纳统)
        pay(m, t, ok, a.f("value_yi")[ok] * (p.realisation_share * p.funds_at_land_share))
    a.f("land_day")[ok] = day
    m.recorder_batch.durations(
        "signing_to_land_days",
        rep[ok],
        day - a.f("signed_day")[ok],
        a.b("served")[ok],
        a.f("value_yi")[ok],
        day,
    )
    factor = stage_factor(m, "land_to_construction", ok)  # 0 under 拿地即开工: construction starts at once
    due[ok] = day + duration(m, t, ok, m.config.pipeline.land_to_construction_days, spread) * factor


def break_ground(m: ChainModel, t: int, rows: Rows, spread: Spread) -> None:
    """land → construction: *landed* (落地); ``funds_construction_share`` of the realised
    value arrives evenly over the construction time."""
    a, p = m.projects, m.config.pipeline
    day = a.f("due_day")[rows]
    a.i("stage")[rows] = Stage.CONSTRUCTION
    a.f("construction_day")[rows] = day
    mean = m.config.pipeline.construction_days * stage_factor(m, "construction", rows)
    build_days = np.maximum(duration(m, t, rows, mean, spread), 1.0)
    a.f("due_day")[rows] = day + build_days
    building = a.f("value_yi")[rows] * (p.realisation_share * p.funds_construction_share)
    a.f("funds_rate_yi_per_day")[rows] = np.minimum(building, a.f("funds_left_yi")[rows]) / build_days
    pay_capital(m, t, rows, at_registration=False)
    rec, rep = m.recorder_batch, a.i("rep")[rows]
    rec.count(t, "landed", rep)
    rec.cohorts(rec.cohort_landed, rep, a.i("cohorts")[rows], day, m.cohort_as_of)


def start_production(m: ChainModel, t: int, rows: Rows, spread: Spread) -> None:
    """construction → producing (or, without fixed assets, registered → operating): what is
    left of the realised value arrives — ``funds_at_production_share`` (equipment), and for a
    project without fixed assets every share but the registration one; the firm counts as
    a local producer of its segment and park from now on."""
    a = m.projects
    day = a.f("due_day")[rows]
    pay(m, t, rows, a.f("funds_left_yi")[rows])  # instalments up to today, then the rest
    a.i("stage")[rows] = Stage.PRODUCING
    a.b("serving")[rows] = False
    rep, segment = a.i("rep")[rows], a.i("segment")[rows]
    m.n_producing += np.bincount(rep, minlength=m.n_reps)
    np.add.at(m.producing_by_segment, (rep, segment), 1)
    anchor = a.b("anchor")[rows]
    np.add.at(m.producing_anchors, (rep[anchor], segment[anchor]), 1)
    m.parks.add_producers(rep, a.i("park")[rows], a.i("chain")[rows])
    rec = m.recorder_batch
    rec.count(t, "producing", rep)
    rec.cohorts(rec.cohort_producing, rep, a.i("cohorts")[rows], day, m.cohort_as_of)
    fixed = a.b("fixed_asset")[rows]
    rec.cohorts(
        rec.cohort_fixed_producing, rep, np.where(fixed, a.i("cohorts")[rows], 0), day, m.cohort_as_of
    )
    served, value = a.b("served")[rows], a.f("value_yi")[rows]
    rec.durations("signing_to_production_days", rep, day - a.f("signed_day")[rows], served, value, day)
    if fixed.any():  # a project without fixed assets never built
        f = rows[fixed]
        rec.durations(
            "construction_to_production_days",
            rep[fixed],
            day[fixed] - a.f("construction_day")[f],
            served[fixed],
            value[fixed],
            day[fixed],
        )


def drop_out(m: ChainModel, t: int) -> None:
    """Each project still signed … in construction is lost with ``drop_signed_per_step``
    (× the service's drop factor while served, × the stage factor before land). Drawn as
    a clock: each project holds an Exp(1) budget from its signing and spends the step's
    cumulative hazard −s·ln(1 − h); it is lost when the budget runs out — the same
    probability every step as a fresh draw, one number per project."""
    a = m.projects
    stage = a.i("stage")
    rows = np.flatnonzero(stage <= Stage.CONSTRUCTION)
    if len(rows) == 0:
        return
    h = m.config.pipeline.drop_signed_per_step
    svc = m.step_orders.service
    served_h = h * (svc.drop_factor if svc is not None else 1.0)
    hazard = np.where(a.b("serving")[rows], served_h, h)
    before = stage[rows] <= Stage.REGISTERED  # × the reforms' factor for the projects they are for
    hazard[before] *= stage_factor(m, "drop_before_land", rows[before])
    with np.errstate(divide="ignore"):
        spend = -float(m.calendar.scale[t]) * np.log1p(-np.minimum(hazard, 1.0))
    clock = a.f("drop_clock")
    clock[rows] -= spend
    lose(m, t, rows[clock[rows] < 0.0], a)


def lose(m: ChainModel, t: int, rows: Rows, a: Active) -> None:
    """Lost (rows of table ``a``): back in the pool ``recontact_after_days`` later, as a new candidate."""
    if len(rows) == 0:
        return
    a.i("stage")[rows] = Stage.LOST
    a.b("serving")[rows] = False
    rep = a.i("rep")[rows]
    m.n_lost += np.bincount(rep, minlength=m.n_reps)
    m.recorder_batch.count(t, "lost", rep)
    back = m.calendar.step_at_day(m.day + m.config.population.recontact_after_days)
    m.lost_queue.setdefault(back, []).append(rep * m.pool.n + a.i("slot")[rows])


#: the build phase's transitions, in stage order: (stage left, function that moves a firm on)
TRANSITIONS = (
    (Stage.SIGNED, register),
    (Stage.REGISTERED, start_operation),  # projects without fixed assets: registered → producing
    (Stage.REGISTERED, acquire_land),
    (Stage.LAND, break_ground),
    (Stage.CONSTRUCTION, start_production),
)

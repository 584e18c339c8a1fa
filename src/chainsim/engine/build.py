"""The ``build`` phase: scheduled transitions after signing, in stage order.

signed → registered → land → construction → producing. Each transition happens when the
firm's ``due_day`` has passed; the next due day is drawn on entry (Starsim-style
``t_next``), so a firm can pass several short stages in one step (拿地即开工 makes
land → construction instantaneous). Entering land needs room in the chosen park: a firm
that does not fit waits, or with ``divert_prob_per_step`` re-chooses among parks with
room. Drop-outs after signing are a hazard per step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from chainsim.engine.calendar import per_step
from chainsim.engine.firms import Stage

if TYPE_CHECKING:
    from chainsim.engine.model import ChainModel


def advance(m: ChainModel, step: int) -> None:
    f = m.firms
    # Only firms already due can move this step (a due day changes only on a move), so
    # every transition below looks at this short list, not the whole pipeline.
    due = m.projects[f.due_day[m.projects] <= m.day]
    if len(due):
        register(m, step, _due(m, due, Stage.SIGNED))
        acquire_land(m, step, _due(m, due, Stage.REGISTERED))
        break_ground(m, step, _due(m, due, Stage.LAND))
        start_production(m, step, _due(m, due, Stage.CONSTRUCTION))
        m.projects = m.projects[f.stage[m.projects] <= Stage.CONSTRUCTION]
    drop_out(m, step)


def _due(m: ChainModel, due: NDArray[np.int64], stage: Stage) -> NDArray[np.int64]:
    f = m.firms
    return due[(f.stage[due] == stage) & (f.due_day[due] <= m.day)]


def register(m: ChainModel, step: int, slots: NDArray[np.int64]) -> None:
    f, p = m.firms, m.config.pipeline
    if len(slots) == 0:
        return
    f.stage[slots] = Stage.REGISTERED
    entered = f.due_day[slots]
    realised = f.value_yi[slots] * p.realisation_share
    f.funds_left_yi[slots] = realised
    m.pay(step, slots, realised * p.funds_at_registration_share)
    factor = (
        m.config.strategies.commissioners.reforms.missing_docs_factor
        if m.reform_active["missing_docs"][step]
        else 1.0
    )
    f.due_day[slots] = entered + m._duration(step, slots, p.land_days * factor)
    m.recorder.add(step, "registered", len(slots))


def acquire_land(m: ChainModel, step: int, slots: NDArray[np.int64]) -> None:
    f, parks = m.firms, m.parks
    if len(slots) == 0:
        return
    slots = slots[np.argsort(f.due_day[slots], kind="stable")]  # first come, first served
    got = parks.acquire(f.park[slots].astype(np.int64), f.land_need_ha[slots], f.mw_need[slots])
    ok, waiting = slots[got], slots[~got]
    if len(waiting):
        divert_p = per_step(m.config.location.divert_prob_per_step, float(m.calendar.scale[step]))
        divert = waiting[m.streams.divert.uniform(step, waiting) < divert_p]
        if len(divert):
            u = m.streams.park_choice.uniform(
                step, (divert[:, None] * 64 + 32 + np.arange(len(parks.parks))).ravel()
            )
            choice = parks.choose(f.chain[divert], f.land_need_ha[divert], u.reshape(len(divert), -1))
            f.park[divert[choice >= 0]] = choice[choice >= 0]
    if len(ok) == 0:
        return
    # a firm that had to wait gets its land now, not on its original due day
    day = np.maximum(f.due_day[ok], m.day - m.calendar.step_len[step])
    f.stage[ok] = Stage.LAND
    f.land_day[ok] = day
    m.recorder.durations("signing_to_land_days", day - f.signed_day[ok], f.served[ok], f.value_yi[ok], day)
    if m.reform_active["land_and_build"][step]:
        f.due_day[ok] = day
    else:
        f.due_day[ok] = day + m._duration(step, ok, m.config.pipeline.land_to_construction_days)


def break_ground(m: ChainModel, step: int, slots: NDArray[np.int64]) -> None:
    f, rec = m.firms, m.recorder
    if len(slots) == 0:
        return
    day = f.due_day[slots]
    f.stage[slots] = Stage.CONSTRUCTION
    f.construction_day[slots] = day
    build_days = np.maximum(m._duration(step, slots, m.config.pipeline.construction_days), 1.0)
    f.due_day[slots] = day + build_days
    f.funds_rate_yi_per_day[slots] = f.funds_left_yi[slots] / build_days
    rec.add(step, "landed", len(slots))
    rec.cohort_hits(f.cohorts[slots], day, m._cohort_as_of, rec.cohort_landed)


def start_production(m: ChainModel, step: int, slots: NDArray[np.int64]) -> None:
    f, rec = m.firms, m.recorder
    if len(slots) == 0:
        return
    day = f.due_day[slots]
    # instalments up to the production day, then whatever is left
    m.pay(step, slots, f.funds_left_yi[slots])
    f.stage[slots] = Stage.PRODUCING
    f.serving[slots] = False
    m.n_producing += len(slots)
    np.add.at(m.producing_by_segment, f.segment[slots], 1)
    np.add.at(m.producing_anchors_by_segment, f.segment[slots][f.anchor[slots]], 1)
    m.parks.add_producers(f.park[slots].astype(np.int64), f.chain[slots])
    rec.add(step, "producing", len(slots))
    rec.cohort_hits(f.cohorts[slots], day, m._cohort_as_of, rec.cohort_producing)
    served, value = f.served[slots], f.value_yi[slots]
    rec.durations("signing_to_production_days", day - f.signed_day[slots], served, value, day)
    rec.durations("construction_to_production_days", day - f.construction_day[slots], served, value, day)


def drop_out(m: ChainModel, step: int) -> None:
    f, p = m.firms, m.config.pipeline
    slots = m.projects
    hazard = np.full(len(slots), p.drop_signed_per_step)
    hazard[f.serving[slots]] *= m.config.strategies.commissioners.drop_factor
    if m.reform_active["full_agency"][step]:
        early = f.stage[slots] <= Stage.REGISTERED
        hazard[early] *= m.config.strategies.commissioners.reforms.full_agency_drop_factor
    lost = m.streams.after_signing.uniform(step, slots) < per_step(hazard, float(m.calendar.scale[step]))
    if lost.any():
        m._lose(step, slots[lost])
        m.projects = slots[~lost]

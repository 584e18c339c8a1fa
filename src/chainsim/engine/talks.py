"""The talks before a signing: ceremonies, contacted firms' replies, negotiation
(docs/model.md, phases 3–5), on the rows of ``m.talks`` (contacted and negotiating firms).

What strategies change arrives as orders and multipliers (:mod:`.strategies.base`): the
step's ceremonies and the signing-hazard multipliers of marked contacts. The rows that
sign go on to :func:`chainsim.engine.pipeline.sign`. Random numbers are keyed by
(replicate seed, stream, step, firm slot), as everywhere in the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from chainsim.engine import kernels as K
from chainsim.engine.pipeline import Rows, lose
from chainsim.vocabulary import Stage

if TYPE_CHECKING:
    from chainsim.engine.model import ChainModel

REPLY_KEYS = np.array([0, 1 << 62], dtype=np.int64)  # a reply's two uniforms: when, and which


def hold_ceremonies(m: ChainModel, t: int) -> Rows:
    """Phase 4 (*Events*): at a ceremony its invitees still negotiating sign with its close
    probability, and negotiating firms of its targets on no pending list (invited nowhere,
    or held for an event whose day has passed) with ``open_close_prob``; a firm held for
    another event never signs here. The signers' source becomes the ceremony's; the
    ceremony also announces framework agreements (:meth:`Ceremony.framework`)."""
    a, signed = m.talks, []
    for c in m.step_orders.ceremonies:
        stage, invited = a.i("stage"), a.i("invited")
        ready = stage == Stage.NEGOTIATING
        guest = ready & (invited == c.invited) if c.invited >= 0 else np.zeros_like(ready)
        prob = np.where(guest, c.close_prob, 0.0)
        if c.open_prob > 0.0:
            other = ready & ~guest & (a.f("hold_day") <= m.day)
            if c.within.regions:
                other &= np.isin(a.i("region"), c.within.regions)
            if c.within.chains:
                other &= np.isin(a.i("chain"), c.within.chains)
            prob[other] = c.open_prob
        rows = np.flatnonzero(prob > 0.0)
        rows = rows[m.streams.event_close.uniform(t, a.i("rep")[rows], a.i("slot")[rows]) < prob[rows]]
        a.i("source")[rows] = c.source
        stage[rows] = Stage.SIGNED  # so that the negotiation phase and later ceremonies skip them
        if c.name in m.event_index:
            e, rep = m.event_index[c.name], a.i("rep")[rows]
            m.recorder_batch.event(e, rep, a.f("value_yi")[rows])
            projects = np.bincount(rep, minlength=m.n_reps)
            value_yi = np.bincount(rep, weights=a.f("value_yi")[rows], minlength=m.n_reps)
            count, value = c.framework(m.streams, t, projects, value_yi)
            m.recorder_batch.framework(e, count, value)
        signed.append(rows)
    return np.concatenate(signed) if signed else np.zeros(0, dtype=np.int64)


def schedule_replies(m: ChainModel, t: int, rows: Rows) -> None:
    """Phase 3's end: a contacted firm's reply — engage or drop out — is drawn on contact,
    as the day the competing risks fire and which one does. The per-step risks a, b of
    docs/model.md (``engage_prob_per_step``, ``drop_contacted_per_step``) are a constant
    daily rate λ = −ln(1 − a − b) / step_days, so the reply comes an Exp(λ) time after the
    contact step began: the same step, with the same probability, as drawing every step
    (any step length), and the firm costs nothing until then."""
    p, a = m.config.pipeline, m.talks
    rows = rows[a.i("stage")[rows] == Stage.CONTACTED]
    if len(rows) == 0:
        return
    engage = min(p.engage_prob_per_step * float(m.climate.engagement[t]), 1.0)  # the contact step's climate
    drop = p.drop_contacted_per_step
    q = min(engage + drop, 1.0)
    rep, slot = a.i("rep")[rows], a.i("slot")[rows]
    u = m.streams.engage.uniform(t, rep[:, None], slot[:, None] | REPLY_KEYS)
    start = m.day - float(m.calendar.step_len[t])
    if q <= 0.0:
        a.f("due_day")[rows] = np.inf
    else:
        rate = -np.log1p(-q) / m.config.calendar.step_days if q < 1.0 else np.inf
        a.f("due_day")[rows] = start - np.log1p(-u[:, 0]) / rate
    a.b("engages")[rows] = u[:, 1] * q < engage


def negotiate(m: ChainModel, t: int) -> Rows:
    """Phase 5 (*Negotiate*): contacted firms whose reply is due engage or drop out (see
    :func:`schedule_replies`); negotiating firms sign or drop — competing risks with one
    uniform per firm, the signing hazard raised by supplier access and the strategies'
    multipliers. Returns the rows that signed."""
    a, p, s = m.talks, m.config.pipeline, m.streams
    scale = float(m.calendar.scale[t])
    stage, rep, slot = a.i("stage"), a.i("rep"), a.i("slot")
    replies = np.flatnonzero((stage == Stage.CONTACTED) & (a.f("due_day") <= m.day))
    talking = np.flatnonzero(stage == Stage.NEGOTIATING)
    engage = a.b("engages")[replies]
    stage[replies[engage]] = Stage.NEGOTIATING
    hazard = (
        p.sign_prob_per_step
        * float(m.climate.engagement[t])
        * np.exp(p.supplier_access_beta * m.access[rep[talking], a.i("segment")[talking]])
    )
    for strategy in m.marking:
        multiplier = strategy.sign_multiplier(t, m.day, a.f(f"mark_{strategy.key}")[talking])
        if multiplier is not None:
            hazard *= multiplier
    hazard = np.minimum(hazard, 1.0)
    hazard[a.f("hold_day")[talking] > m.day] = 0.0  # prepared for a ceremony: signs there, not before
    sign_p, drop_p = K.competing(hazard, p.drop_negotiating_per_step, scale)
    u = s.negotiate.uniform(t, rep[talking], slot[talking])
    sign = u < sign_p
    lost_t = ~sign & (u < sign_p + drop_p)
    lose(m, t, np.concatenate([replies[~engage], talking[lost_t]]), a)
    return talking[sign]

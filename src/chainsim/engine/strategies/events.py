"""Dated promotion events (推介活动: the Hong Kong promotion F3, the flower fair F9, the
South Asia Expo F11): invitations over the outreach window, a signing ceremony on the day.

An event invites ``outreach_contacts`` firms spread by days over the ``outreach_days``
before its date, from its target regions ∩ chains, ∝ size^``size_bias``: its signing
list. With ``invitees_negotiate`` an invitee starts in talks and signs at the ceremony, not
before (项目储备). On the step that holds the event, its invitees still negotiating sign
with the close probability, uninvited negotiating firms of its targets held for no other
event with ``open_close_prob`` (default 0), and the ceremony announces framework
agreements beside the contracts (docs/model.md, phases 3–4). The ceremony terms come from
the event, else its kind (``event_kinds``). An event is held only while its lever
(``leader_led`` or ``chain_based``) acts.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from chainsim.config.events import resolve_terms
from chainsim.config.schema import Event
from chainsim.engine.calendar import spread_by_length
from chainsim.engine.strategies.base import NEVER, Ceremony, ContactOrder, Context, Strategy, Within, team_key
from chainsim.engine.strategies.registry import register
from chainsim.vocabulary import Source


class Plan:
    """One event's schedule: invitations per step and the step that holds it."""

    def __init__(self, ctx: Context, index: int, eid: str, cfg: Event) -> None:
        cal = ctx.calendar
        self.index, self.eid, self.cfg = index, eid, cfg
        kind = ctx.config.event_kinds.get(cfg.kind) if cfg.kind else None
        self.terms = resolve_terms(cfg, kind, ctx.config.pipeline.event_close_prob)
        self.key = team_key("event/" + eid)
        self.step = cal.step_of(cfg.date)
        lever = getattr(ctx.config.strategies, cfg.lever)
        lever_on = cal.lever_mask(lever.active_from, lever.active_until) & lever.enabled
        self.held = cfg.enabled and 0 <= self.step < cal.n_steps and bool(lever_on[self.step])
        self.day = float(cal.day_end[min(self.step, cal.n_steps - 1)])  # the event's step ends on this day
        self.invites = np.zeros(cal.n_steps, dtype=np.int64)
        first = max(cal.step_of(cfg.date - dt.timedelta(days=cfg.outreach_days)), 0)
        if self.held and self.step > first:
            self.invites[first : self.step] = spread_by_length(
                cfg.outreach_contacts, cal.step_len[first : self.step]
            )
        self.within = Within(
            tuple(ctx.region_ids.index(r) for r in cfg.target_regions),
            tuple(ctx.chains.chain_ids.index(c) for c in cfg.target_chains),
        )


@register
class Events(Strategy):
    """Every event of the scenario: its invitations and its ceremony."""

    key = "events"
    order = 30
    sources = ("event",)

    def __init__(self, model: Context) -> None:
        super().__init__(model)
        self.plans = [Plan(model, i, eid, e) for i, (eid, e) in enumerate(model.config.events.items())]

    def sampling(self) -> list[tuple[Within, float]]:
        return [(p.within, p.terms.size_bias) for p in self.plans if p.invites.any()]

    def contacts(self, t: int) -> list[ContactOrder]:
        R = self.ctx.n_reps
        orders = []
        for p in self.plans:
            k = int(p.invites[t])
            if k == 0:
                continue
            keys = np.tile(np.uint64(p.key << 24) + np.arange(k, dtype=np.uint64), R)
            hold = p.day if p.cfg.invitees_negotiate else NEVER
            rep = np.repeat(np.arange(R), k)
            orders.append(
                ContactOrder(
                    Source.EVENT,
                    p.within,
                    rep,
                    np.zeros(k * R, np.int64),
                    keys,
                    p.terms.size_bias,
                    hold,
                    p.index,
                )
            )
        return orders

    def ceremonies(self, t: int) -> list[Ceremony]:
        return [ceremony(p) for p in self.plans if p.held and p.step == t]


def ceremony(p: Plan) -> Ceremony:
    """The ceremony order of a held event: its signing list and its terms."""
    tr = p.terms
    return Ceremony(
        p.eid,
        p.within,
        tr.close_prob,
        Source.EVENT,
        invited=p.index,
        open_close_prob=tr.open_close_prob,
        framework_per_project=tr.framework_per_project,
        framework_value_factor=tr.framework_value_factor,
        framework_sigma_log=tr.framework_sigma_log,
        key=p.key,
    )

"""Dated promotion events (推介活动): invitations over the outreach window, signings on the day."""

from __future__ import annotations

import datetime as dt

import mesa
import numpy as np

from chainsim.config.schema import Event
from chainsim.engine.calendar import Calendar, spread_by_length
from chainsim.engine.firms import NEVER, Source
from chainsim.engine.strategies.base import ContactOrder, order_keys, team_key


class EventTeam(mesa.Agent):
    """A dated event: invitations spread over the outreach window, signings on the day."""

    def __init__(self, model: mesa.Model, eid: str, cfg: Event, calendar: Calendar, active: bool) -> None:
        super().__init__(model)
        self.eid, self.cfg = eid, cfg
        self.key = team_key("event/" + eid)
        self.step = calendar.step_of(cfg.date)
        self.day = float(
            calendar.day_end[min(self.step, calendar.n_steps - 1)]
        )  # the event's step ends on this day
        self.active = active
        n = calendar.n_steps
        self.invites_per_step = np.zeros(n, dtype=np.int64)
        first = max(calendar.step_of(cfg.date - dt.timedelta(days=cfg.outreach_days)), 0)
        if active and self.step < n:
            if self.step > first:
                self.invites_per_step[first : self.step] = spread_by_length(
                    cfg.outreach_contacts, calendar.step_len[first : self.step]
                )

    def plan(self, step: int) -> ContactOrder | None:
        k = int(self.invites_per_step[step])
        if k == 0:
            return None
        return ContactOrder(
            Source.EVENT,
            f"event:{self.eid}",
            np.zeros(k, dtype=np.int64),
            order_keys(self.key, k),
            self.cfg.size_bias,
            hold_until=self.day if self.cfg.invitees_negotiate else NEVER,
        )

    def holds_event(self, step: int) -> bool:
        return self.active and step == self.step

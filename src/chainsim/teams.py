"""Promotion teams: Mesa agents that decide whom to contact and hand the firm kernel
contact orders. They hold decisions and small state; the firm arrays stay in the model.

- :class:`LeaderTeam` — city or county leaders' outbound trips (“一把手”招商, F4, F5).
- :class:`SectorGroup` — a sector promotion group (产业招商组, F10) aiming at missing links.
- :class:`AnchorLiaison` — “龙头企业+市级部门+区县”: producing anchors refer partners.
- :class:`EventTeam` — a dated promotion event: invitations, then a batch of signings.
- :class:`CommissionerOffice` — chief service commissioners (首席服务专员, F14).
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

import mesa
import numpy as np
from numpy.typing import NDArray

from .calendar import Calendar, spread_by_length
from .firms import NEVER, Source
from .kernels import poisson_from_uniform, poisson_scalar
from .schema import Event, LeaderLed, SectorGroup as SectorGroupConfig


def team_key(name: str) -> int:
    """A stable 32-bit key per team: its random numbers never depend on the other teams."""
    return zlib.crc32(name.encode())


@dataclass(frozen=True)
class ContactOrder:
    """Contact ``len(groups)`` pool firms, one from each listed group.

    ``keys`` name each wanted firm's random numbers (team key << 24 + running number),
    so that one team's draws never depend on which other teams act this step.
    """

    source: Source
    by: str                     # "region" | "segment" | "event:<id>"
    groups: NDArray[np.int64]   # group index per wanted firm
    keys: NDArray[np.uint64]    # random-number key per wanted firm
    size_bias: float = 0.0      # probability ∝ size**bias
    leader: bool = False        # a leader made the contact (signing boost)
    hold_until: float = NEVER   # event invitees: negotiating at once, signing no earlier than this day

    @property
    def engaged(self) -> bool:
        return self.hold_until > NEVER


def order_keys(team_key: int, n: int) -> NDArray[np.uint64]:
    return np.uint64(team_key << 24) + np.arange(n, dtype=np.uint64)


class LeaderTeam(mesa.Agent):
    def __init__(self, model: mesa.Model, level: str, cfg: LeaderLed, calendar: Calendar, region_ids: list[str]) -> None:
        super().__init__(model)
        self.level = level
        self.key = team_key("leader/" + level)
        self.firms_per_trip = cfg.firms_per_city_trip if level == "city" else cfg.firms_per_county_trip
        self.size_bias = cfg.size_bias
        n = calendar.n_steps
        self.trips_per_step = np.zeros(n, dtype=np.int64)
        self.dest_cum = np.zeros((n, len(region_ids)))
        active = calendar.lever_mask(cfg.active_from, cfg.active_until) if cfg.enabled else np.zeros(n, bool)
        start = np.datetime64(calendar.cfg.start_date, "D")
        for w in cfg.trips.values():
            if w.level != level:
                continue
            in_window = calendar.steps_between(w.start, w.end) & (calendar.date_end >= start)  # burn-in: see below
            shares = np.array([w.destinations.get(r, 0.0) for r in region_ids])
            self.dest_cum[in_window] = np.cumsum(shares / shares.sum())
            self.trips_per_step[in_window] = calendar.spread_over(w.trips, w.start, w.end)[in_window]
            if w.start <= calendar.cfg.start_date <= w.end and calendar.burn_in:
                # burn-in runs at the rate (trips a day) of the window in force at start_date
                burn = calendar.date_end < start
                days = (w.end - w.start).days + 1
                self.trips_per_step[burn] = spread_by_length(w.trips * calendar.step_len[burn].sum() / days, calendar.step_len[burn])
                self.dest_cum[burn] = self.dest_cum[in_window][0]
        self.trips_per_step[~active] = 0

        # The whole run's destinations, drawn once (same numbers as drawing each step).
        self._offsets = np.concatenate(([0], np.cumsum(self.trips_per_step)))
        steps = np.repeat(np.arange(n), self.trips_per_step)
        nth = np.arange(len(steps)) - self._offsets[steps]
        u = model.streams.trip_destination.uniform_at(steps, np.uint64(self.key << 24) + nth.astype(np.uint64))
        cum = self.dest_cum[steps]
        self._dest = np.minimum((cum <= u[:, None]).sum(axis=1), len(region_ids) - 1)

    def plan(self, step: int) -> ContactOrder | None:
        dest = self._dest[self._offsets[step]:self._offsets[step + 1]]
        if len(dest) == 0 or self.firms_per_trip == 0:
            return None
        groups = np.repeat(dest, self.firms_per_trip)
        return ContactOrder(Source.LEADER_TRIP, "region", groups, order_keys(self.key, len(groups)), self.size_bias, leader=True)


class SectorGroup(mesa.Agent):
    """A sector promotion group: contacts spread over its chains' segments, a share
    ``targeting_precision`` of them aimed at the segments that are missing links."""

    def __init__(self, model: mesa.Model, gid: str, cfg: SectorGroupConfig, segments: NDArray[np.int64], n_segments: int) -> None:
        super().__init__(model)
        self.gid, self.cfg, self.segments, self.n_segments = gid, cfg, segments, n_segments
        self.key = team_key("group/" + gid)
        self._cached: tuple[bytes, NDArray[np.float64]] | None = None

    def targeting(self, missing: NDArray[np.bool_], precision: float) -> NDArray[np.float64]:
        """Probability of each segment (over all chains) being the target of a contact."""
        gaps = missing[self.segments]
        if self._cached is None or self._cached[0] != gaps.tobytes():
            w = np.zeros(self.n_segments)
            w[self.segments] = (1.0 - precision) / len(self.segments) if gaps.any() else 1.0 / len(self.segments)
            if gaps.any():
                w[self.segments[gaps]] += precision / gaps.sum()
            self._cached = (gaps.tobytes(), w)
        return self._cached[1]


class SectorGroupPlan:
    """The sector groups' contacts for the whole run: counts and target draws are made
    once at start-up; which segments they hit is decided each step from the missing links."""

    def __init__(self, groups: list[SectorGroup], scale: NDArray[np.float64]) -> None:
        self.groups = groups
        n_steps = len(scale)
        if not groups:
            return
        streams = groups[0].model.streams
        G = len(groups)
        keys = np.array([g.key for g in groups], dtype=np.uint64)
        rates = np.array([g.cfg.contacts_per_step for g in groups])
        steps = np.repeat(np.arange(n_steps), G)
        counts = poisson_from_uniform(np.outer(scale, rates).ravel(), streams.poisson_counts.uniform_at(steps, np.tile(keys, n_steps)))
        counts = counts.reshape(n_steps, G)
        self.offsets = np.concatenate(([0], np.cumsum(counts.sum(axis=1))))
        flat = counts.ravel()
        self.who = np.repeat(np.tile(np.arange(G), n_steps), flat)
        draw_steps = np.repeat(steps, flat)
        starts = np.concatenate(([0], np.cumsum(flat)))[:-1]
        nth = np.arange(flat.sum()) - np.repeat(starts, flat)
        self.keys = (np.uint64(1) * keys[self.who] << np.uint64(24)) + nth.astype(np.uint64)
        self.u = streams.target_choice.uniform_at(draw_steps, self.keys)
        self._cum_key: bytes | None = None

    def plan(self, step: int, missing: NDArray[np.bool_], precision: float) -> ContactOrder | None:
        if not self.groups or self.offsets[step] == self.offsets[step + 1]:
            return None
        if self._cum_key != missing.tobytes():
            self._cum = np.cumsum(np.stack([g.targeting(missing, precision) for g in self.groups]), axis=1)
            self._cum /= self._cum[:, -1:]
            self._cum_key = missing.tobytes()
        sl = slice(self.offsets[step], self.offsets[step + 1])
        who, u = self.who[sl], self.u[sl]
        seg = np.minimum((self._cum[who] <= u[:, None]).sum(axis=1), self._cum.shape[1] - 1)
        return ContactOrder(Source.CHAIN_GROUP, "segment", seg, self.keys[sl])


class AnchorLiaison(mesa.Agent):
    """Producing anchor firms refer upstream/downstream partners (F10)."""

    def __init__(self, model: mesa.Model, neighbours: list[NDArray[np.int64]], prob: float) -> None:
        super().__init__(model)
        self.prob = prob
        self.key = team_key("anchor_referral")
        self.degree = np.array([len(n) for n in neighbours])
        width = max(int(self.degree.max()), 1) if len(neighbours) else 1
        self.table = np.array([np.pad(n, (0, width - len(n)), constant_values=i) for i, n in enumerate(neighbours)], dtype=np.int64).reshape(len(neighbours), width)

    def plan(self, step: int, producing_anchors: NDArray[np.int64], scale: float = 1.0) -> ContactOrder | None:
        # Poisson referrals per segment = one Poisson total, shared out ∝ each segment's rate
        lam = np.where(self.degree > 0, producing_anchors, 0) * (1.0 - (1.0 - self.prob) ** scale)  # referrals go to neighbours
        total = float(lam.sum())
        streams = self.model.streams
        n = poisson_scalar(total, float(streams.poisson_counts.uniform(step, np.array([self.key], dtype=np.uint64))[0]))
        if n == 0:
            return None
        u = streams.referral_target.uniform_range(step, 2 * n, offset=self.key << 24).reshape(n, 2)
        referrer = np.minimum(np.searchsorted(np.cumsum(lam), u[:, 0] * total, side="right"), len(lam) - 1)
        deg = self.degree[referrer]
        partner = self.table[referrer, np.minimum((u[:, 1] * deg).astype(np.int64), np.maximum(deg - 1, 0))]
        return ContactOrder(Source.ANCHOR_REFERRAL, "segment", partner, order_keys(self.key, n))


class EventTeam(mesa.Agent):
    """A dated event: invitations spread over the outreach window, signings on the day."""

    def __init__(self, model: mesa.Model, eid: str, cfg: Event, calendar: Calendar, active: bool) -> None:
        super().__init__(model)
        self.eid, self.cfg = eid, cfg
        self.key = team_key("event/" + eid)
        self.step = calendar.step_of(cfg.date)
        self.day = float(calendar.day_end[min(self.step, calendar.n_steps - 1)])  # the event's step ends on this day
        self.active = active
        n = calendar.n_steps
        self.invites_per_step = np.zeros(n, dtype=np.int64)
        first = max(calendar.step_of(cfg.date - dt.timedelta(days=cfg.outreach_days)), 0)
        if active and self.step < n:
            if self.step > first:
                self.invites_per_step[first:self.step] = spread_by_length(cfg.outreach_contacts, calendar.step_len[first:self.step])

    def plan(self, step: int) -> ContactOrder | None:
        k = int(self.invites_per_step[step])
        if k == 0:
            return None
        return ContactOrder(Source.EVENT, f"event:{self.eid}", np.zeros(k, dtype=np.int64), order_keys(self.key, k), self.cfg.size_bias,
                            hold_until=self.day if self.cfg.invitees_negotiate else NEVER)

    def holds_event(self, step: int) -> bool:
        return self.active and step == self.step


class CommissionerOffice(mesa.Agent):
    """Assigns free commissioner slots to the largest signed projects not yet served."""

    def __init__(self, model: mesa.Model, slots: int, min_value_yi: float, active: NDArray[np.bool_]) -> None:
        super().__init__(model)
        self.slots, self.min_value_yi, self.active = slots, min_value_yi, active

    def assign(self, step: int, candidates: NDArray[np.int64], value_yi: NDArray[np.float64], in_service: int) -> NDArray[np.int64]:
        free = self.slots - in_service if self.active[step] else 0
        if free <= 0 or len(candidates) == 0:
            return np.zeros(0, dtype=np.int64)
        eligible = candidates[value_yi[candidates] >= self.min_value_yi]
        if len(eligible) <= free:
            return eligible
        # largest first; ties by slot so the choice is deterministic
        order = np.lexsort((eligible, -value_yi[eligible]))
        return eligible[order[:free]]

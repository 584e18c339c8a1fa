"""Leader-led promotion (“一把手”招商, F4, F5): city and county leaders' outbound trips.

A dated schedule of trips per level (``strategies.leader_led.trips``); a window's trips
are spread over its steps by days; each trip goes to a destination drawn from the
window's shares and contacts firms of that region, ∝ size^(the level's size bias:
``size_bias_city`` / ``size_bias_county``, else ``size_bias``). A level's mean firms per
trip m (``firms_per_city_trip`` / ``firms_per_county_trip``, S2: ≈ 4.7 for city trips) may
be fractional: the level's j-th trip of the run contacts ⌊(j+1)·m⌋ − ⌊j·m⌋ firms, a
deterministic spread that keeps the reported mean exactly and adds no variance the sources
do not report (an integer m gives m every trip). A firm a leader contacted signs faster for a while:
its signing hazard × (1 + ``leader_boost`` · exp(−days since the contact /
``leader_boost_decay_days``)) (docs/model.md, phases 3 and 5). Events with ``lever:
leader_led`` are held by :mod:`.events` while this strategy acts.
"""

from __future__ import annotations

import numpy as np

from chainsim.engine.calendar import spread_by_length
from chainsim.engine.strategies.base import F64, I64, ContactOrder, Context, Strategy, team_key
from chainsim.engine.strategies.registry import register
from chainsim.vocabulary import Source

LEVELS = ("city", "county")


@register
class LeaderLed(Strategy):
    """City and county leaders' trips (one plan per level), and the boost they give."""

    key = "leader_led"
    order = 10
    sources = ("leader_trip",)
    marks_contacts = True

    def __init__(self, model: Context) -> None:
        super().__init__(model)
        cfg, cal = model.config.strategies.leader_led, model.calendar
        self.cfg, self.pipeline = cfg, model.config.pipeline
        n, R = cal.n_steps, model.n_reps
        active = cal.lever_mask(cfg.active_from, cfg.active_until) if cfg.enabled else np.zeros(n, bool)
        self.levels = []
        for level in LEVELS:
            trips, dest_cum = self._schedule(model, level)
            trips[~active] = 0
            per_trip = cfg.firms_per_city_trip if level == "city" else cfg.firms_per_county_trip
            # firms contacted by the run's first j trips of the level (the deterministic spread)
            firms_cum = np.floor(np.arange(trips.sum() + 1) * per_trip + 1e-9).astype(np.int64)
            key = team_key("leader/" + level)
            # the whole run's destinations, drawn once per replicate (the same numbers as drawing each step)
            offsets = np.concatenate(([0], np.cumsum(trips)))
            steps = np.repeat(np.arange(n), trips)
            nth = (np.arange(len(steps)) - offsets[steps]).astype(np.uint64)
            keys = np.uint64(key << 24) + nth
            rep = np.repeat(np.arange(R), len(steps))
            u = model.streams.trip_destination.uniform_at(np.tile(steps, R), rep, np.tile(keys, R))
            cum = np.tile(dest_cum[steps], (R, 1))
            dest = np.minimum((cum <= u[:, None]).sum(axis=1), len(model.region_ids) - 1).reshape(
                R, len(steps)
            )
            self.levels.append((level, trips, offsets, dest, firms_cum, cfg.bias(level), key))

    @staticmethod
    def _schedule(model: Context, level: str) -> tuple[I64, F64]:
        """Trips per step and the destination shares (cumulative) in force at each step."""
        cfg, cal, region_ids = model.config.strategies.leader_led, model.calendar, model.region_ids
        n = cal.n_steps
        trips = np.zeros(n, dtype=np.int64)
        dest_cum = np.zeros((n, len(region_ids)))
        start = np.datetime64(cal.cfg.start_date, "D")
        for w in cfg.trips.values():
            if w.level != level:
                continue
            in_window = cal.steps_between(w.start, w.end) & (cal.date_end >= start)
            shares = np.array([w.destinations.get(r, 0.0) for r in region_ids])
            dest_cum[in_window] = np.cumsum(shares / shares.sum())
            trips[in_window] = cal.spread_over(w.trips, w.start, w.end)[in_window]
            if w.start <= cal.cfg.start_date <= w.end and cal.burn_in:
                # the burn-in runs at the rate (trips a day) of the window in force at start_date
                burn = cal.date_end < start
                days = (w.end - w.start).days + 1
                trips[burn] = spread_by_length(w.trips * cal.step_len[burn].sum() / days, cal.step_len[burn])
                dest_cum[burn] = dest_cum[in_window][0]
        return trips, dest_cum

    def sampling(self) -> list[tuple[str, float]]:
        return [("region", bias) for *_, firms_cum, bias, _ in self.levels if firms_cum[-1]]

    def contacts(self, t: int) -> list[ContactOrder]:
        orders, R = [], self.ctx.n_reps
        for _, _, offsets, dest, firms_cum, bias, key in self.levels:
            a, b = offsets[t], offsets[t + 1]
            k = int(firms_cum[b] - firms_cum[a])
            if k == 0:
                continue
            # replicate r's trips of this step, each repeated for the firms it contacts
            groups = np.repeat(dest[:, a:b], np.diff(firms_cum[a : b + 1]), axis=1).ravel()
            keys = np.tile(np.uint64(key << 24) + np.arange(k, dtype=np.uint64), R)
            orders.append(
                ContactOrder(Source.LEADER_TRIP, "region", np.repeat(np.arange(R), k), groups, keys, bias)
            )
        return orders

    def sign_multiplier(self, t: int, day: float, mark_day: F64) -> F64:
        p = self.pipeline
        return 1.0 + p.leader_boost * np.exp((mark_day - day) / p.leader_boost_decay_days)

    def tally(self, t: int) -> dict[str, float]:
        return {f"{level}_leader_trips": float(trips[t]) for level, trips, *_ in self.levels if trips[t]}

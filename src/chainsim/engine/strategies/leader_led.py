"""Leader-led promotion (“一把手”招商, F4, F5): city and county leaders' outbound trips."""

from __future__ import annotations

import mesa
import numpy as np

from chainsim.config.schema import LeaderLed
from chainsim.engine.calendar import Calendar, spread_by_length
from chainsim.engine.firms import Source
from chainsim.engine.strategies.base import ContactOrder, order_keys, team_key


class LeaderTeam(mesa.Agent):
    def __init__(
        self, model: mesa.Model, level: str, cfg: LeaderLed, calendar: Calendar, region_ids: list[str]
    ) -> None:
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
            in_window = calendar.steps_between(w.start, w.end) & (
                calendar.date_end >= start
            )  # burn-in: see below
            shares = np.array([w.destinations.get(r, 0.0) for r in region_ids])
            self.dest_cum[in_window] = np.cumsum(shares / shares.sum())
            self.trips_per_step[in_window] = calendar.spread_over(w.trips, w.start, w.end)[in_window]
            if w.start <= calendar.cfg.start_date <= w.end and calendar.burn_in:
                # burn-in runs at the rate (trips a day) of the window in force at start_date
                burn = calendar.date_end < start
                days = (w.end - w.start).days + 1
                self.trips_per_step[burn] = spread_by_length(
                    w.trips * calendar.step_len[burn].sum() / days, calendar.step_len[burn]
                )
                self.dest_cum[burn] = self.dest_cum[in_window][0]
        self.trips_per_step[~active] = 0

        # The whole run's destinations, drawn once (same numbers as drawing each step).
        self._offsets = np.concatenate(([0], np.cumsum(self.trips_per_step)))
        steps = np.repeat(np.arange(n), self.trips_per_step)
        nth = np.arange(len(steps)) - self._offsets[steps]
        u = model.streams.trip_destination.uniform_at(
            steps, np.uint64(self.key << 24) + nth.astype(np.uint64)
        )
        cum = self.dest_cum[steps]
        self._dest = np.minimum((cum <= u[:, None]).sum(axis=1), len(region_ids) - 1)

    def plan(self, step: int) -> ContactOrder | None:
        dest = self._dest[self._offsets[step] : self._offsets[step + 1]]
        if len(dest) == 0 or self.firms_per_trip == 0:
            return None
        groups = np.repeat(dest, self.firms_per_trip)
        return ContactOrder(
            Source.LEADER_TRIP,
            "region",
            groups,
            order_keys(self.key, len(groups)),
            self.size_bias,
            leader=True,
        )

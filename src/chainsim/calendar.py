"""Steps ↔ calendar dates, lever dates during burn-in, and periods.

Step ``s`` covers the days ``(day_end(s) - step_days, day_end(s)]`` counted from the
simulation start; its flows belong to the period that contains its end date. Burn-in
steps (before ``start_date``) run on the levers in force at ``start_date``: their
*lever date* is ``start_date``.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from numpy.typing import NDArray

from .schema import Calendar as CalendarConfig


class Calendar:
    def __init__(self, cfg: CalendarConfig) -> None:
        self.cfg = cfg
        self.step_days = cfg.step_days
        self.burn_in = cfg.burn_in_steps
        reported_days = (cfg.end_date - cfg.start_date).days + 1
        self.n_steps = self.burn_in + math.ceil(reported_days / cfg.step_days)
        self.sim_start = cfg.start_date - dt.timedelta(days=self.burn_in * cfg.step_days)
        steps = np.arange(self.n_steps)
        #: simulation day (days since sim_start) at the end of each step
        self.day_end: NDArray[np.int64] = (steps + 1) * cfg.step_days
        first = np.datetime64(self.sim_start, "D")
        #: calendar date of the last day of each step
        self.date_end: NDArray[np.datetime64] = first + (self.day_end - 1).astype("timedelta64[D]")
        start = np.datetime64(cfg.start_date, "D")
        self.lever_date: NDArray[np.datetime64] = np.maximum(self.date_end, start)

    def day_of(self, date: dt.date) -> int:
        """Simulation day of a calendar date (the day's end)."""
        return (date - self.sim_start).days + 1

    def step_of(self, date: dt.date) -> int:
        """The step whose days contain ``date`` (may be outside the run)."""
        return (self.day_of(date) - 1) // self.step_days

    def steps_between(self, start: dt.date, end: dt.date) -> NDArray[np.bool_]:
        """Mask of steps whose end date lies in [start, end]."""
        return (self.date_end >= np.datetime64(start, "D")) & (self.date_end <= np.datetime64(end, "D"))

    def lever_mask(self, active_from: dt.date | None, active_until: dt.date | None) -> NDArray[np.bool_]:
        """Steps on which a lever with this active window acts (by lever date)."""
        mask = np.ones(self.n_steps, dtype=bool)
        if active_from is not None:
            mask &= self.lever_date >= np.datetime64(active_from, "D")
        if active_until is not None:
            mask &= self.lever_date <= np.datetime64(active_until, "D")
        return mask

    def date(self, step: int) -> dt.date:
        return self.sim_start + dt.timedelta(days=int(self.day_end[step]) - 1)


def spread_evenly(total: float, n: int) -> NDArray[np.int64]:
    """Split ``total`` events over ``n`` steps as integers whose sum is round(total)."""
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    cum = np.floor(total * np.arange(n + 1) / n + 0.5).astype(np.int64)
    return np.diff(cum)

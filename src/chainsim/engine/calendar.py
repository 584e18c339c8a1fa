"""Steps ↔ calendar dates, lever dates during burn-in, and periods.

Step ``s`` covers the days ``(day_end[s] - step_len[s], day_end[s]]`` counted from the
simulation start; its flows belong to the period that contains its end date. Reported
steps are ``step_days`` long but restart on the first of every month (the month's last
step takes the remainder), so months and half-years hold whole steps. Burn-in steps (before ``start_date``) may be longer
(``burn_in_step_days``): the burn-in only has to bring the pipeline to its steady state,
and a coarser spin-up gets there in fewer steps. Per-step hazards and counts are scaled
to a step's length (``scale[s]`` = step length / ``step_days``). Burn-in steps run on the
levers in force at ``start_date``: their *lever date* is ``start_date``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from numpy.typing import NDArray

from chainsim.config.schema import Calendar as CalendarConfig

NEVER = np.float64(-1e9)  # "no such day" for day-valued arrays


class Calendar:
    def __init__(self, cfg: CalendarConfig) -> None:
        self.cfg = cfg
        self.step_days = cfg.step_days
        burn_len = cfg.burn_in_step_days or cfg.step_days
        settle = [cfg.step_days] * (cfg.burn_in_settle_days // cfg.step_days) if cfg.burn_in_steps else []
        burn = [burn_len] * cfg.burn_in_steps + settle
        reported = month_aligned_steps(cfg.start_date, cfg.end_date, cfg.step_days)
        #: number of burn-in steps (coarse ones, then the settling ones)
        self.burn_in = len(burn)
        self.n_steps = self.burn_in + len(reported)
        #: length of each step in days, and as a multiple of step_days
        self.step_len: NDArray[np.int64] = np.array(burn + reported, dtype=np.int64)
        self.scale: NDArray[np.float64] = self.step_len / cfg.step_days
        self.sim_start = cfg.start_date - dt.timedelta(days=sum(burn))
        #: simulation day (days since sim_start) at the end of each step
        self.day_end: NDArray[np.int64] = np.cumsum(self.step_len)
        first = np.datetime64(self.sim_start, "D")
        #: calendar date of the last day of each step
        self.date_end: NDArray[np.datetime64] = first + (self.day_end - 1).astype("timedelta64[D]")
        start = np.datetime64(cfg.start_date, "D")
        self.lever_date: NDArray[np.datetime64] = np.maximum(self.date_end, start)

    def day_of(self, date: dt.date) -> int:
        """Simulation day of a calendar date (the day's end)."""
        return (date - self.sim_start).days + 1

    def step_of(self, date: dt.date) -> int:
        """The step whose days contain ``date`` (``n_steps`` if after the run, −1 before)."""
        day = self.day_of(date)
        return -1 if day < 1 else int(np.searchsorted(self.day_end, day, side="left"))

    def step_at_day(self, day: float) -> int:
        """The step whose days contain simulation day ``day``."""
        return int(np.searchsorted(self.day_end, day, side="left"))

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

    def spread_over(self, total: float, start: dt.date, end: dt.date) -> NDArray[np.int64]:
        """Per-step counts of ``total`` events spread evenly over the days start … end,
        counted at each step's last day (integers; those inside the run sum to the
        window's share of round(total), even when the window runs past the calendar)."""
        days = (end - start).days + 1
        covered = np.clip(self.day_end - (self.day_of(start) - 1), 0, days)
        cum = np.floor(total * covered / days + 0.5).astype(np.int64)
        return np.diff(np.concatenate(([0], cum)))

    def date(self, step: int) -> dt.date:
        return self.sim_start + dt.timedelta(days=int(self.day_end[step]) - 1)


def month_aligned_steps(start: dt.date, end: dt.date, step_days: int) -> list[int]:
    """Step lengths from ``start`` to ``end`` (inclusive) that restart on the first of
    every month: ``step_days``-long steps, the month's last step taking the remainder
    (a remainder under half a step joins the step before). Every month, quarter and
    half-year then holds whole steps, so period totals have no aliasing (a plain weekly
    grid gives one half-year 25 steps and the next 26)."""
    lengths: list[int] = []
    day = start
    while day <= end:
        nxt = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        days = (min(nxt, end + dt.timedelta(days=1)) - day).days
        n = max(1, int(days // step_days))
        if days - n * step_days >= step_days / 2:
            n += 1
        parts = [step_days] * (n - 1) + [days - step_days * (n - 1)]
        if parts[-1] <= 0:  # fewer days left than steps: split evenly
            parts = [days // n + (1 if i < days % n else 0) for i in range(n)]
        lengths.extend(parts)
        day = min(nxt, end + dt.timedelta(days=1))
    return lengths


def spread_evenly(total: float, n: int) -> NDArray[np.int64]:
    """Split ``total`` events over ``n`` steps as integers whose sum is round(total)."""
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    cum = np.floor(total * np.arange(n + 1) / n + 0.5).astype(np.int64)
    return np.diff(cum)


def spread_by_length(total: float, lengths: NDArray[np.integer]) -> NDArray[np.int64]:
    """Split ``total`` events over steps of the given lengths in proportion to their days,
    as integers whose sum is round(total)."""
    if len(lengths) == 0:
        return np.zeros(0, dtype=np.int64)
    days = np.concatenate(([0], np.cumsum(lengths)))
    cum = np.floor(total * days / days[-1] + 0.5).astype(np.int64)
    counts: NDArray[np.int64] = np.diff(cum)
    return counts


def per_step(p: float | NDArray[np.float64], scale: float) -> float | NDArray[np.float64]:
    """A per-step probability over a step ``scale`` times the nominal length."""
    return p if scale == 1.0 else 1.0 - (1.0 - np.asarray(p)) ** scale

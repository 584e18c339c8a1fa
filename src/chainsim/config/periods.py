"""The scenario's time sections: the simulated calendar (with its burn-in) and the
reporting periods and signing cohorts that summary.json is cut into.

Re-exported by :mod:`chainsim.config.schema`, whose :class:`~chainsim.config.schema.Scenario`
checks them against the events and each other.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from chainsim.config.base import Strict


class Calendar(Strict):
    start_date: dt.date = Field(
        dt.date(2022, 1, 1), description="First reported day. Steps before it are burn-in."
    )
    end_date: dt.date = Field(
        dt.date(2023, 8, 31), description="Last simulated day (≥ 2023-08-31 so F5 and F11 fall inside)."
    )
    step_days: int = Field(7, ge=1, le=31, description="Days per step (a week by default).")
    burn_in_steps: int = Field(
        65,
        ge=0,
        le=5000,
        description="Steps run before start_date on the levers in force at start_date, so the pipeline is in steady state when reporting starts. Assumption: 5 years, enough for funds and production flows to level off.",
    )
    burn_in_step_days: int | None = Field(
        28,
        ge=1,
        le=366,
        description="Length of a burn-in step in days (None: step_days). A coarser spin-up reaches the steady state in fewer steps; hazards and counts are scaled to the step length.",
    )
    burn_in_settle_days: int = Field(
        91,
        ge=0,
        le=3660,
        description="After the coarse burn-in steps, this many days run at step_days before start_date, so that the stocks that depend on the step length settle before reporting starts.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Calendar:
        if self.end_date <= self.start_date:
            raise ValueError(f"end_date ({self.end_date}) must be after start_date ({self.start_date})")
        if (self.end_date - self.start_date).days > 366 * 60:
            raise ValueError("the horizon start_date→end_date must be at most 60 years")
        # the burn-in's first day, exactly as the engine's Calendar lays out its steps
        burn = self.burn_in_steps * (self.burn_in_step_days or self.step_days)
        settle = (self.burn_in_settle_days // self.step_days) * self.step_days if self.burn_in_steps else 0
        try:
            first = self.start_date - dt.timedelta(days=burn + settle)
        except OverflowError:
            first = None
        if first is None or first < dt.date(1900, 1, 1):
            raise ValueError(
                f"the burn-in ({self.burn_in_steps} steps of {self.burn_in_step_days or self.step_days} days"
                f" + {settle} settling days before start_date {self.start_date}) would start "
                f"{'before year 1' if first is None else f'on {first}'}; it must start in 1900 or later "
                "(fewer or shorter burn-in steps, or a later start_date)"
            )
        return self


class Period(Strict):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"period end ({self.end}) is before start ({self.start})")
        return self


class Cohort(Strict):
    signed_from: dt.date
    signed_until: dt.date
    as_of: dt.date
    min_value_yi: float = Field(
        0.0,
        ge=0,
        description="Only signings at least this large (F16 does not state the threshold for 'major'; assumption).",
    )
    industrial_only: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Cohort:
        if self.signed_until < self.signed_from:
            raise ValueError("signed_until is before signed_from")
        if self.as_of < self.signed_from:
            raise ValueError("as_of is before signed_from")
        return self


class Reporting(Strict):
    periods: dict[str, Period] = Field(default_factory=dict)
    cohorts: dict[str, Cohort] = Field(default_factory=dict)

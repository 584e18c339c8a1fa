"""The three calibration files' schemas: the run config, the targets and the priors.

Validated by :func:`chainsim.calibration.config.load_calibration`, which also
cross-checks them against the base scenario.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, model_validator

from chainsim.config.base import Strict

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
FactsId = Annotated[
    str, Field(pattern=r"^F\d+[a-z]?$", description="FACTS ID, e.g. F2a (../shared/reference/FACTS.md).")
]


# --------------------------------------------------------------------------- targets
class Target(Strict):
    """One reported figure and how the simulation is compared with it."""

    facts: FactsId
    label_en: Text
    label_zh: Text = Field(description="Chinese term of the indicator (中文).")
    metric: str | None = Field(
        None,
        min_length=1,
        description="summary.json path whose mean is compared, e.g. periods.2023H1.funds_in_place_yi.",
    )
    ratio_of: tuple[str, str] | None = Field(
        None,
        description="[numerator, denominator] summary.json paths: year-on-year growth as the ratio of period means.",
    )
    value: float = Field(
        description="The reported value (a ratio for ratio_of targets: 1.1937 for +19.37 %)."
    )
    unit: Text = Field(description="Unit of value, e.g. 亿元, 亿美元, projects, share, days, ratio.")
    rounding: float = Field(
        ge=0, description="Half the last reported digit: the rounding error of the figure."
    )
    discrepancy: float = Field(
        gt=0,
        description="Model-discrepancy allowance in the unit: how far a good model may sit from the figure.",
    )
    discrepancy_reason: Text
    band: tuple[float, float] | None = Field(
        None,
        description="Acceptable band: no penalty inside it, (distance to the band)/sigma outside (for single cases such as F1).",
    )
    tolerance: float = Field(
        gt=0,
        description="Acceptance tolerance (absolute, in the unit) used by the fit report's within-tolerance column.",
    )
    weight: float = Field(1.0, gt=0, le=100, description="Weight of z² in the distance (1 unless stated).")

    @model_validator(mode="after")
    def _one_metric(self) -> Target:
        if (self.metric is None) == (self.ratio_of is None):
            raise ValueError("give exactly one of 'metric' or 'ratio_of'")
        if self.band is not None and not self.band[0] <= self.value <= self.band[1]:
            raise ValueError(f"band {list(self.band)} must contain value {self.value}")
        return self

    @property
    def sigma(self) -> float:
        """Standard uncertainty: rounding and model discrepancy, added in quadrature."""
        return math.hypot(self.rounding, self.discrepancy)

    @property
    def paths(self) -> tuple[str, ...]:
        return (self.metric,) if self.metric else tuple(self.ratio_of or ())


class TargetsFile(Strict):
    source: Text = Field(description="Where the figures come from.")
    targets: dict[Name, Target] = Field(min_length=1)


# --------------------------------------------------------------------------- priors
class Prior(Strict):
    """A uniform prior over one estimated parameter (log-uniform when scale: log)."""

    path: str | list[str] | None = Field(
        None, description="Scenario field(s) set to the value (dotted, as for --set)."
    )
    multiply: str | list[str] | None = Field(
        None, description="Scenario field(s) multiplied by the value ('*' matches any key at one level)."
    )
    balance: list[str] | None = Field(
        None,
        description=(
            "With path: fields rescaled together so that the path's field and these keep their base sum "
            "(shares that must add up, e.g. the funds_* disbursement shares: setting the registration "
            "share scales the other three in proportion)."
        ),
    )
    low: float
    high: float
    scale: Literal["linear", "log"] = "linear"
    reason: Text = Field(description="Why this range: a PRIORS row, a FACTS ID, or the stated assumption.")

    @model_validator(mode="after")
    def _range(self) -> Prior:
        if (self.path is None) == (self.multiply is None):
            raise ValueError("give exactly one of 'path' or 'multiply'")
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.scale == "log" and self.low <= 0:
            raise ValueError(f"a log-scale prior needs low > 0 (got {self.low})")
        if self.balance is not None and (self.path is None or not isinstance(self.path, str)):
            raise ValueError("balance needs a single 'path' (the share that is set)")
        return self

    @property
    def patterns(self) -> list[str]:
        p = self.path if self.path is not None else self.multiply
        return [p] if isinstance(p, str) else list(p or [])


class PriorsFile(Strict):
    parameters: dict[Name, Prior] = Field(min_length=1)
    fixed_note: Text = Field(description="What stays fixed and why (shown in the report).")


# --------------------------------------------------------------------------- run config
class CalibrationConfig(Strict):
    name: Name = Field(description="Stem of every output file: <name>.history.db, <name>.posterior.csv, …")
    base_scenario: Text = Field(
        description="Scenario the parameters are applied to (relative to this file). Must not extend the calibrated YAML."
    )
    targets: Text = Field(description="Targets file (relative to this file).")
    priors: Text = Field(description="Priors file (relative to this file).")
    fixed: list[str] = Field(
        default_factory=list,
        description="Extra --set overrides applied to the base during calibration only (e.g. a smaller pool in tests).",
    )
    method: Literal["emulator", "abc_smc"] = Field(
        "emulator",
        description=(
            "emulator: waves of designs, emulators of every statistic and MCMC on the emulated likelihood "
            "(calibration/waves.py); abc_smc: pyabc ABC-SMC on replicate means (calibration/abc.py). "
            "docs/calibration.md compares them."
        ),
    )
    omit_targets: list[Name] = Field(
        default_factory=list,
        description="Targets left out of this calibration (e.g. the South Asia Expo's, to predict them out of sample).",
    )
    omit_parameters: list[Name] = Field(
        default_factory=list,
        description="Priors left out (the field keeps its base value), e.g. a parameter only the omitted targets inform.",
    )
    waves: int = Field(
        3, ge=1, le=20, description="emulator: waves of design points (the first over the prior)."
    )
    wave_points: int = Field(
        1500, ge=20, le=1_000_000, description="emulator: design points simulated in each wave."
    )
    final_wave_points: int | None = Field(
        None,
        ge=20,
        le=1_000_000,
        description="emulator: design points of the last wave (null: wave_points); gp_points of them make the residual GPs.",
    )
    final_wave_replicates: int | None = Field(
        None,
        ge=1,
        le=100,
        description=(
            "emulator: replicates per design point in the last wave (null: replicates_per_particle). The "
            "last wave's points are where the posterior is: their noise, var/R, is what limits the emulators there."
        ),
    )
    gp_points: int = Field(
        600,
        ge=30,
        le=5000,
        description="emulator: design points each residual GP is fitted on (the most recent ones; cost grows as its square in the MCMC).",
    )
    sampler: Literal["smc", "mcmc"] = Field(
        "smc",
        description=(
            "emulator: how each wave's emulated posterior is sampled — tempered sequential Monte Carlo "
            "(smc_*; its diagnostic is the agreement of independent runs) or emcee (mcmc_*)."
        ),
    )
    smc_particles: int = Field(1000, ge=50, le=1_000_000, description="emulator, smc: particles of each run.")
    smc_moves: int = Field(
        160,
        ge=5,
        le=10_000,
        description=(
            "emulator, smc: random-walk moves per temperature in the last wave (the earlier waves, which only "
            "place the next design, use a quarter). More moves, not more particles, make runs agree."
        ),
    )
    smc_runs: int = Field(
        2,
        ge=1,
        le=64,
        description=(
            "emulator, smc: independent runs in the last wave, pooled; two or more give the diagnostic "
            "(the implied effective sample size of their agreement, ≥ 150 to pass)."
        ),
    )
    recovery_moves: int | None = Field(
        None,
        ge=5,
        le=10_000,
        description=(
            "emulator, smc: moves per temperature of each recovery-check fit (--recovery); null: a quarter "
            "of smc_moves (a reduced per-fit budget, stated in the check's report)."
        ),
    )
    mcmc_walkers: int = Field(
        128, ge=8, le=10_000, description="emulator: emcee walkers (at least 2 × parameters)."
    )
    mcmc_steps: int = Field(
        4000, ge=100, le=1_000_000, description="emulator: MCMC steps per wave (the first half is burn-in)."
    )
    mcmc_final_max_steps: int | None = Field(
        None,
        ge=100,
        le=1_000_000,
        description=(
            "emulator: the last wave's chain continues past mcmc_steps, in chunks, until its kept half "
            "is 50 autocorrelation times long (emcee's rule) or it reaches this many steps (null: no more)."
        ),
    )
    particles: int = Field(
        300, ge=2, le=100_000, description="abc_smc: population size of every ABC-SMC generation."
    )
    generations: int = Field(
        6, ge=1, le=100, description="Generations (populations) the history must hold when the run is done."
    )
    seed: int = Field(
        2023,
        ge=0,
        lt=2**32,
        description="Root seed: prior draws and the per-generation simulation seed (common random numbers).",
    )
    replicates_per_particle: int = Field(
        1,
        ge=1,
        le=100,
        description="Replicates averaged per particle (1: ABC's own sampling absorbs the noise).",
    )
    epsilon_quantile: float = Field(
        0.5,
        gt=0,
        lt=1,
        description="Next tolerance = this weighted quantile of the last generation's distances.",
    )
    proposal: Literal["defensive", "weighted"] = Field(
        "defensive",
        description="Perturbation kernel: 'weighted' = pyabc's default (particles mixed by weight); 'defensive' = every particle equally (robust effective sample size; see abc.DefensiveTransition).",
    )
    max_candidates: int | None = Field(
        None,
        ge=1,
        description="abc_smc: stop after this many candidates were simulated in all (each with replicates_per_particle replicates); a budget for comparing methods.",
    )
    min_acceptance_rate: float = Field(
        0.005, ge=0, lt=1, description="Stop early if a generation accepts fewer than this share."
    )
    max_walltime_minutes: float = Field(
        42,
        gt=0,
        le=100_000,
        description="Stop starting new generations after this long (the 45-minute budget).",
    )
    workers: int = Field(
        2,
        ge=1,
        le=1024,
        description="Local processes (backend local) or LocalCluster workers (backend dask).",
    )
    predictive_draws: int = Field(
        60,
        ge=2,
        le=10_000,
        description="Posterior draws × 1 replicate for the posterior predictive in the report.",
    )
    check_replications: int = Field(
        20,
        ge=1,
        le=1000,
        description="Replicates of the central-parameter scenario in the report's fit table.",
    )
    central_name: Name = Field(
        "kunming_2023", description="'name:' written into the central-parameter scenario."
    )
    central: Literal["best_fit", "median"] = Field(
        "best_fit",
        description=(
            "How the central parameter set is chosen. best_fit: of the `central_candidates` posterior draws "
            "closest to the data (emulator: those whose emulated values meet the most figures, then the likeliest; "
            "abc_smc: the last generation's smallest distances), the one whose means over `central_replicates` "
            "replicates meet the most figures within tolerance, then have the smallest distance (a posterior "
            "draw, so its parameters are mutually consistent); median: the weighted median of each "
            "parameter separately (can fall outside the accepted region when parameters are correlated)."
        ),
    )
    central_candidates: int = Field(
        24, ge=1, le=10_000, description="Particles re-simulated to choose a best_fit centre."
    )
    central_replicates: int = Field(
        8, ge=1, le=1000, description="Replicates per candidate when choosing a best_fit centre."
    )
    central_finalists: int = Field(
        1,
        ge=1,
        le=1000,
        description=(
            "The best candidates of the first round re-simulated on fresh seeds with `central_final_replicates` "
            "replicates; the best of them is the centre (1: no second round). A second round on new seeds "
            "stops the centre from being the candidate that drew the luckiest noise in the first."
        ),
    )
    central_final_replicates: int = Field(
        32, ge=1, le=10_000, description="Replicates per finalist in the second round of a best_fit centre."
    )

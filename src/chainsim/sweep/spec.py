"""Sweep files: what to vary, how to sample it, what to keep (pydantic-validated YAML).

A sweep file names a base scenario, the *factors* to vary — levers (策略, what the city
chooses) and uncertainties (model parameters nobody chooses) — each a dotted scenario key
with a range or a list of values, a *design* that turns the factors into design points,
the number of replications, and the *outcomes* to keep (paths into ``summary.json``,
``*`` matching any key). Example (``experiments/small_example.yaml``)::

    base: ../scenarios/kunming_2023.yaml
    set: [population.pool_size=20000]          # fixed overrides of the base scenario
    seed: 7
    replications: 2
    factors:
      city_trips: {kind: lever, key: strategies.leader_led.trips.city_2023h1.trips, range: [5, 30], integer: true}
      slots:      {kind: lever, key: strategies.commissioners.slots, values: [0, 21, 40]}
    design: {method: latin_hypercube, samples: 8}
    outcomes: [periods.2023H1.funds_in_place_yi, cohorts.2022.landing_rate]

A factor sets one field (``key``), scales every field a pattern matches (``multiply``,
``*`` = any key, e.g. all sector groups' contacts), or names levels that each apply a
list of overrides (``sets``, e.g. ``{"off": [strategies.leader_led.active_until=2022-12-31],
"on": []}``). A ``posterior:`` section crosses every design point with K calibration
posterior draws (:mod:`chainsim.sweep.posterior`); the draw index becomes the results
column ``draw``. An ``experiment:`` section tells ``chainsim experiment`` / ``chainsim
report`` how to read the sweep; it does not change what runs.

These are the file's schemas; :func:`chainsim.sweep.config.load_sweep` reads the file and
checks it against the base scenario (:mod:`chainsim.sweep.checks`).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from chainsim.config.base import Strict
from chainsim.config.schema import Id
from chainsim.sweep.cluster_spec import ClusterSpec
from chainsim.vocabulary import term

Scalar = bool | int | float | str
#: name of the results column (and pseudo-factor) holding the posterior draw index 0 … K-1
DRAW = "draw"
#: column names of every results row; a factor may not take one of these names
RESERVED = ("run_id", "point", "replicate", "seed", "wall_time_s", "cpu_time_s", DRAW)
METHODS = ("full_factorial", "latin_hypercube", "sobol", "saltelli", "morris", "table", "one_at_a_time")
#: The version of each design's algorithm. Raise a method's number when the same sweep file
#: would give other points: the sweep hash then changes (it includes a number above 1) and
#: manifest.json records the number, so a results directory of the old points is refused
#: instead of resumed with the new ones (chainsim.sweep.store.inspect_out). saltelli 1 covers
#: both the hand-written A/B matrices of earlier versions and SALib's ``sobol.sample`` drawn
#: with the same generator: the points are the same, bit for bit (tests/test_sweep.py).
DESIGN_VERSION: dict[str, int] = dict.fromkeys(METHODS, 1)


class FactorSpec(Strict):
    """One input to vary: a lever (策略杠杆) or an uncertainty (不确定参数)."""

    kind: Literal["lever", "uncertainty"] = Field(
        description="lever: a choice of the city; uncertainty: a model parameter nobody chooses."
    )
    key: str | None = Field(
        None,
        min_length=1,
        max_length=300,
        description="Dotted scenario key set to the value, e.g. strategies.commissioners.slots.",
    )
    multiply: str | None = Field(
        None,
        min_length=1,
        max_length=300,
        description="Dotted pattern ('*' = any key) of numeric fields the value multiplies, e.g. strategies.chain_based.groups.*.contacts_per_step (integers rounded).",
    )
    sets: dict[str, list[str]] | None = Field(
        None,
        min_length=1,
        description="Named levels, each a list of dotted.key=value overrides; the values are the level names (YAML reads bare on/off as booleans: they name levels 'on'/'off').",
    )
    range: tuple[float, float] | None = Field(
        None, description="[low, high] of a continuous (or integer) factor."
    )
    values: list[Scalar] | None = Field(
        None, min_length=1, max_length=10_000, description="The values of a discrete factor."
    )
    integer: bool = Field(
        False, description="Round a range factor to whole numbers (uniform over the integers low…high)."
    )
    log: bool = Field(False, description="Sample a range on a log scale (low must be > 0).")
    levels: int | None = Field(
        None,
        ge=2,
        le=1000,
        description="Levels of a range in a full-factorial design (default: design.levels).",
    )
    name_zh: str = Field("", max_length=40, description="Chinese label (中文名).")
    description: str = Field("", max_length=1000)

    @model_validator(mode="before")
    @classmethod
    def _levels_from_sets(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("sets"), dict):
            named = {("on" if k is True else "off" if k is False else k): v for k, v in data["sets"].items()}
            data = {**data, "sets": named}
            if "values" not in data:
                data["values"] = list(named)
        return data

    @field_validator("range")
    @classmethod
    def _nonempty(cls, rng: tuple[float, float] | None) -> tuple[float, float] | None:
        if rng is not None and not rng[0] < rng[1]:
            raise ValueError(f"empty range [{rng[0]}, {rng[1]}]: low must be below high")
        return rng

    @model_validator(mode="after")
    def _check(self) -> FactorSpec:
        modes = [m for m in ("key", "multiply", "sets") if getattr(self, m) is not None]
        if len(modes) != 1:
            raise ValueError(
                "give exactly one of key (set a field), multiply (scale fields) or sets (named levels)"
                + (f", not {' and '.join(modes)}" if modes else "")
            )
        if self.sets is not None:
            if self.range is not None:
                raise ValueError("a sets factor's values are its level names, not a range")
            unknown = [v for v in self.values or [] if not isinstance(v, str) or v not in self.sets]
            if unknown:
                raise ValueError(f"values {unknown} are not level names of sets ({', '.join(self.sets)})")
        if self.range is not None and self.values is not None:
            raise ValueError("give either range or values, not both")
        if self.range is not None:
            lo, hi = self.range
            if self.log and lo <= 0:
                raise ValueError(f"a log-scale range needs low > 0, got {lo}")
            if self.integer and (lo != int(lo) or hi != int(hi)):
                raise ValueError(f"an integer range needs whole-number ends, got [{lo}, {hi}]")
        elif self.integer or self.log or self.levels:
            raise ValueError("integer, log and levels apply to a range only")
        if self.values is not None and len({json.dumps(v) for v in self.values}) < len(self.values):
            raise ValueError("values must not repeat")
        if self.values is not None and len(kinds := {value_kind(v) for v in self.values}) > 1:
            raise ValueError(
                f"values mix {' and '.join(sorted(kinds))} ({self.values[:6]}{' …' if len(self.values) > 6 else ''});"
                ' give every value of a factor the same type (write 40, not "40")'
            )
        return self


def value_kind(v: Any) -> str:
    """The type family of a factor value: one column type per factor."""
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, (int, float)):
        return "numbers"
    return "text"


class DesignSpec(Strict):
    """How factors become design points."""

    method: Literal[
        "full_factorial", "latin_hypercube", "sobol", "saltelli", "morris", "table", "one_at_a_time"
    ] = Field(
        description="full_factorial: every combination; latin_hypercube / sobol: `samples` points "
        "(scipy.stats.qmc); saltelli: N·(k+2) points for Sobol sensitivity indices; morris: `samples` "
        "trajectories of k+1 points each for Morris screening (SALib); table: explicit points; "
        "one_at_a_time: the reference point, then each factor's values with the others at the reference."
    )
    samples: int | None = Field(
        None,
        ge=1,
        le=10_000_000,
        description="Points of a latin_hypercube or sobol design; base size N of a saltelli design; "
        "trajectories of a morris design.",
    )
    levels: int = Field(
        3,
        ge=2,
        le=1000,
        description="Levels of each range factor in a full-factorial design; grid levels p of a morris "
        "design (4 when not given, the usual choice; it must be even).",
    )
    scramble: bool = Field(True, description="Scramble the Sobol sequence (seeded from the sweep seed).")
    table: list[dict[str, Scalar]] | None = Field(
        None, min_length=1, description="Explicit design points: factor name → value."
    )
    table_file: str | None = Field(
        None, description="CSV file of design points (header = factor names), relative to the sweep file."
    )
    reference: dict[str, Scalar] | None = Field(
        None,
        description="one_at_a_time: the reference point (factor → value); each factor then takes each of its values with the others at the reference.",
    )

    @model_validator(mode="after")
    def _check(self) -> DesignSpec:
        sampled = self.method in ("latin_hypercube", "sobol", "saltelli", "morris")
        if self.method == "morris":
            if "levels" not in self.model_fields_set:
                object.__setattr__(self, "levels", 4)
            if self.levels % 2:
                raise ValueError(
                    f"a morris design needs an even number of levels (its steps are balanced then), got {self.levels}; 4 is usual"
                )
        if sampled and self.samples is None:
            raise ValueError(f"a {self.method} design needs samples")
        if not sampled and self.samples is not None:
            raise ValueError(f"samples does not apply to a {self.method} design")
        if self.method in ("sobol", "saltelli") and self.samples & (self.samples - 1):
            lo = 1 << (self.samples.bit_length() - 1)
            raise ValueError(
                f"a {self.method} design needs a power of two for samples (its balance "
                f"properties need it), got {self.samples}; try {lo} or {2 * lo}"
            )
        if self.method == "table":
            if (self.table is None) == (self.table_file is None):
                raise ValueError(
                    "a table design needs exactly one of table (a list of points) or table_file (CSV)"
                )
        elif self.table is not None or self.table_file is not None:
            raise ValueError(f"table and table_file apply to method: table, not {self.method}")
        if (self.method == "one_at_a_time") != (self.reference is not None):
            raise ValueError("a one_at_a_time design needs reference (factor → value), and only it takes one")
        return self


class PosteriorSpec(Strict):
    """Cross every design point with K calibration posterior draws (parameter uncertainty)."""

    draws: int = Field(
        ge=1,
        le=10_000,
        description="K weighted posterior draws, chosen from the sweep seed as `chainsim run --posterior-draws K` does.",
    )
    calibration: str | None = Field(
        None,
        max_length=500,
        description="The calibration config (relative to the sweep file); checked against the calibrated YAML the base scenario extends (default: that one).",
    )


class ExperimentSpec(Strict):
    """How `chainsim experiment` and `chainsim report` read this sweep (does not change the runs)."""

    role: Literal["factorial", "dose_response", "tradeoff"] = Field(
        description="factorial: on/off levels of strategies (main effects, interactions, funnels); dose_response: one_at_a_time curves; tradeoff: a frontier of two outcomes."
    )
    title: str = Field("", max_length=200)
    title_zh: str = Field("", max_length=100)
    together_with: list[str] = Field(
        default_factory=list,
        description="Other sweep files run and reported with this one (relative to this file).",
    )
    frontier: tuple[str, str] | None = Field(
        None, description="tradeoff: the two outcomes of the frontier (x, y), both maximised."
    )
    baseline: dict[str, Scalar] | None = Field(
        None,
        description="tradeoff: the design point (factor → value) the other points are compared with, run by run.",
    )
    assumptions: list[str] = Field(
        default_factory=list, description="Assumptions the report states with this experiment."
    )


class SweepFile(Strict):
    """A parameter sweep of chainsim scenarios."""

    name: str = Field(
        "sweep",
        max_length=120,
        pattern=r"^[^./\\\x00-\x1f\x7f][^/\\\x00-\x1f\x7f]*$",
        description="The sweep's name; also a directory name under `chainsim experiment --out` (no slashes, no leading dot).",
    )
    description: str = Field("", max_length=4000)
    base: str = Field(min_length=1, description="Base scenario file, relative to the sweep file.")
    set: list[str] = Field(
        default_factory=list, description="Fixed dotted.key=value overrides of the base scenario."
    )
    seed: int | None = Field(
        None, ge=0, le=2**63 - 1, description="Sweep seed (default: the base scenario's)."
    )
    replications: int = Field(1, ge=1, le=100_000, description="Replicates of every design point.")
    common_random_numbers: bool = Field(
        True,
        description="Replicate r of every design point uses the same model seed, so differences between points are not noise.",
    )
    factors: dict[Id, FactorSpec] = Field(
        min_length=1, description="The factors to vary, keyed by a column name."
    )
    design: DesignSpec
    outcomes: list[str] = Field(
        min_length=1,
        description="summary.json paths to keep, e.g. periods.2023H1.funds_in_place_yi; * matches any key.",
    )
    posterior: PosteriorSpec | None = Field(
        None, description="Cross every design point with K calibration posterior draws."
    )
    experiment: ExperimentSpec | None = Field(
        None, description="Report settings for `chainsim experiment` / `chainsim report`."
    )
    cluster: ClusterSpec = ClusterSpec()

    @model_validator(mode="after")
    def _check(self) -> SweepFile:
        for name, f in self.factors.items():
            if name in RESERVED:
                raise ValueError(
                    f"factor name {name!r} is reserved for a results column ({', '.join(RESERVED)})"
                )
            if self.design.method != "table" and f.range is None and f.values is None:
                raise ValueError(
                    f"factor {name!r} needs a range or values (only a table design gives values itself)"
                )
        keys: dict[str, str] = {}
        for name, f in self.factors.items():
            if f.key is not None:
                key = ".".join(part.strip() for part in f.key.split("."))
                if key in keys:
                    raise ValueError(
                        f"factors {keys[key]!r} and {name!r} both set {key}: one of them would have no "
                        "effect; give each field one factor"
                    )
                keys[key] = name
        if self.design.reference is not None:
            if set(self.design.reference) != set(self.factors):
                raise ValueError(f"design.reference must give exactly the factors {sorted(self.factors)}")
            for name, v in self.design.reference.items():
                if self.factors[name].values is None:
                    raise ValueError(f"one_at_a_time needs values (not a range) for factor {name!r}")
                if v not in self.factors[name].values:
                    raise ValueError(
                        f"design.reference: {name}={v!r} is not one of its values {self.factors[name].values}"
                    )
        if self.posterior is not None and self.design.method == "saltelli":
            raise ValueError(
                "posterior draws cannot be crossed with a saltelli design (Sobol indices need one value "
                "per design point); use uncertainty factors for the parameters instead"
            )
        if (
            self.experiment is not None
            and self.experiment.role == "dose_response"
            and self.design.method != "one_at_a_time"
        ):
            raise ValueError("experiment.role dose_response needs design.method one_at_a_time")
        return self


def draw_factor(k: int) -> FactorSpec:
    """The pseudo-factor of the posterior draw (no field of its own: the draw's settings are
    carried by each design point)."""
    return FactorSpec.model_construct(
        kind="uncertainty",
        values=list(range(k)),
        name_zh=term("word.posterior_draw").zh,
        description="calibration posterior draw (parameter uncertainty)",
    )

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

:func:`load_sweep` reads the file with the scenario loader's friendly errors (file, line,
field, what is allowed; exit status 2) and checks it against the base scenario: every
factor key must be a scenario field, every value must be valid there, every outcome must
exist in ``summary.json``.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from chainsim.config.base import Strict
from chainsim.config.dotted import apply, check_key, expand
from chainsim.config.loader import ScenarioError, SourceMap, resolve_scenario, validate
from chainsim.config.schema import Scenario
from chainsim.sweep.outcomes import expand_outcomes, summary_skeleton
from chainsim.sweep.posterior import DRAW, PosteriorDraws
from chainsim.sweep.settings import (  # noqa: F401 (re-exported)
    SETTINGS,
    Settings,
    factor_settings,
    parse_setting,
    point_config,
)

Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Scalar = bool | int | float | str
#: column names of every results row; a factor may not take one of these names
RESERVED = ("run_id", "point", "replicate", "seed", "wall_time_s", "cpu_time_s", DRAW)
METHODS = ("full_factorial", "latin_hypercube", "sobol", "saltelli", "table", "one_at_a_time")


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
        return self


class DesignSpec(Strict):
    """How factors become design points."""

    method: Literal["full_factorial", "latin_hypercube", "sobol", "saltelli", "table", "one_at_a_time"] = (
        Field(
            description="full_factorial: every combination; latin_hypercube / sobol: `samples` points "
            "(scipy.stats.qmc); saltelli: N·(k+2) points for Sobol sensitivity indices; table: explicit points; "
            "one_at_a_time: the reference point, then each factor's values with the others at the reference."
        )
    )
    samples: int | None = Field(
        None,
        ge=1,
        le=10_000_000,
        description="Points of a latin_hypercube or sobol design; base size N of a saltelli design.",
    )
    levels: int = Field(
        3, ge=2, le=1000, description="Levels of each range factor in a full-factorial design."
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
        sampled = self.method in ("latin_hypercube", "sobol", "saltelli")
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


class ClusterSpec(Strict):
    """Batch-cluster settings for ``--cluster slurm|pbs`` (each can be overridden by a flag)."""

    kind: Literal["slurm", "pbs"] | None = Field(None, description="Job scheduler of the cluster.")
    queue: str | None = Field(None, max_length=200, description="Partition (SLURM) or queue (PBS).")
    account: str | None = Field(None, max_length=200, description="Account / project to charge.")
    cores: int = Field(1, ge=1, le=1024, description="Cores per job.")
    processes: int | None = Field(
        None, ge=1, le=1024, description="Worker processes per job (default: cores; one thread each)."
    )
    memory: str = Field("4GB", max_length=40, description="Memory per job, e.g. 8GB.")
    walltime: str = Field(
        "01:00:00",
        pattern=r"^(\d+-)?\d{1,3}:\d{2}:\d{2}$",
        description="Walltime per job, HH:MM:SS (or D-HH:MM:SS).",
    )
    jobs: int = Field(
        1, ge=1, le=10_000, description="Jobs kept running; a job ended by its walltime is replaced."
    )
    interface: str | None = Field(
        None, max_length=40, description="Network interface of the workers, e.g. ib0."
    )
    local_directory: str | None = Field(None, max_length=500, description="Scratch directory on the nodes.")
    python: str | None = Field(None, max_length=500, description="Python on the nodes (default: this one).")
    job_extra_directives: list[str] = Field(default_factory=list, description="Extra #SBATCH / #PBS lines.")
    job_script_prologue: list[str] = Field(
        default_factory=list, description="Shell lines before the worker starts (module load …)."
    )


class SweepFile(Strict):
    """A parameter sweep of chainsim scenarios."""

    name: str = Field("sweep", max_length=120)
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


@dataclass
class Sweep:
    """A checked sweep: the file's spec, the resolved base scenario and the outcome columns."""

    path: Path
    spec: SweepFile
    base: Scenario
    base_data: dict[str, Any]  # base.model_dump(mode="json"): every field explicit
    seed: int
    outcomes: list[str]  # expanded summary.json paths (the outcome columns)
    table: list[dict[str, Scalar]] | None = None
    posterior: PosteriorDraws | None = None  # with a posterior: section (spec.factors then ends with "draw")
    file_sha256: str = ""
    hash: str = ""  # what determines the results (see sweep_hash)
    source: SourceMap | None = field(default=None, repr=False)

    @property
    def factor_names(self) -> list[str]:
        return list(self.spec.factors)

    @property
    def design_factors(self) -> dict[str, FactorSpec]:
        """The factors of the file's design (without the posterior's ``draw``)."""
        return {n: f for n, f in self.spec.factors.items() if n != DRAW}


def load_sweep(path: str | Path) -> Sweep:
    """Read, validate and check a sweep file; raise ScenarioError (exit 2) on any mistake."""
    path = Path(path)
    data, source = resolve_scenario(path)
    try:
        spec: SweepFile = validate(SweepFile, data, source)  # type: ignore[assignment]
    except ScenarioError as err:  # the shared validator speaks of scenarios
        raise ScenarioError(
            str(err).replace(": invalid scenario (", ": invalid sweep file (", 1),
            err.path,
            err.field,
            err.line,
        ) from None

    def fail(loc: tuple, why: str) -> ScenarioError:
        origin = source.locate(loc)
        where = f"{origin.file}, line {origin.line}" if origin and origin.line else str(path)
        return ScenarioError(
            f"{where}: {'.'.join(map(str, loc))}: {why}",
            path,
            ".".join(map(str, loc)),
            origin.line if origin else None,
        )

    base_path = path.parent / spec.base
    if not base_path.is_file():
        raise fail(("base",), f"base scenario {spec.base!r} not found (looked for {base_path})")
    try:
        base_raw, base_src = resolve_scenario(base_path, spec.set)
        base = validate(Scenario, base_raw, base_src)
    except ScenarioError as err:
        raise ScenarioError(
            f"{path}: base scenario {spec.base} (with set:) is invalid:\n{err}", path, "base"
        ) from None
    base_data = base.model_dump(mode="json")
    for name, f in spec.factors.items():
        _check_factor_fields(name, f, base_data, fail)
    table = _read_table(path, spec, fail) if spec.design.method == "table" else None
    _check_values(spec, base_data, table, fail)
    outcomes = expand_outcomes(spec.outcomes, summary_skeleton(base), fail)
    seed = base.seed if spec.seed is None else spec.seed
    draws = None
    if spec.posterior is not None:
        from chainsim.sweep.posterior import load_draws

        draws = load_draws(
            base_path, spec.posterior.calibration, spec.posterior.draws, seed, path.parent, base_data, fail
        )
        _check_draws(draws, base_data, fail)
        # the draw is a column of the results (and of design.parquet) like a factor
        spec = spec.model_copy(update={"factors": {**spec.factors, DRAW: draw_factor(draws.k)}})
        if table is not None:  # the store reads column types from the table's rows too
            table = [{**row, DRAW: 0} for row in table]
    sweep = Sweep(
        path=path,
        spec=spec,
        base=base,
        base_data=base_data,
        seed=seed,
        outcomes=outcomes,
        table=table,
        posterior=draws,
        file_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        source=source,
    )
    sweep.hash = sweep_hash(sweep)
    return sweep


def draw_factor(k: int) -> FactorSpec:
    """The pseudo-factor of the posterior draw (no field of its own: the draw's settings are
    carried by each design point)."""
    return FactorSpec.model_construct(
        kind="uncertainty",
        values=list(range(k)),
        name_zh="后验抽样",
        description="calibration posterior draw (parameter uncertainty)",
    )


def _check_factor_fields(name: str, f: FactorSpec, base_data: dict, fail: Any) -> None:
    if f.key is not None:
        try:
            check_key(base_data, f.key, f.range is not None)
        except KeyError as err:
            raise fail(("factors", name, "key"), err.args[0]) from None
    elif f.multiply is not None:
        if not expand(f.multiply, base_data):
            raise fail(
                ("factors", name, "multiply"),
                f"{f.multiply!r} matches no numeric field of the base scenario "
                "(a dotted path as for --set, '*' for any key)",
            )
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in f.values or []):
            raise fail(("factors", name, "values"), "a multiply factor's values must be numbers")
    else:
        for level, texts in (f.sets or {}).items():
            for i, text in enumerate(texts):
                try:
                    key, _ = parse_setting(text)
                    check_key(base_data, key, numeric=False)
                except KeyError as err:
                    raise fail(("factors", name, "sets", level, i), err.args[0]) from None


def _check_draws(draws: PosteriorDraws, base_data: dict, fail: Any) -> None:
    for k, settings in enumerate(draws.settings):
        try:
            Scenario.model_validate(apply(base_data, settings))
        except Exception as exc:  # pydantic ValidationError: its first lines
            text = "; ".join(line.strip() for line in str(exc).splitlines()[1:3])
            raise fail(
                ("posterior",),
                f"posterior draw {k} (row {draws.picks[k]} of {draws.posterior}) gives an "
                f"invalid scenario: {text}",
            ) from None


def sweep_hash(sweep: Sweep) -> str:
    """SHA-256 of everything that determines the results: the resolved base scenario, the
    factors, design (and its table), replications, seeds and outcomes. Names, comments and
    cluster settings do not count, so editing them does not invalidate earlier results."""
    spec = sweep.spec.model_dump(
        mode="json", exclude={"name", "description", "cluster", "base", "set", "experiment"}
    )
    # fields added after results existed count only when used, so older sweeps keep their hash
    for f in spec["factors"].values():
        for k in ("key", "multiply", "sets"):
            if f.get(k) is None:
                f.pop(k, None)
    if spec["design"].get("reference") is None:
        spec["design"].pop("reference", None)
    if spec.get("posterior") is None:
        spec.pop("posterior", None)
    blob = {
        "base": sweep.base_data,
        "spec": spec,
        "seed": sweep.seed,
        "outcomes": sweep.outcomes,
        "table": sweep.table,
    }
    if sweep.posterior is not None:
        blob["posterior"] = sweep.posterior.fingerprint()
    return hashlib.sha256(json.dumps(blob, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _check_values(spec: SweepFile, base_data: dict, table: list[dict] | None, fail: Any) -> None:
    """Every factor's extreme values (and every table point) must give a valid scenario,
    so that a value out of the scenario's bounds is a sweep-file error, not 1,000 failed runs."""

    def check(loc: tuple, settings: dict[str, Scalar]) -> None:
        try:
            point_config(base_data, {}, {SETTINGS: factor_settings(spec.factors, base_data, settings)})
        except Exception as exc:  # pydantic ValidationError: show its first lines
            text = "; ".join(line.strip() for line in str(exc).splitlines()[1:3])
            raise fail(loc, f"{settings} gives an invalid scenario: {text}") from None

    for name, f in spec.factors.items():
        if f.range is not None:
            lo, hi = f.range
            for v in (lo, hi):
                check(("factors", name, "range"), {name: int(v) if f.integer else v})
        elif f.values is not None:
            for v in f.values[:100]:
                check(("factors", name, "values"), {name: v})
    for i, row in enumerate(table or []):
        check(("design", "table", i), row)


def _read_table(path: Path, spec: SweepFile, fail: Any) -> list[dict[str, Scalar]]:
    design, names = spec.design, set(spec.factors)
    if design.table_file is not None:
        file = path.parent / design.table_file
        try:
            with file.open(newline="", encoding="utf-8-sig") as fh:
                rows = [{k: _parse_cell(v) for k, v in r.items()} for r in csv.DictReader(fh)]
        except OSError as exc:
            raise fail(("design", "table_file"), f"cannot read {file}: {exc.strerror or exc}") from None
        if not rows:
            raise fail(("design", "table_file"), f"{file} has no rows")
    else:
        rows = [dict(r) for r in design.table]
    for i, row in enumerate(rows):
        loc = ("design", "table_file") if design.table_file else ("design", "table", i)
        if set(row) != names:
            missing, extra = sorted(names - set(row)), sorted(set(row) - names)
            raise fail(
                loc,
                f"point {i} must give exactly the factors {sorted(names)}"
                + (f"; missing {missing}" if missing else "")
                + (f"; unknown {extra}" if extra else ""),
            )
        for name, v in row.items():
            f = spec.factors[name]
            if f.values is not None and v not in f.values:
                raise fail(loc, f"point {i}: {name}={v!r} is not one of its values {f.values}")
            if f.range is not None and not (isinstance(v, (int, float)) and f.range[0] <= v <= f.range[1]):
                raise fail(loc, f"point {i}: {name}={v!r} is outside its range {list(f.range)}")
    return rows


def _parse_cell(text: str) -> Scalar:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.strip().lower(), text)

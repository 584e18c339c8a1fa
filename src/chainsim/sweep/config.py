"""Load a sweep file: validate it (:mod:`.spec`), resolve its base scenario, check it
(:mod:`.checks`) and fingerprint what determines its results.

:func:`load_sweep` reads the file with the scenario loader's friendly errors (file, line,
field, what is allowed; exit status 2) and checks it against the base scenario: every
factor key must be a scenario field, every value must be valid there, every outcome must
exist in ``summary.json``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainsim.config.loader import ScenarioError, SourceMap, resolve_scenario, validate
from chainsim.config.schema import Scenario
from chainsim.config.yamlfile import read_input
from chainsim.sweep.checks import check_draws, check_factor_fields, check_values
from chainsim.sweep.outcomes import expand_outcomes, summary_skeleton
from chainsim.sweep.posterior import PosteriorDraws, load_draws
from chainsim.sweep.spec import DESIGN_VERSION, DRAW, FactorSpec, Scalar, SweepFile, draw_factor, value_kind


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
        check_factor_fields(name, f, base_data, fail)
    table = _read_table(path, spec, fail) if spec.design.method == "table" else None
    check_values(spec, base_data, table, fail)
    outcomes = expand_outcomes(spec.outcomes, summary_skeleton(base), fail)
    seed = base.seed if spec.seed is None else spec.seed
    draws = None
    if spec.posterior is not None:
        draws = load_draws(
            base_path, spec.posterior.calibration, spec.posterior.draws, seed, path.parent, base_data, fail
        )
        check_draws(draws, base_data, fail)
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


def sweep_hash(sweep: Sweep) -> str:
    """SHA-256 of everything that determines the results: the resolved base scenario, the
    factors, design (its table, and the version of its algorithm), replications, seeds and outcomes. Names, comments and
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
    if (version := DESIGN_VERSION[sweep.spec.design.method]) != 1:  # 1: the points of older results
        blob["design_version"] = version
    return hashlib.sha256(json.dumps(blob, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _read_table(path: Path, spec: SweepFile, fail: Any) -> list[dict[str, Scalar]]:
    design, names = spec.design, set(spec.factors)
    if design.table_file is not None:
        file = path.parent / design.table_file
        loc = ("design", "table_file")
        try:
            raw = read_input(file, str(file), "CSV design table")
        except ScenarioError as err:
            raise fail(loc, str(err)) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise fail(
                loc,
                f"{file} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}; "
                "saved as GBK?); save it as UTF-8",
            ) from None
        try:
            reader = csv.reader(io.StringIO(text, newline=""))
            header = next(reader, None)
            body = [r for r in reader if r]
        except csv.Error as exc:
            raise fail(loc, f"{file} is not a readable CSV file ({exc})") from None
        if not header or not body:
            raise fail(loc, f"{file} has no rows")
        if len(set(header)) < len(header):
            raise fail(loc, f"{file}: the header repeats a column name ({', '.join(header)})")
        for i, r in enumerate(body):
            if len(r) != len(header):
                raise fail(
                    loc,
                    f"{file}, line {i + 2}: {len(r)} cells, but the header has {len(header)} columns "
                    "(a ragged row)",
                )
        rows = [{k: _parse_cell(v) for k, v in zip(header, r, strict=True)} for r in body]
    else:
        rows = [dict(r) for r in design.table]
    for name in names:  # one column type per factor
        kinds = {value_kind(row[name]) for row in rows if name in row}
        if len(kinds) > 1:
            loc = ("design", "table_file") if design.table_file else ("design", "table")
            raise fail(loc, f"factor {name!r} mixes {' and '.join(sorted(kinds))} across the points")
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

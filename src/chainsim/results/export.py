"""`chainsim export DIR --to csv`: any chainsim output directory as tidy CSV files, for R,
Stata and Excel users (docs/outputs.md, "CSV").

What a directory holds decides what is written into ``DIR/csv/`` (or ``--dest``):

=============  =============================================================================
output of      CSV files
=============  =============================================================================
``run``        ``summary.csv`` (metric, mean, ci95_low, ci95_high: one row per summary.json
               indicator), ``timeseries.csv`` (one row per step and replicate)
``sweep``      ``runs.csv`` (one row per run: run_id, point, replicate, seed, factors,
               outcomes, times), ``design.csv`` (one row per design point)
``experiment`` the same per sweep, prefixed with the sweep's name (``<sweep>.runs.csv`` …)
``calibrate``  per calibration ``<name>`` in the directory: ``<name>.posterior.csv`` (long:
               draw, weight, parameter, value), ``<name>.about.csv`` (the posterior's stamp:
               key, value) and, for the emulator method, ``<name>.waves.csv`` (one row per
               simulated design point: wave, point, parameters, each figure's replicate
               mean, variance and count)
=============  =============================================================================

``compare`` already writes CSV (``compare.csv``). A calibration's own ``*.posterior.csv``
is one row per draw with ``#`` stamp lines above the header, which R's ``read.csv`` and
Excel do not skip; the exported files have none.
``--bom`` starts each file with a UTF-8 byte-order mark, so that Excel shows the Chinese
labels. Files are written through a temporary name and a rename; an existing CSV of the
same name is replaced (these are derived files).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from chainsim.config.loader import ScenarioError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="write a run, sweep, experiment or calibration output directory as tidy CSV files",
        description="Turn the output directory of chainsim run, sweep, experiment or calibrate into tidy CSV "
        "files (DIR/csv/ unless --dest). Columns: docs/outputs.md, 'CSV'.",
    )
    p.add_argument(
        "dir", type=Path, help="an --out directory of chainsim run, sweep, experiment or calibrate"
    )
    p.add_argument("--to", choices=["csv"], default="csv", help="the format (csv)")
    p.add_argument("--dest", type=Path, default=None, help="where to write (default DIR/csv)")
    p.add_argument("--bom", action="store_true", help="UTF-8 with a byte-order mark (for Excel)")
    p.set_defaults(handler=run_export)


def kind_of(d: Path) -> str:
    """What made the directory: run, sweep, experiment or calibration (ScenarioError otherwise)."""
    if not d.is_dir():
        raise ScenarioError(
            f"{d}: no such directory (give an --out directory of chainsim run, sweep, experiment or calibrate)",
            d,
        )
    if (d / "experiment.json").is_file():
        return "experiment"
    manifest = d / "manifest.json"
    if manifest.is_file():
        try:
            fmt = json.loads(manifest.read_text(encoding="utf-8")).get("format", "")
        except (OSError, ValueError, AttributeError):
            fmt = ""
        if str(fmt).startswith("chainsim-sweep/"):
            return "sweep"
    if (d / "summary.json").is_file():
        return "run"
    if any(d.glob("*.posterior.csv")):
        return "calibration"
    if (d / "compare.csv").is_file():
        raise ScenarioError(
            f"{d}: chainsim compare's output is already CSV (compare.csv): nothing to export", d
        )
    raise ScenarioError(
        f"{d}: not a chainsim output directory (no summary.json, sweep manifest.json, experiment.json "
        "or <name>.posterior.csv)",
        d,
    )


def frames(d: Path) -> dict[str, Any]:
    """File name → DataFrame of everything to export from ``d`` (reads only)."""
    import pandas as pd

    kind = kind_of(d)
    if kind == "run":
        from chainsim.results.frames import leaves

        try:
            summary = json.loads((d / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ScenarioError(f"{d / 'summary.json'}: not readable ({exc})", d / "summary.json") from None
        rows = [
            {"metric": path, "mean": s["mean"], "ci95_low": s["ci95"][0], "ci95_high": s["ci95"][1]}
            for path, s in leaves(summary)
        ]
        out = {"summary.csv": pd.DataFrame(rows, columns=["metric", "mean", "ci95_low", "ci95_high"])}
        if (d / "timeseries.parquet").is_file():
            out["timeseries.csv"] = _read_parquet(d / "timeseries.parquet")
        return out
    if kind == "sweep":
        return sweep_frames(d, "")
    if kind == "calibration":
        return calibration_frames(d)
    try:
        record = json.loads((d / "experiment.json").read_text(encoding="utf-8"))
        names = [s["name"] for s in record["sweeps"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ScenarioError(f"{d / 'experiment.json'}: not readable ({exc})", d / "experiment.json") from None
    out: dict[str, Any] = {}
    for name in names:
        out.update(sweep_frames(d / name, f"{name}."))
    return out


def sweep_frames(d: Path, prefix: str) -> dict[str, Any]:
    from chainsim.sweep.analyze import load_finished
    from chainsim.sweep.settings import SETTINGS

    _, runs, design = load_finished(d)
    design = design.drop(columns=[SETTINGS], errors="ignore")
    return {f"{prefix}runs.csv": runs.sort_values("run_id"), f"{prefix}design.csv": design}


def calibration_frames(d: Path) -> dict[str, Any]:
    """Each calibration in ``d`` (one per ``<name>.posterior.csv``): its draws long, its stamp,
    and the simulated design points of its emulator waves when they are there."""
    import pandas as pd

    from chainsim.calibration.posterior import read_posterior

    out: dict[str, Any] = {}
    for path in sorted(d.glob("*.posterior.csv")):
        name = path.name.removesuffix(".posterior.csv")
        try:
            draws, weights, info = read_posterior(path)
        except (OSError, ValueError) as exc:
            raise ScenarioError(f"{path}: not a readable posterior ({exc})", path) from None
        n = len(weights)
        out[f"{name}.posterior.csv"] = pd.DataFrame(
            {
                "draw": np.tile(np.arange(n), len(draws)),
                "weight": np.tile(weights, len(draws)),
                "parameter": np.repeat(list(draws), n),
                "value": np.concatenate([draws[p] for p in draws]),
            }
        )
        out[f"{name}.about.csv"] = pd.DataFrame({"key": list(info), "value": list(info.values())})
        waves = sorted(
            (d / f"{name}.waves").glob("wave*.csv"), key=lambda p: int(p.stem.removeprefix("wave"))
        )
        if waves:
            try:
                parts = [pd.read_csv(w).rename(columns={"index": "point"}) for w in waves]
            except (OSError, ValueError) as exc:
                raise ScenarioError(
                    f"{d / f'{name}.waves'}: a wave file is not readable ({exc})", d
                ) from None
            for w, part in zip(waves, parts, strict=True):
                part.insert(0, "wave", int(w.stem.removeprefix("wave")))
            out[f"{name}.waves.csv"] = natural_scale(pd.concat(parts, ignore_index=True), d, name)
    return out


def natural_scale(points: Any, d: Path, name: str) -> Any:
    """The wave files hold parameters on the sampling scale (log10 for log-scale priors): put
    them on their natural scale, reading the scales from the calibration config that the
    calibrated YAML names (``# calibration: …``). Without it, each column keeps the sampling
    scale and says so in its name."""
    log_scale = _log_scale_parameters(d / f"{name}.calibrated.yaml")
    params = [c for c in points.columns[2:] if ":" not in c]
    if log_scale is None:
        return points.rename(columns={c: f"{c} (sampling scale)" for c in params})
    for c in params:
        if c in log_scale:
            points[c] = 10.0 ** points[c]
    return points


def _log_scale_parameters(calibrated: Path) -> set[str] | None:
    from chainsim.calibration.config import load_calibration
    from chainsim.calibration.posterior import read_header

    try:
        cal = load_calibration(calibrated.parent / read_header(calibrated)["calibration"])
    except (OSError, KeyError, ScenarioError):
        return None
    return {n for n, prior in cal.priors.parameters.items() if prior.scale == "log"}


def _read_parquet(path: Path) -> Any:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path).to_pandas()
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"{path}: not a readable Parquet file ({exc})", path) from None


def run_export(args: argparse.Namespace) -> int:
    from chainsim.results.outdir import atomic_write

    tables = frames(args.dir)  # every read and check first: nothing is written on bad input
    dest = args.dest or args.dir / "csv"
    dest.mkdir(parents=True, exist_ok=True)
    encoding = "utf-8-sig" if args.bom else "utf-8"
    for name, frame in tables.items():
        atomic_write(dest / name, lambda p, f=frame: f.to_csv(p, index=False, encoding=encoding))
        print(f"{dest / name}  ({len(frame):,} rows × {frame.shape[1]} columns)")
    return 0

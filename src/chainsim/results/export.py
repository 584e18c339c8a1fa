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
=============  =============================================================================

``compare`` and ``calibrate`` already write CSV (``compare.csv``, ``*.posterior.csv``).
``--bom`` starts each file with a UTF-8 byte-order mark, so that Excel shows the Chinese
labels. Files are written through a temporary name and a rename; an existing CSV of the
same name is replaced (these are derived files).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from chainsim.config.loader import ScenarioError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="write a run, sweep or experiment output directory as tidy CSV files",
        description="Turn the output directory of chainsim run, sweep or experiment into tidy CSV files "
        "(DIR/csv/ unless --dest). Columns: docs/outputs.md, 'CSV'.",
    )
    p.add_argument("dir", type=Path, help="an --out directory of chainsim run, sweep or experiment")
    p.add_argument("--to", choices=["csv"], default="csv", help="the format (csv)")
    p.add_argument("--dest", type=Path, default=None, help="where to write (default DIR/csv)")
    p.add_argument("--bom", action="store_true", help="UTF-8 with a byte-order mark (for Excel)")
    p.set_defaults(handler=run_export)


def kind_of(d: Path) -> str:
    """What made the directory: run, sweep or experiment (ScenarioError otherwise)."""
    if not d.is_dir():
        raise ScenarioError(
            f"{d}: no such directory (give an --out directory of chainsim run, sweep or experiment)", d
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
    if any(d.glob("*.posterior.csv")) or (d / "compare.csv").is_file():
        raise ScenarioError(f"{d}: already CSV (compare.csv or *.posterior.csv): nothing to export", d)
    raise ScenarioError(
        f"{d}: not a chainsim output directory (no summary.json, sweep manifest.json or experiment.json)", d
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

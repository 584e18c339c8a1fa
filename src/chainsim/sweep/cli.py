"""``chainsim sweep``: the command-line plug-in (registered by chainsim.cli.PLUGINS).

Exit status: 0 all runs done; 1 some runs failed or the sweep stopped (no workers, disk
full) — rerun the same command to run only what is missing; 2 a bad sweep file, a
directory holding another sweep, an unreachable scheduler (nothing written); 130
interrupted (what finished is saved).
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import sys
from pathlib import Path

from chainsim.cli import positive_int

EPILOG = """\
examples:
  chainsim sweep experiments/small_example.yaml --out out/small            # local processes, all cores
  chainsim sweep experiments/leader_trips_x_commissioners.yaml --out out/lxc --workers 2
  chainsim sweep SWEEP.yaml --out DIR --backend dask --workers 4            # a Dask LocalCluster
  chainsim sweep SWEEP.yaml --out DIR --scheduler tcp://10.0.0.5:8786       # a running Dask scheduler
  chainsim sweep SWEEP.yaml --out DIR --cluster slurm --queue normal --account proj --walltime 02:00:00 --dry-run
Rerun the same command after any interruption: only the missing runs run.
See docs/clusters.md for SLURM step by step."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="run a parameter sweep (resumable; local processes, Dask or a SLURM/PBS cluster)",
        description="Run every design point × replicate of a sweep file and write one Parquet row per run to --out.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("sweep", help="sweep YAML file, e.g. experiments/small_example.yaml")
    p.add_argument("--out", type=Path, default=None, help="results directory (created; rerun to resume)")
    p.add_argument(
        "--backend",
        choices=("local", "dask"),
        default="local",
        help="local: a process pool on this machine (default); dask: a Dask LocalCluster or --scheduler",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="worker processes (default: all cores; 1 runs in this process)",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://host:8786"
    )
    where.add_argument(
        "--scheduler-file",
        default=None,
        metavar="FILE",
        help="the JSON file written by 'dask scheduler --scheduler-file'",
    )
    p.add_argument(
        "--timeout",
        type=positive_seconds,
        default=10.0,
        metavar="SECONDS",
        help="wait this long for --scheduler (default 10)",
    )
    where.add_argument(
        "--cluster",
        choices=("slurm", "pbs"),
        default=None,
        help="start workers as batch jobs (dask-jobqueue)",
    )
    c = p.add_argument_group("batch cluster (--cluster; defaults from the sweep file's cluster: section)")
    c.add_argument("--queue", default=None, help="partition / queue")
    c.add_argument("--account", default=None, help="account / project to charge")
    c.add_argument("--cores", type=positive_int, default=None, help="cores per job")
    c.add_argument(
        "--processes", type=positive_int, default=None, help="worker processes per job (default: cores)"
    )
    c.add_argument("--memory", default=None, help="memory per job, e.g. 8GB")
    c.add_argument("--walltime", default=None, help="walltime per job, HH:MM:SS")
    c.add_argument("--jobs", type=positive_int, default=None, help="jobs kept running")
    c.add_argument(
        "--dry-run",
        action="store_true",
        help="check the sweep and print the plan (and the job script); run nothing",
    )
    o = p.add_argument_group("output")
    o.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty --out, discarding another sweep's results",
    )
    o.add_argument(
        "--allow-large",
        action="store_true",
        help="run although the estimated memory exceeds what this machine has available",
    )
    o.add_argument(
        "--allow-version-change",
        action="store_true",
        help="resume although the finished runs were made by other code (chainsim source or package "
        "versions); recorded in manifest.json",
    )
    o.add_argument(
        "--batch-rows",
        type=positive_int,
        default=100,
        help="rows per Parquet file (default 100; also written every 10 s)",
    )
    o.add_argument(
        "--chunk", type=positive_int, default=None, help="runs per task (default: adaptive, ~1 s of work)"
    )
    o.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(handler=handle)
    a = subparsers.add_parser(
        "analyze",
        help="tables, plots and Sobol sensitivity indices of a finished sweep",
        description="Write DIR/analysis/report.md, indices.csv and one plot per outcome for a finished sweep "
        "(replicates averaged per design point; factor importance for every design: Sobol, Morris, δ, swing).",
    )
    a.add_argument("dir", type=Path, help="the --out directory of a finished 'chainsim sweep'")
    a.set_defaults(handler=handle_analyze)
    d = subparsers.add_parser(
        "discover",
        help="scenario discovery (PRIM): where in factor space an outcome holds",
        description="Find the boxes of factor space where the runs of a finished sweep have OUTCOME below "
        "(or above) a threshold (PRIM, EMA Workbench): coverage/density trade-off, a table and a plot in "
        "DIR/discovery/. Example: chainsim discover out/sweep --outcome periods.2023H1.funds_in_place_yi --below 600",
    )
    d.add_argument("dir", type=Path, help="the --out directory of a finished 'chainsim sweep'")
    d.add_argument("--outcome", required=True, help="an outcome of the sweep (summary.json path)")
    cond = d.add_mutually_exclusive_group(required=True)
    cond.add_argument("--below", type=finite_float, help="runs of interest: outcome < X")
    cond.add_argument("--above", type=finite_float, help="runs of interest: outcome > X")
    d.add_argument(
        "--min-coverage",
        type=finite_float,
        default=0.5,
        help="report the densest box keeping at least this share of the runs of interest (default 0.5)",
    )
    d.set_defaults(handler=handle_discover)


def finite_float(text: str) -> float:
    """argparse type: a finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text}")
    return value


def handle_discover(args: argparse.Namespace) -> int:
    from chainsim.sweep.discover import describe, write_discovery

    dest, d = write_discovery(args.dir, args.outcome, args.below, args.above, args.min_coverage)
    print(f"{d.outcome} {d.condition}: {d.hits} of {d.cases} runs")
    if d.chosen is None:
        print(f"no box keeps coverage ≥ {d.min_coverage:g}; see the trajectory")
    else:
        b = d.chosen
        print(f"box (coverage {b.coverage:.2f}, density {b.density:.2f}, mass {b.mass:.2f}):")
        for line in describe(b.limits, d.manifest["sweep"]["factors"], human=True) or ["no restriction"]:
            print(f"  {line}")
    print(f"discovery written to {dest}/ (report.md, trajectory.csv, tradeoff.png)")
    return 0


def positive_seconds(text: str) -> float:
    """argparse type: a finite number of seconds > 0 (at most a day)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value <= 86400:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"expected seconds from 0 to 86400, got {text}")
    return value


def handle_analyze(args: argparse.Namespace) -> int:
    from chainsim.sweep.analyze import console_summary, write_analysis

    dest, results = write_analysis(args.dir)
    for line in console_summary(results):
        print(line)
    print(f"analysis written to {dest}/ (report.md, indices.csv, plots)")
    return 0


def handle(args: argparse.Namespace) -> int:
    from chainsim.config.loader import ScenarioError
    from chainsim.sweep import cluster as cl
    from chainsim.sweep.config import load_sweep
    from chainsim.sweep.runner import run_sweep

    flags = {
        k: getattr(args, k) for k in ("queue", "account", "cores", "processes", "memory", "walltime", "jobs")
    }
    if args.cluster is None and any(v is not None for v in flags.values()):
        raise ScenarioError(
            "--queue, --account, --cores, --processes, --memory, --walltime and --jobs need --cluster slurm|pbs"
        )
    from chainsim import limits

    if args.workers is not None:
        limits.at_most(
            "--workers",
            args.workers,
            limits.max_workers(),
            "more workers than that only compete for the cores",
        )
    if args.dry_run:
        return _dry_run(args, flags)
    if args.out is None:
        raise ScenarioError("--out DIR is required (where the results go)")
    if args.backend == "local" and (args.scheduler or args.scheduler_file):
        args.backend = "dask"
    cluster = None
    if args.cluster:
        sweep = load_sweep(args.sweep)  # errors before any job is submitted
        settings = cl.settings(sweep.spec.cluster, flags)
        cluster = cl.make_cluster(args.cluster, settings)
    report = run_sweep(
        args.sweep,
        args.out,
        backend=args.backend,
        workers=args.workers,
        scheduler=args.scheduler,
        scheduler_file=args.scheduler_file,
        cluster=cluster,
        force=args.force,
        batch_rows=args.batch_rows,
        chunk=args.chunk,
        progress=not args.no_progress,
        command=shlex.join(["chainsim", *sys.argv[1:]]),
        timeout=args.timeout,
        allow_version_change=args.allow_version_change,
        allow_large=args.allow_large,
    )
    rate = report.runs_this_session / report.seconds if report.seconds > 0 else 0.0
    print(
        f"sweep {report.status}: {report.runs_done}/{report.runs_total} runs in {report.out}/ "
        f"({report.runs_this_session} this time, {report.seconds:.1f} s + {report.startup_seconds:.1f} s start-up, "
        f"{rate:.2f} runs/s, {report.backend} × {report.workers})"
    )
    if report.message:
        print(f"chainsim: {report.message}", file=sys.stderr)
    return {"complete": 0, "interrupted": 130}.get(report.status, 1)


def _num(v: object) -> str:
    """A value as a person writes it: 0.0142 not 0.014199999999999999, on/off not True/False."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _dry_run(args: argparse.Namespace, flags: dict) -> int:
    from chainsim.sweep import cluster as cl
    from chainsim.sweep.config import load_sweep
    from chainsim.sweep.design import design_points
    from chainsim.sweep.runner import check_sweep_size
    from chainsim.sweep.settings import SETTINGS

    sweep = load_sweep(args.sweep)
    check_sweep_size(sweep, args.workers or os.cpu_count() or 1, True, lambda text: print(text))
    points = design_points(sweep)
    s = sweep.spec
    print(
        f"sweep '{s.name}' ({args.sweep}, hash {sweep.hash[:12]}): {s.design.method} design, {len(points)} points "
        f"× {s.replications} replicates = {len(points) * s.replications} runs, seed {sweep.seed}, "
        f"common random numbers {'on' if s.common_random_numbers else 'off'}"
    )
    print("factors:")
    for name, f in s.factors.items():
        print(f"  {name}:{'  # ' + f.name_zh if f.name_zh else ''}")
        print(f"    kind: {f.kind}")
        if f.key is not None:
            print(f"    key: {f.key}")
        if f.multiply is not None:
            print(f"    multiplies: {f.multiply}")
        if f.sets is not None:
            for level, overrides in f.sets.items():
                print(f"    level {level}: {', '.join(overrides)}")
        if f.range is not None:
            print(
                f"    range: [{_num(f.range[0])}, {_num(f.range[1])}]{' (integers)' if f.integer else ''}{' (log scale)' if f.log else ''}"
            )
        elif f.values is not None:
            print(f"    values: [{', '.join(_num(v) for v in f.values)}]")
    print("outcomes:")
    for outcome in sweep.outcomes:
        print(f"  - {outcome}")
    print("points:")
    for i, pt in enumerate(points[:5]):
        values = ", ".join(f"{k}={_num(v)}" for k, v in pt.items() if k != SETTINGS)
        print(f"  {i}: {values}")
        for key, value in (pt.get(SETTINGS) or {}).items():
            print(f"       sets {key}={_num(value)}")
    if len(points) > 5:
        print(f"  … {len(points) - 5} more")
    kind = args.cluster or s.cluster.kind
    if kind:
        settings = cl.settings(s.cluster, flags)
        print(f"\n# job script for --cluster {kind} ({settings.jobs} job(s) kept running):")
        print(cl.job_script(kind, settings))
    return 0

"""``chainsim experiment`` and ``chainsim report``: the command-line plug-in (chainsim.cli.PLUGINS).

Exit status: 0 done; 1 some runs failed or a sweep stopped (rerun the same command to
finish); 2 a bad experiment or sweep file, an output directory holding something else, an
unfinished experiment given to ``report`` (nothing written); 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chainsim.cli import positive_int

EPILOG = """\
examples:
  chainsim experiment experiments/strategy_comparison.yaml --out out/strategy_comparison
  chainsim experiment experiments/strategy_comparison.yaml --out out/sc_dask --backend dask --workers 2
  chainsim report out/strategy_comparison          # rewrite the report of a finished experiment
Rerun the same command after an interruption: only the missing runs run. docs/experiments.md."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "experiment",
        help="run an experiment set (a sweep file and its together_with sweeps), then its report",
        description="Run every sweep of an experiment set into DIR/<sweep name>/ (resumable), record DIR/experiment.json, "
        "then write DIR/report/report.md and figures.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "experiment", help="sweep file with an experiment: section, e.g. experiments/strategy_comparison.yaml"
    )
    p.add_argument("--out", type=Path, required=True, help="results directory (created; rerun to resume)")
    p.add_argument(
        "--backend",
        choices=("local", "dask"),
        default="local",
        help="local process pool (default) or a Dask LocalCluster / --scheduler",
    )
    p.add_argument("--workers", type=positive_int, default=None, help="worker processes (default: all cores)")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://host:8786"
    )
    where.add_argument(
        "--scheduler-file",
        default=None,
        metavar="FILE",
        help="JSON file of 'dask scheduler --scheduler-file'",
    )
    p.add_argument(
        "--force", action="store_true", help="write into a non-empty --out, discarding other results there"
    )
    p.add_argument(
        "--no-report",
        action="store_true",
        help="run the sweeps only (write the report later with chainsim report)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--allow-version-change",
        action="store_true",
        help="resume although finished runs were made by other code (recorded in each manifest.json)",
    )
    p.set_defaults(handler=handle_experiment)
    r = subparsers.add_parser(
        "report",
        help="report.md and figures of a finished `chainsim experiment`",
        description="Write DIR/report/report.md and PNG figures: paired effects under common random "
        "numbers with parameter and noise intervals, dose-response, funnels, frontier.",
    )
    r.add_argument("dir", type=Path, help="the --out directory of a finished `chainsim experiment`")
    r.set_defaults(handler=handle_report)


def handle_experiment(args: argparse.Namespace) -> int:
    from chainsim.report.experiment import command_line, run_experiment

    backend = "dask" if (args.scheduler or args.scheduler_file) else args.backend
    status, record = run_experiment(
        args.experiment,
        args.out,
        backend=backend,
        workers=args.workers,
        scheduler=args.scheduler,
        scheduler_file=args.scheduler_file,
        force=args.force,
        progress=not args.no_progress,
        command=command_line(),
        allow_version_change=args.allow_version_change,
    )
    total = sum(t["seconds"] for t in record["timings"].values())
    print(
        f"experiment {status}: {len(record['timings'])}/{len(record['sweeps'])} sweeps in {args.out}/ ({total:.0f} s)"
    )
    if status != "complete":
        return 130 if status == "interrupted" else 1
    if not args.no_report:
        from chainsim.report.write import write_report

        dest = write_report(args.out)
        print(f"report written to {dest}/report.md")
    return 0


def handle_report(args: argparse.Namespace) -> int:
    from chainsim.report.write import write_report

    dest = write_report(args.dir)
    print(f"report written to {dest}/report.md", file=sys.stdout)
    return 0

"""``chainsim calibrate CONFIG``: the command-line plug-in (see chainsim.cli.PLUGINS).

Bad input (config, targets, priors, an incompatible existing history) is a ScenarioError:
one message naming the file and field, exit status 2, nothing written. Heavy imports
(pyabc, dask, matplotlib) happen inside the handler only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "calibrate",
        help="ABC-SMC calibration on the reported figures (pyabc); resumes if killed",
        description="Likelihood-free Bayesian calibration (pyabc ABC-SMC) of a scenario on reported "
        "figures. Rerunning the same command continues an interrupted run from its history "
        "database; when the history is complete it only rewrites the outputs.",
    )
    p.add_argument("config", type=Path, help="calibration config, e.g. calibration/kunming_2023.yaml")
    p.add_argument(
        "--out", type=Path, default=None, help="output directory (default: the config's directory)"
    )
    p.add_argument(
        "--backend",
        choices=("local", "dask"),
        default="local",
        help="local: pyabc multicore sampler; dask: DaskDistributedSampler (default local)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS|FILE",
        help="with --backend dask: a scheduler address or scheduler file (default: a LocalCluster)",
    )
    p.add_argument(
        "--workers", type=int, default=None, help="processes / LocalCluster workers (default: the config's)"
    )
    p.add_argument("--fresh", action="store_true", help="discard an existing history and start over")
    p.add_argument(
        "--report-only",
        action="store_true",
        help="sample nothing: write posterior, central scenario and report from the history as it stands",
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a field of the calibration config, e.g. --set particles=50 (repeatable)",
    )
    p.set_defaults(handler=_calibrate)


def _calibrate(args: argparse.Namespace) -> int:
    from chainsim.calibration.config import load_calibration
    from chainsim.config.loader import ScenarioError

    overrides = list(args.overrides)
    if args.workers is not None:
        if args.workers < 1:
            raise ScenarioError(f"--workers {args.workers}: must be at least 1")
        from chainsim import limits

        limits.at_most("--workers", args.workers, limits.max_workers())
        overrides.append(f"workers={args.workers}")
    if args.scheduler and args.backend != "dask":
        raise ScenarioError("--scheduler needs --backend dask")
    cal = load_calibration(args.config, overrides)
    out = args.out if args.out is not None else args.config.parent
    from chainsim.results.outdir import check_writable_place

    check_writable_place(out)
    if args.backend == "dask" and args.scheduler and not args.report_only:
        from chainsim.sweep.backends import check_scheduler

        is_file = Path(args.scheduler).is_file()
        check_scheduler(None if is_file else args.scheduler, args.scheduler if is_file else None)

    if args.report_only and args.fresh:
        raise ScenarioError("--report-only and --fresh contradict each other")
    from chainsim.calibration.abc import Paths, check_resumable, open_history, run_abc
    from chainsim.calibration.report import finalise

    paths = Paths(out, cal.config.name)
    resumable = check_resumable(cal, paths, args.fresh)  # refuse a foreign history before writing anything
    if args.report_only:
        if not resumable:
            raise ScenarioError(f"--report-only: no history at {paths.db}; run without --report-only first")
        history = open_history(paths)
    else:
        history = run_abc(cal, paths, backend=args.backend, scheduler=args.scheduler, fresh=args.fresh)
    info = finalise(cal, history, paths, stream=sys.stderr)
    print(
        f"generations {info['generations']}, particles {info['particles']}, simulations {info['simulations']}, "
        f"sampling wall time {info['wall_time_min']:.1f} min"
    )
    print(f"final tolerance ε = {info['epsilon']:.4g}, effective sample size {info['ess']:.0f}")
    print("wrote " + ", ".join(str(p) for p in info["written"]))
    return 0

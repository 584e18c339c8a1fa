"""``chainsim calibrate CONFIG``: the command-line plug-in (see chainsim.cli.PLUGINS).

Bad input (config, targets, priors, an incompatible existing history) is a ScenarioError:
one message naming the file and field, exit status 2, nothing written. Heavy imports
(pyabc, dask, matplotlib) happen inside the handler only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "calibrate",
        help="Bayesian calibration on the reported figures (emulator waves or ABC-SMC); resumes if killed",
        description="Likelihood-free Bayesian calibration of a scenario on reported figures: emulator "
        "waves with MCMC (method: emulator, the default) or pyabc ABC-SMC (method: abc_smc). Rerunning the "
        "same command continues an interrupted run from what it has written; when everything is "
        "simulated it only rewrites the outputs.",
    )
    p.add_argument("config", type=Path, help="calibration config, e.g. calibration/kunming_2023.yaml")
    p.add_argument(
        "--out", type=Path, default=None, help="output directory (default: the config's directory)"
    )
    p.add_argument(
        "--backend",
        choices=("local", "dask"),
        default="local",
        help="local: forked processes; dask: a Dask cluster (default local)",
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
    p.add_argument(
        "--fresh", action="store_true", help="discard an existing history (or waves) and start over"
    )
    p.add_argument(
        "--report-only",
        action="store_true",
        help="simulate nothing: write posterior, central scenario and report from what is stored",
    )
    p.add_argument(
        "--recovery",
        type=int,
        default=None,
        metavar="N",
        help="emulator method: check that the calibration recovers known parameters on N simulated data sets "
        "(uses the first wave, simulating it if missing) instead of calibrating",
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
        from chainsim.sweep.dask_backend import check_scheduler

        is_file = Path(args.scheduler).is_file()
        check_scheduler(None if is_file else args.scheduler, args.scheduler if is_file else None)

    if args.report_only and args.fresh:
        raise ScenarioError("--report-only and --fresh contradict each other")
    from chainsim.calibration.finalise import finalise
    from chainsim.calibration.outfiles import Paths

    paths = Paths(out, cal.config.name)
    if args.recovery is not None:
        return _recovery(cal, paths, args)
    if cal.config.method == "emulator":
        post = _emulator(cal, paths, args)
    else:
        post = _abc(cal, paths, args)
    info = finalise(cal, post, paths, stream=sys.stderr)
    print(info["line"])
    print("wrote " + ", ".join(str(p) for p in info["written"]))
    return 0


def _abc(cal: Any, paths: Any, args: argparse.Namespace) -> Any:
    from chainsim.calibration.abc import abc_posterior, check_resumable, open_history, run_abc
    from chainsim.config.loader import ScenarioError

    resumable = check_resumable(cal, paths, args.fresh)  # refuse a foreign history before writing anything
    if args.report_only:
        if not resumable:
            raise ScenarioError(f"--report-only: no history at {paths.db}; run without --report-only first")
        history = open_history(paths)
    else:
        history = run_abc(cal, paths, backend=args.backend, scheduler=args.scheduler, fresh=args.fresh)
    return abc_posterior(cal, history, paths)


def _emulator(cal: Any, paths: Any, args: argparse.Namespace) -> Any:
    import time

    from chainsim.calibration.wave_files import check_waves
    from chainsim.calibration.waves import run_waves
    from chainsim.calibration.waves_report import emulator_posterior

    check_waves(cal, paths.out, args.fresh, args.report_only)  # refuse foreign or missing waves first
    t0 = time.perf_counter()
    outcome = run_waves(
        cal, paths.out, backend=args.backend, scheduler=args.scheduler, report_only=args.report_only
    )
    return emulator_posterior(cal, outcome, (time.perf_counter() - t0) / 60)


def _recovery(cal: Any, paths: Any, args: argparse.Namespace) -> int:
    from chainsim.calibration import recovery
    from chainsim.calibration.wave_files import check_waves
    from chainsim.calibration.waves import ensure_first_wave
    from chainsim.config.loader import ScenarioError

    if cal.config.method != "emulator":
        raise ScenarioError("--recovery needs method: emulator (it reuses the first wave's emulators)")
    if args.recovery < 10:
        raise ScenarioError(f"--recovery {args.recovery}: use at least 10 data sets")
    if args.report_only:
        raise ScenarioError("--recovery and --report-only contradict each other")
    check_waves(cal, paths.out, args.fresh, False)
    ensure_first_wave(cal, paths.out, backend=args.backend, scheduler=args.scheduler)
    result = recovery.recover(cal, paths.out, args.recovery, stream=sys.stderr)
    written = recovery.write(result, paths.out, cal.config.name)
    print(
        f"recovery: {result['datasets']} data sets; 90 % interval coverage "
        f"{result['coverage_calibration_identified']:.0%} over the {len(result['calibration_identified'])} "
        f"parameters the calibration identifies, {result['coverage_identified']:.0%} over those identified "
        f"in the check, {result['coverage_all']:.0%} over all"
    )
    print("wrote " + ", ".join(str(p) for p in written))
    return 0

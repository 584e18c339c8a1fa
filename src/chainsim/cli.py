"""The ``chainsim`` command line: run, validate, schema.

Every command runs inside one error boundary (:mod:`chainsim.errors`): user mistakes (a
bad scenario file, a bad ``--set``) print one clear message and exit with status 2, with
nothing written to ``--out``; faults (a full disk, a closed stdout) exit 1 saying what was
kept; never a traceback. docs/reliability.md lists each promise with its test.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chainsim.config.loader import ScenarioError
from chainsim.results.outputs import print_summary, write_outputs

EXIT_USAGE = 2
EXIT_FAULT = 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="chainsim", description="Agent-based model of industry-chain investment promotion (产业链招商)."
    )
    p.add_argument(
        "--allow-extends",
        action="append",
        default=[],
        metavar="DIR",
        help="also let scenario files 'extends:' files under DIR (repeatable; by default only the "
        "extending file's own directory tree and the project's scenarios/ and calibration/)",
    )
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a scenario and print a summary")
    run.add_argument("scenario", help="scenario YAML file, e.g. scenarios/kunming_2023.yaml")
    run.add_argument("--seed", type=int, default=None, help="root seed (default: the scenario's)")
    run.add_argument("--replications", "-r", type=positive_int, default=1, help="replicates (default 1)")
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one field, e.g. --set parks.anning.land_ha=900 (repeatable)",
    )
    run.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write summary.json, timeseries.parquet, scenario.resolved.yaml here",
    )
    run.add_argument(
        "--posterior-draws",
        type=positive_int,
        default=None,
        metavar="K",
        help="run K calibration posterior draws × --replications (parameter and stochastic uncertainty)",
    )
    run.add_argument(
        "--engine",
        choices=("vectorised", "reference"),
        default="vectorised",
        help="vectorised (fast, default) or reference (one Mesa agent per firm, for reading and checking)",
    )
    run.add_argument(
        "--vary-pool",
        action="store_true",
        help="draw a candidate pool per replicate, so intervals include the pool's variation "
        "(default: one pool from the root seed, shared by the replicates; slower)",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty --out directory (replacing our files there)",
    )
    run.add_argument("--json", action="store_true", help="print summary.json to stdout instead of the table")
    run.add_argument(
        "--allow-large",
        action="store_true",
        help="run although the estimated memory exceeds what this machine has available",
    )

    val = sub.add_parser("validate", help="check a scenario file")
    val.add_argument("scenario")
    val.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")

    sub.add_parser("schema", help="print the scenario JSON Schema (for editors)")
    for module in PLUGINS:  # each subsystem registers its own subcommand
        try:
            plugin = importlib.import_module(module)
        except ModuleNotFoundError as err:
            if not module.startswith(str(err.name)):  # a missing dependency, not a missing plug-in
                raise
            continue
        plugin.add_parser(sub)
    return p


# Subsystems with a subcommand of their own: each module has add_parser(subparsers),
# which registers the parser with set_defaults(handler=fn); fn(args) returns the exit
# status and raises ScenarioError for bad input. Heavy imports stay inside the handlers.
PLUGINS = (
    "chainsim.config.template",
    "chainsim.calibration.cli",
    "chainsim.sweep.cli",
    "chainsim.dashboard.cli",
    "chainsim.report.cli",
    "chainsim.results.compare_cli",
    "chainsim.results.decompose_cli",
    "chainsim.results.export",
    "chainsim.results.targets_cli",
)


def positive_int(text: str) -> int:
    """argparse type: a whole number ≥ 1 (shared by the subcommands)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {value}")
    return value


class _Progress:
    """A one-line progress bar on stderr (only when stderr is a terminal), redrawn at most
    ten times a second: ``(done, total)`` in the caller's units (replicate-steps of a run);
    tqdm's bar, percent and ETA."""

    def __init__(self, label: str) -> None:
        self.label, self.t0, self.tty = label, time.perf_counter(), sys.stderr.isatty()
        self.last = -1.0

    def __call__(self, done: int, total: int) -> None:
        if not self.tty:
            return
        now = time.perf_counter()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        from tqdm import tqdm

        line = tqdm.format_meter(done, total, now - self.t0, ncols=90, prefix=self.label, unit=" steps")
        sys.stderr.write("\r" + line + ("\n" if done == total else ""))
        sys.stderr.flush()


def _run(args: argparse.Namespace) -> int:
    from chainsim.api import load, run

    cfg = load(args.scenario, args.overrides)
    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise ScenarioError(f"--seed {args.seed}: must be a whole number from 0 to 2**63 - 1")
    if args.out is not None:
        _check_out(args.out, args.force)
    _check_size(args, cfg)
    if args.posterior_draws:
        from chainsim.calibration.posterior import run_with_posterior

        results = run_with_posterior(
            args.scenario,
            args.posterior_draws,
            args.replications,
            seed=args.seed,
            overrides=args.overrides,
            progress=_Progress("draws × replicates"),
        )
    else:
        results = run(
            cfg,
            seed=args.seed,
            replications=args.replications,
            progress=_Progress(f"{args.replications} replicate(s)"),
            engine=args.engine,
            vary_pool=args.vary_pool,
        )
    summary = results.summary()
    if args.out is not None:  # files first: a failed print (closed pipe, full terminal) loses nothing
        written: list[Path] = []
        try:
            write_outputs(args.out, results, summary, written)
        except KeyboardInterrupt:
            saved = ", ".join(p.name for p in written) or "nothing"
            print(
                f"\nchainsim: interrupted while writing; complete files saved: {saved} (no partial files).",
                file=sys.stderr,
            )
            return 130
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        print_summary(summary, results.config)
    if args.out is not None:
        print(f"\nwrote {', '.join(p.name for p in written)} to {args.out}/")
    return 0


def _check_size(args: argparse.Namespace, cfg: Any) -> None:
    """The documented limits on -r and --posterior-draws, and the memory estimate."""
    from chainsim import limits
    from chainsim.engine.calendar import Calendar

    limits.at_most("--replications", args.replications, limits.MAX_REPLICATIONS)
    runs = args.replications
    if args.posterior_draws:
        limits.at_most("--posterior-draws", args.posterior_draws, limits.MAX_POSTERIOR_DRAWS)
        runs *= args.posterior_draws
        limits.at_most(
            "--posterior-draws × --replications",
            runs,
            limits.MAX_DRAWS_X_REPLICATIONS,
            "for more, run a sweep with a posterior: section (results on disk, not in memory)",
        )
    mem, secs = limits.run_estimate(cfg.population.pool_size, Calendar(cfg.calendar).n_steps, runs)
    limits.check_budget(
        f"{runs:,} replicate{'s' if runs > 1 else ''} of {cfg.population.pool_size:,} firms",
        mem,
        secs,
        args.allow_large,
        lambda text: print(f"chainsim: {text}", file=sys.stderr, flush=True),
    )


def _check_out(out: Path, force: bool = False) -> None:
    """Refuse an --out that cannot become a directory, or that holds files already
    (unless --force, which replaces only files chainsim wrote there), before any work."""
    from chainsim.results.outdir import check_writable_place, read_marker
    from chainsim.results.outputs import RUN_FILES

    check_writable_place(out)
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not force:
        raise ScenarioError(
            f"--out {out}: the directory is not empty; choose another, or add --force to replace "
            "chainsim's own files there"
        )
    marker = read_marker(out)
    listed = set(marker["files"]) if marker else set()
    theirs = [n for n in RUN_FILES if (out / n).exists() and n not in listed]
    if theirs:
        raise ScenarioError(
            f"--out {out}: {', '.join(theirs)} there {'was' if len(theirs) == 1 else 'were'} not written by "
            "chainsim (no record in its .chainsim-output.json); --force replaces only chainsim's own "
            "files: move them, or choose another directory"
        )


def _validate(args: argparse.Namespace) -> int:
    from chainsim.api import load

    cfg = load(args.scenario, args.overrides)
    print(
        f"{args.scenario}: valid scenario '{cfg.name}' ({len(cfg.chains)} chains, {len(cfg.parks)} parks, "
        f"{len(cfg.events)} events, pool of {cfg.population.pool_size:,} firms)"
    )
    return 0


def _schema(_: argparse.Namespace) -> int:
    from chainsim.config.schema import Scenario

    schema = Scenario.model_json_schema()
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "Path of a scenario file this one overrides (relative to this file).",
    }
    print(json.dumps(schema, indent=2, ensure_ascii=False))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run a command inside the one error boundary: every
    failure ends in one message (exit 2: bad input; 1: a fault, saying what was kept and
    how to resume; 130: interrupted), never a traceback (CHAINSIM_DEBUG=1 shows one)."""
    from chainsim.errors import boundary

    _tolerant_streams()
    argv = list(sys.argv[1:] if argv is None else argv)
    if (hint := _set_hint(argv)) is not None:
        print(f"chainsim: error: {hint}", file=sys.stderr)
        return 2
    args = _parser().parse_args(argv)
    from chainsim.config.loader import allow_extends

    allow_extends(args.allow_extends)  # this command's list, not one left by an earlier call
    handler = (
        getattr(args, "handler", None)
        or {"run": _run, "validate": _validate, "schema": _schema}[args.command]
    )
    return boundary(handler, args)


def _set_hint(argv: list[str]) -> str | None:
    """``--set key 30`` (a space for the ``=``) would end in argparse's bare "unrecognized
    arguments: 30": say what was meant instead."""
    for i, word in enumerate(argv[:-2]):
        key, value = argv[i + 1], argv[i + 2]
        if word in ("--set", "--set-b") and "=" not in key and not value.startswith("-"):
            return (
                f"{word} takes KEY=VALUE as one word, got '{key}' then '{value}': "
                f"did you mean {word} {key}={value} ?"
            )
    return None


def _tolerant_streams() -> None:
    """Text a terminal cannot show (PYTHONIOENCODING=ascii and Chinese labels) is escaped,
    not a UnicodeEncodeError after the work is done."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # pragma: no cover - a detached or closed stream
                pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

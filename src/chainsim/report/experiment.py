"""``chainsim experiment FILE --out DIR``: run a set of sweeps, then write their report.

``FILE`` is a sweep file with an ``experiment:`` section; its ``together_with`` list names
the other sweep files of the set (experiments/strategy_comparison.yaml: the factorial, the
dose–response and the trade-off). Every file is loaded and checked, and every output
directory inspected, before anything runs or is written (a mistake: exit 2, nothing
written). Each sweep then runs into ``DIR/<sweep name>/`` through
:func:`chainsim.sweep.run_sweep` on one backend shared by the whole set (local processes
or Dask: the same worker code, so the same numbers), resumable like any sweep.
``DIR/experiment.json`` records what ran: the files and their hashes, seeds, draws and
replicates, the calibration posterior (path, SHA-256, stamp, the draws picked), the
chainsim version and git commit; :mod:`chainsim.report.write` reads it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chainsim.config.loader import ScenarioError
from chainsim.results.outputs import atomic_write

FORMAT = "chainsim-experiment/1"


def load_set(path: str | Path) -> list[Any]:
    """The sweeps of an experiment set, the named file first; ScenarioError on any mistake."""
    from chainsim.sweep.config import load_sweep

    path = Path(path)
    first = load_sweep(path)
    if first.spec.experiment is None:
        raise ScenarioError(
            f"{path}: experiment: section missing; a sweep file run by `chainsim experiment` says "
            "how to report it (experiment: {role: factorial | dose_response | tradeoff, ...})",
            path,
            "experiment",
        )
    sweeps, seen = [first], {first.path.resolve()}
    for i, rel in enumerate(first.spec.experiment.together_with):
        other = path.parent / rel
        if not other.is_file():
            raise ScenarioError(
                f"{path}: experiment.together_with.{i}: sweep file {rel!r} not found (looked for {other})",
                path,
                f"experiment.together_with.{i}",
            )
        if other.resolve() in seen:
            raise ScenarioError(
                f"{path}: experiment.together_with.{i}: {rel!r} is listed twice",
                path,
                f"experiment.together_with.{i}",
            )
        sweep = load_sweep(other)
        if sweep.spec.experiment is None:
            raise ScenarioError(
                f"{other}: experiment: section missing (it is run by {path})", other, "experiment"
            )
        sweeps.append(sweep)
        seen.add(other.resolve())
    names = [s.spec.name for s in sweeps]
    for s in sweeps:
        if names.count(s.spec.name) > 1:
            raise ScenarioError(
                f"{s.path}: name: {s.spec.name!r} is used by another sweep of the set; each sweep's "
                "results go to DIR/<name>/",
                s.path,
                "name",
            )
        if s.spec.experiment.role == "tradeoff":
            for o in s.spec.experiment.frontier or ():
                if o not in s.outcomes:
                    raise ScenarioError(
                        f"{s.path}: experiment.frontier: {o!r} is not one of the sweep's outcomes",
                        s.path,
                        "experiment.frontier",
                    )
    return sweeps


def sweep_record(sweep: Any, out: Path) -> dict[str, Any]:
    """What experiment.json says about one sweep (enough for the report without the files)."""
    spec = sweep.spec
    return {
        "name": spec.name,
        "file": str(sweep.path),
        "file_sha256": sweep.file_sha256,
        "hash": sweep.hash,
        "dir": str(out / spec.name),
        "seed": sweep.seed,
        "replications": spec.replications,
        "draws": sweep.posterior.k if sweep.posterior else None,
        "design": spec.design.method,
        "experiment": spec.experiment.model_dump(mode="json"),
        "factors": {
            n: {
                "kind": f.kind,
                "name_zh": f.name_zh,
                "description": f.description,
                "key": f.key,
                "multiply": f.multiply,
                "sets": f.sets,
                "values": f.values,
            }
            for n, f in sweep.design_factors.items()
        },
        "reference": spec.design.reference,
        "outcomes": sweep.outcomes,
        "posterior": sweep.posterior.describe() if sweep.posterior else None,
    }


def run_experiment(
    path: str | Path,
    out: str | Path,
    backend: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    scheduler_file: str | None = None,
    force: bool = False,
    progress: bool = True,
    say: Callable[[str], None] | None = None,
    command: str = "",
    allow_version_change: bool = False,
) -> tuple[str, dict]:
    """Run every sweep of the set into ``out``; return (status, the experiment.json record)."""
    from chainsim import __version__
    from chainsim.results.outdir import check_writable_place, read_marker, write_marker
    from chainsim.sweep.runner import make_backend, run_sweep
    from chainsim.sweep.store import git_info, inspect_out

    say = say or (lambda text: print(text, file=sys.stderr, flush=True))
    path, out = Path(path), Path(out)
    sweeps = load_set(path)
    check_writable_place(out)
    previous = _read_record(out)
    marker = read_marker(out) if out.is_dir() else None
    ours = previous is not None or (marker is not None and marker.get("command") == "experiment")
    if out.exists() and any(out.iterdir()) and not ours:
        raise ScenarioError(
            f"--out {out}: the directory is not empty and holds no experiment of chainsim (no "
            "experiment.json); choose an empty or new directory (--force replaces only chainsim's "
            "own output, never other files)"
        )
    for s in sweeps:  # every directory checked before anything runs
        inspect_out(out / s.spec.name, s, force, allow_version_change)
    record = {
        "format": FORMAT,
        "name": sweeps[0].spec.name,
        "file": str(path),
        "file_sha256": sweeps[0].file_sha256,
        "command": command,
        "chainsim_version": __version__,
        "git": git_info(),
        "python": sys.version.split()[0],
        "backend": backend,
        "workers": workers,
        "started": _now(),
        "ended": None,
        "status": "running",
        "calibration": _calibration(sweeps),
        "sweeps": [sweep_record(s, out) for s in sweeps],
        "timings": {},
    }
    engine = make_backend(
        backend, workers, scheduler, scheduler_file
    )  # an unreachable scheduler: exit 2, nothing written
    status = "complete"
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_marker(out, "experiment", ["experiment.json", "report", *(s.spec.name for s in sweeps)])
        _write_record(out, record)
        for i, s in enumerate(sweeps, 1):
            say(
                f"experiment {record['name']}: sweep {i}/{len(sweeps)} {s.spec.name} "
                f"({s.spec.experiment.role}) → {out / s.spec.name}"
            )
            t0 = time.monotonic()
            rep = run_sweep(
                s.path,
                out / s.spec.name,
                backend=engine,
                force=force,
                progress=progress,
                say=say,
                command=command,
                allow_version_change=allow_version_change,
            )
            record["timings"][s.spec.name] = {
                "seconds": round(time.monotonic() - t0, 1),
                "runs": rep.runs_total,
                "status": rep.status,
            }
            manifest = json.loads((out / s.spec.name / "manifest.json").read_text(encoding="utf-8"))
            if manifest["sweep"]["hash"] != s.hash:
                raise ScenarioError(
                    f"{s.path}: the sweep changed while the experiment ran (a recalibration?); "
                    f"rerun the command to run it again with the current files"
                )
            if rep.status != "complete":
                status = rep.status
                if rep.message:
                    say(f"chainsim: {rep.message}")
                break
    except KeyboardInterrupt:
        status = "interrupted"
    finally:
        engine.close()
        record.update(status=status, ended=_now())
        _write_record(out, record)
    return status, record


def _calibration(sweeps: list[Any]) -> dict[str, Any] | None:
    """The posterior every sweep of the set draws from (they must share one)."""
    posts = [s.posterior for s in sweeps if s.posterior is not None]
    if not posts:
        return None
    shas = {p.sha256 for p in posts}
    if len(shas) > 1:
        raise ScenarioError(
            f"{sweeps[0].path}: the sweeps of the set draw from different posteriors "
            f"({', '.join(sorted(str(p.posterior) for p in posts))}); one experiment, one calibration"
        )
    p = posts[0]
    return {
        "posterior": str(p.posterior),
        "posterior_sha256": p.sha256,
        "calibration": str(p.calibration),
        "calibration_sha256": hashlib.sha256(p.calibration.read_bytes()).hexdigest(),
        "calibrated": str(p.calibrated),
        "stamp": p.info,
    }


def _now() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


def _read_record(out: Path) -> dict[str, Any] | None:
    try:
        rec = json.loads((out / "experiment.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) and rec.get("format") == FORMAT else None


def read_record(out: Path) -> dict[str, Any]:
    """experiment.json of a finished experiment, or ScenarioError."""
    if not out.is_dir():
        raise ScenarioError(
            f"{out}: no such directory (give the --out directory of `chainsim experiment`)", out
        )
    rec = _read_record(out)
    if rec is None:
        raise ScenarioError(
            f"{out}: no readable experiment.json of format {FORMAT}; give the --out directory of "
            "`chainsim experiment`",
            out / "experiment.json",
        )
    return rec


def _write_record(out: Path, record: dict[str, Any]) -> None:
    text = json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n"
    atomic_write(out / "experiment.json", lambda p: p.write_text(text, encoding="utf-8"))


def command_line() -> str:
    return shlex.join(["chainsim", *sys.argv[1:]])

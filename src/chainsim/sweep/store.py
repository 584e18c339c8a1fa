"""The results directory of a sweep: a Parquet dataset, a manifest, and resuming.

Layout of ``DIR``::

    runs/part-SSSS-NNNNNN.parquet   result rows, one per finished run, in small files
    manifest.json                   what ran, with what, when, and what failed
    sweep.yaml                      a copy of the sweep file
    design.parquet                  the design points (point id + factor values)
    base_scenario.yaml              the resolved base scenario (after extends: and set:)

Rows are buffered and written every ``batch_rows`` rows or ``flush_seconds`` seconds, each
file through a temporary name and a rename, so a file is complete or absent whatever
kills the process (SIGKILL, a lost node, a full disk). The files are the only record of
what is done: on a rerun the run ids found in ``runs/`` are skipped, so nothing runs
twice and nothing is lost but the unflushed buffer. One sweep writes into a directory at a
time (an advisory lock). Memory stays flat: the buffer holds at most ``batch_rows`` rows
and "done" is one byte per run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from chainsim.config.loader import ScenarioError
from chainsim.results.outputs import atomic_write, resolved_yaml
from chainsim.sweep.config import Sweep
from chainsim.version import __version__

FORMAT = "chainsim-sweep/1"
OURS = ("runs", "manifest.json", "sweep.yaml", "design.parquet", "base_scenario.yaml", ".lock")
MAX_FAILURES_KEPT = 1000
PACKAGES = (
    "numpy",
    "scipy",
    "pyarrow",
    "pydantic",
    "mesa",
    "networkx",
    "dask",
    "distributed",
    "dask_jobqueue",
)


def now() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


class StoreError(OSError):
    """The results could not be written (a full disk, a vanished directory)."""


def arrow_schema(sweep: Sweep) -> pa.Schema:
    """Column types of the results rows: ids, seed, factor values, outcomes, wall and CPU time
    (the only columns that differ between two runs of the same sweep)."""
    fields = [
        pa.field("run_id", pa.int64()),
        pa.field("point", pa.int64()),
        pa.field("replicate", pa.int32()),
        pa.field("seed", pa.int64()),
    ]
    for name, f in sweep.spec.factors.items():
        fields.append(
            pa.field(
                name,
                factor_type(
                    f.range is not None and not f.integer,
                    f.integer,
                    f.values if f.range is None else None,
                    [r[name] for r in sweep.table or []],
                ),
            )
        )
    fields += [pa.field(o, pa.float64()) for o in sweep.outcomes]
    fields += [pa.field("wall_time_s", pa.float64()), pa.field("cpu_time_s", pa.float64())]
    return pa.schema(fields)


def factor_type(is_float: bool, is_int: bool, values: list | None, table: list) -> pa.DataType:
    if is_float:
        return pa.float64()
    if is_int:
        return pa.int64()
    vals = list(values or []) + list(table)
    if vals and all(isinstance(v, bool) for v in vals):
        return pa.bool_()
    if vals and all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return pa.int64()
    if vals and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
        return pa.float64()
    return pa.string()


def inspect_out(out: Path, sweep: Sweep, force: bool) -> str:
    """Decide, without writing, what to do with ``out``: "new", "resume" or "force".
    A different sweep, or unknown files, in a non-empty directory is refused (exit 2)."""
    if out.exists() and not out.is_dir():
        raise ScenarioError(f"--out {out}: exists and is not a directory")
    if not out.exists() or not any(out.iterdir()):
        parent = next(p for p in (out, *out.parents) if p.exists())
        if not os.access(parent, os.W_OK):
            raise ScenarioError(f"--out {out}: {parent} is not writable")
        return "new"
    manifest = out / "manifest.json"
    try:
        old = json.loads(manifest.read_text(encoding="utf-8"))
        old_hash = old["sweep"]["hash"]
    except (OSError, ValueError, KeyError, TypeError):
        old, old_hash = None, None
    if old_hash == sweep.hash:
        return "resume"
    if force:
        return "force"
    runs = out / "runs"
    if (
        old is None
        and {p.name for p in out.iterdir()} <= set(OURS)
        and not (runs.is_dir() and any(runs.iterdir()))
    ):
        return "force"  # a start killed before its manifest was written: only our empty shell is there
    if old is None:
        raise ScenarioError(
            f"--out {out}: the directory is not empty and holds no sweep manifest; choose an "
            "empty or new directory (or --force to write into it anyway)"
        )
    raise ScenarioError(
        f"--out {out}: holds results of a different sweep ({old['sweep'].get('file')}, "
        f"hash {old_hash[:12]}…, this one {sweep.hash[:12]}…); choose another directory, or "
        "--force to discard those results"
    )


class Store:
    """An open results directory: lock held, done runs known, rows buffered and flushed."""

    def __init__(
        self,
        out: Path,
        sweep: Sweep,
        mode: str,
        n_runs: int,
        points: list[dict[str, Any]],
        batch_rows: int = 100,
        flush_seconds: float = 10.0,
    ) -> None:
        self.out, self.sweep, self.n_runs = out, sweep, n_runs
        self.batch_rows, self.flush_seconds = batch_rows, flush_seconds
        self.schema = arrow_schema(sweep)
        out.mkdir(parents=True, exist_ok=True)
        self._lock = _lock(out)
        if mode == "force":
            for name in OURS[:-1]:
                p = out / name
                shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
        self.runs_dir = out / "runs"
        self.runs_dir.mkdir(exist_ok=True)
        for tmp in [*self.runs_dir.glob(".*.tmp"), *out.glob(".*.tmp")]:  # left by a killed writer
            tmp.unlink(missing_ok=True)
        self.done = np.zeros(n_runs, dtype=bool)
        self.duplicates = 0
        self._seq = 0
        for part in sorted(self.runs_dir.glob("part-*.parquet")):
            self._seq = max(self._seq, _seq_of(part))
            try:
                ids = pq.read_table(part, columns=["run_id"]).column("run_id").to_numpy()
            except Exception:  # unreadable (not ours, or a non-POSIX file system): set aside, rerun its runs
                part.rename(part.with_suffix(".unreadable"))
                continue
            self.duplicates += int(self.done[ids].sum())
            self.done[ids] = True
        self.manifest = self._load_manifest(mode)
        self.session = len(self.manifest["sessions"])
        self.failures: dict[int, dict[str, Any]] = {}
        self.n_failed = 0
        self._buffer: list[dict[str, Any]] = []
        self._last_flush = time.monotonic()
        if mode != "resume" or not (out / "design.parquet").exists():
            self._write_inputs(points)

    # ------------------------------------------------------------------ rows
    def missing(self) -> np.ndarray:
        return np.flatnonzero(~self.done)

    def add(self, rows: Iterable[dict[str, Any]], failures: Iterable[dict[str, Any]] = ()) -> None:
        for row in rows:
            if self.done[row["run_id"]]:  # a task Dask ran twice: keep the first result
                continue
            self.done[row["run_id"]] = True
            self._buffer.append(row)
            self.failures.pop(row["run_id"], None)
        for f in failures:
            self.n_failed += 1
            if len(self.failures) < MAX_FAILURES_KEPT:
                self.failures[f["run_id"]] = f
        if len(self._buffer) >= self.batch_rows or time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Write the buffered rows as one Parquet file (temp name + rename)."""
        self._last_flush = time.monotonic()
        if not self._buffer:
            return
        rows, self._buffer = self._buffer, []
        table = pa.Table.from_pylist(rows, schema=self.schema)
        self._seq += 1
        try:
            atomic_write(
                self.runs_dir / f"part-{self.session:04d}-{self._seq:06d}.parquet",
                lambda p: pq.write_table(table, p, compression="zstd"),
            )
        except OSError as exc:
            for row in rows:  # not saved: they will run again next time
                self.done[row["run_id"]] = False
            raise StoreError(f"cannot write results to {self.runs_dir} ({exc.strerror or exc})") from exc
        self.write_manifest("running")

    @property
    def n_done(self) -> int:
        return int(self.done.sum())

    # ------------------------------------------------------------------ manifest
    def _load_manifest(self, mode: str) -> dict[str, Any]:
        path = self.out / "manifest.json"
        if mode == "resume" and path.exists():
            m = json.loads(path.read_text(encoding="utf-8"))
            m["sessions"] = m.get("sessions", [])
            return m
        s = self.sweep
        return {
            "format": FORMAT,
            "sweep": {
                "name": s.spec.name,
                "file": str(s.path),
                "file_sha256": s.file_sha256,
                "hash": s.hash,
                "base": s.spec.base,
                "set": s.spec.set,
                "seed": s.seed,
                "replications": s.spec.replications,
                "common_random_numbers": s.spec.common_random_numbers,
                "design": s.spec.design.method,
                "points": self.n_runs // s.spec.replications,
                "runs": self.n_runs,
                "factors": {
                    n: f.model_dump(mode="json", exclude_defaults=True) for n, f in s.spec.factors.items()
                },
                "outcomes": s.outcomes,
            },
            "environment": environment(),
            "started": now(),
            "ended": None,
            "status": "new",
            "runs_total": self.n_runs,
            "runs_done": self.n_done,
            "runs_failed": 0,
            "failures": [],
            "sessions": [],
        }

    def begin_session(self, info: dict[str, Any]) -> None:
        self.manifest["sessions"].append(
            {"started": now(), "ended": None, **info, "runs_done_before": self.n_done}
        )
        self.manifest["environment"] = environment()
        self.write_manifest("running")

    def write_manifest(self, status: str) -> None:
        m = self.manifest
        m.update(
            status=status,
            runs_done=self.n_done,
            runs_failed=self.n_failed,
            failures=sorted(self.failures.values(), key=lambda f: f["run_id"]),
        )
        if status != "running":
            m["ended"] = now()
            if m["sessions"]:
                m["sessions"][-1].update(ended=m["ended"], status=status, runs_done_after=self.n_done)
        atomic_write(
            self.out / "manifest.json",
            lambda p: p.write_text(json.dumps(m, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"),
        )

    def _write_inputs(self, points: list[dict[str, Any]]) -> None:
        s = self.sweep
        atomic_write(self.out / "sweep.yaml", lambda p: p.write_bytes(s.path.read_bytes()))
        atomic_write(
            self.out / "base_scenario.yaml", lambda p: p.write_text(resolved_yaml(s.base), encoding="utf-8")
        )
        fields = [self.schema.field("point"), *(self.schema.field(n) for n in s.spec.factors)]
        cols = {"point": list(range(len(points)))} | {n: [pt[n] for pt in points] for n in s.spec.factors}
        table = pa.table(cols, schema=pa.schema(fields))
        atomic_write(self.out / "design.parquet", lambda p: pq.write_table(table, p))
        self.write_manifest("running")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._lock.close()


def _seq_of(part: Path) -> int:
    try:
        return int(part.stem.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return 0


def _lock(out: Path) -> Any:
    """An exclusive advisory lock on DIR/.lock, released by the OS when the process dies."""
    fh = open(out / ".lock", "a+")
    try:
        import fcntl

        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except ImportError:  # Windows: no advisory locks; a single writer is up to the user
        pass
    except OSError:
        fh.close()
        raise ScenarioError(
            f"--out {out}: another chainsim sweep is writing into this directory; wait for it "
            "or choose another directory"
        ) from None
    return fh


def environment() -> dict[str, Any]:
    """chainsim and package versions, Python, host and the git commit of the code (if any)."""
    from importlib.metadata import PackageNotFoundError, version

    pkgs = {}
    for name in PACKAGES:
        try:
            pkgs[name] = version(name.replace("_", "-"))
        except PackageNotFoundError:
            pkgs[name] = None
    return {
        "chainsim_version": __version__,
        "git": git_info(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "host": socket.gethostname(),
        "packages": pkgs,
    }


def git_info() -> dict[str, Any] | None:
    """The commit of the chainsim source tree, and whether it has local changes (None without git)."""
    where = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=10
        )
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return {
        "commit": commit.stdout.strip(),
        "dirty": bool(dirty.stdout.strip()) if dirty.returncode == 0 else None,
    }


def read_results(out: str | Path) -> pa.Table:
    """All result rows of a sweep directory, sorted by run id."""
    parts = sorted(Path(out, "runs").glob("part-*.parquet"))
    if not parts:
        raise FileNotFoundError(f"no results in {out}/runs")
    table = pa.concat_tables([pq.read_table(p) for p in parts])
    return table.sort_by("run_id")

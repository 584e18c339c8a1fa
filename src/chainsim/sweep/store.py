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
and "done" is one byte per run. Whether a directory may be resumed at all (the same sweep,
design version, design points and code) is decided by :mod:`chainsim.sweep.resume`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import platform
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
from chainsim.provenance import PACKAGES, code_fingerprint, package_versions
from chainsim.results.outdir import clean_tmp, write_marker
from chainsim.results.outputs import atomic_write, resolved_yaml
from chainsim.sweep.config import Sweep
from chainsim.sweep.resume import FORMAT, META_CODE, META_SWEEP, OURS, check_code, inspect_out, read_manifest
from chainsim.sweep.spec import DESIGN_VERSION
from chainsim.version import __version__

MAX_FAILURES_KEPT = 1000
__all__ = ["PACKAGES", "Store", "StoreError", "environment", "inspect_out", "read_results"]


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
        self.code_hash = code_fingerprint()
        self.version_change = sorted(check_code(out, True)) if mode == "resume" else []
        self.schema = arrow_schema(sweep).with_metadata(
            {META_SWEEP: sweep.hash.encode(), META_CODE: self.code_hash.encode()}
        )
        out.mkdir(parents=True, exist_ok=True)
        self._lock = _lock(out)
        if mode == "force":
            self._remove_ours()
        # first of all: these names are chainsim's, and which sweep they belong to
        write_marker(out, "sweep", OURS, sweep_hash=sweep.hash)
        self.runs_dir = out / "runs"
        self.runs_dir.mkdir(exist_ok=True)
        clean_tmp(out)  # left by a writer killed between its write and its rename
        for tmp in self.runs_dir.glob(".part-*.tmp"):
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

    def _remove_ours(self) -> None:
        """--force: remove the files of chainsim's earlier sweep here, and nothing else (not
        the sweep file being run, should it lie here)."""
        keep = {self.sweep.path.resolve()}
        for name in OURS[:-1]:
            p = self.out / name
            if p.resolve() in keep:
                continue
            if name == "runs" and p.is_dir() and not p.is_symlink():
                for f in p.iterdir():
                    if f.is_file() and (
                        f.name.startswith("part-") or f.name.endswith((".tmp", ".unreadable"))
                    ):
                        f.unlink()
                with contextlib.suppress(OSError):
                    p.rmdir()  # kept if something else is in it
            elif p.is_file() or p.is_symlink():
                p.unlink()
        clean_tmp(self.out)

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
        try:
            self.write_manifest("running")
        except OSError as exc:  # the rows are saved; only the manifest lags behind
            raise StoreError(f"cannot write {self.out / 'manifest.json'} ({exc.strerror or exc})") from exc

    @property
    def n_done(self) -> int:
        return int(self.done.sum())

    # ------------------------------------------------------------------ manifest
    def _load_manifest(self, mode: str) -> dict[str, Any]:
        self.rebuilt = False
        if mode == "resume":
            m = read_manifest(self.out)
            if m is not None and m["sweep"]["hash"] == self.sweep.hash:
                m["sessions"] = m.get("sessions") or []
                return m
            self.rebuilt = True  # lost or truncated: the part files are the record of what is done
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
                "design_version": DESIGN_VERSION[s.spec.design.method],
                "samples": s.spec.design.samples,
                "levels": s.spec.design.levels,
                "reference": s.spec.design.reference,
                "points": self.n_runs // s.spec.replications,
                "runs": self.n_runs,
                "factors": {
                    n: f.model_dump(mode="json", exclude_defaults=True) for n, f in s.spec.factors.items()
                },
                "outcomes": s.outcomes,
            },
            "environment": environment(),
            "code_hash": self.code_hash,
            **({"rebuilt_from_parts": now()} if self.rebuilt else {}),
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
        session = {"started": now(), "ended": None, **info, "runs_done_before": self.n_done}
        # each session's code: the first one's stays in manifest["environment"] / ["code_hash"]
        session["code_hash"] = self.code_hash
        session["environment"] = environment()
        if self.version_change:
            session["version_change"] = {
                "from": self.version_change,
                "to": self.code_hash,
                "allowed_by": "--allow-version-change",
            }
        self.manifest["sessions"].append(session)
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
        text = (json.dumps(m, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            atomic_write(self.out / "manifest.json", lambda p: p.write_bytes(text))
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            # a full disk has no room for a second copy: rewrite the old one in place (a
            # manifest cut short by a crash now is rebuilt from the part files on resume)
            try:
                with open(self.out / "manifest.json", "r+b") as fh:
                    fh.write(text)
                    fh.truncate()
            except OSError:
                raise exc from None

    def _write_inputs(self, points: list[dict[str, Any]]) -> None:
        s = self.sweep
        copy = self.out / "sweep.yaml"
        if not (copy.exists() and copy.resolve() == s.path.resolve()):  # never over the file being run
            atomic_write(copy, lambda p: p.write_bytes(s.path.read_bytes()))
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
    pkgs = package_versions()
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
    table = pa.concat_tables([pq.read_table(p).replace_schema_metadata(None) for p in parts])
    return table.sort_by("run_id")

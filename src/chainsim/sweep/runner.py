"""Run a sweep: design → missing runs → chunks → backend → Parquet, resumable.

:func:`run_sweep` is what ``chainsim sweep`` calls. The order of its checks is the
contract: the sweep file, the output directory and the backend (an unreachable scheduler)
are all checked before anything is written, so a mistake leaves no trace. Then the store
says which runs are already done, and only the missing ones are sent, in chunks whose size
adapts to the measured run time (about a second of work each, and never so large that
workers idle at the end). Results are written as they arrive.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainsim.sweep.backends import Chunk, LocalBackend, NoWorkers, SerialBackend
from chainsim.sweep.config import Sweep, load_sweep
from chainsim.sweep.dask_backend import DaskBackend, connect_dask
from chainsim.sweep.design import design_points
from chainsim.sweep.progress import Progress
from chainsim.sweep.seeds import model_seed
from chainsim.sweep.store import Store, StoreError, inspect_out
from chainsim.sweep.worker import Run, RunSpec

TARGET_CHUNK_SECONDS = 1.0
MAX_CHUNK = 64


@dataclass
class SweepReport:
    out: Path
    status: str  # complete | incomplete (failures) | interrupted | stopped | error
    runs_total: int
    runs_done: int
    runs_this_session: int
    runs_missing: int
    seconds: float  # from the first run sent to the last result (start-up excluded)
    startup_seconds: float  # worker processes started and chainsim imported in them
    backend: str
    workers: int
    message: str = ""


def make_backend(
    kind: str,
    workers: int | None,
    scheduler: str | None = None,
    scheduler_file: str | None = None,
    cluster: Any = None,
    timeout: float = 10.0,
) -> Any:
    """The backend for the CLI's choices (raises ScenarioError for an unreachable scheduler)."""
    from chainsim import limits

    if workers is not None:
        limits.at_most("--workers", workers, limits.max_workers(), "more workers only compete for the cores")
    if kind == "dask" or scheduler or scheduler_file or cluster is not None:
        if cluster is not None:
            from distributed import Client

            return DaskBackend(
                Client(cluster), cluster, no_worker_timeout=float("inf")
            )  # jobs may wait in the queue
        return connect_dask(scheduler, scheduler_file, workers, timeout)
    n = workers or os.cpu_count() or 1
    return SerialBackend() if n == 1 else LocalBackend(n)


class _Chunker:
    """Missing run ids → chunks of consecutive runs (replicates of a point stay together,
    so a worker validates each point's scenario once). The size aims at
    TARGET_CHUNK_SECONDS of work from the mean run time measured so far, and is capped so
    every worker still gets several chunks of what is left."""

    def __init__(
        self,
        sweep: Sweep,
        points: list[dict[str, Any]],
        missing: Any,
        workers: Callable[[], int],
        fixed: int | None,
    ) -> None:
        self.sweep, self.points, self.missing = sweep, points, missing
        self.workers, self.fixed = workers, fixed
        self.run_seconds: float | None = None
        self._n = 0

    def observe(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            t = row["wall_time_s"]
            self._n += 1
            self.run_seconds = (
                t
                if self.run_seconds is None
                else self.run_seconds + (t - self.run_seconds) / min(self._n, 50)
            )

    def size(self, left: int) -> int:
        if self.fixed:
            return self.fixed
        if self.run_seconds is None:
            return 1
        want = max(1, round(TARGET_CHUNK_SECONDS / max(self.run_seconds, 1e-6)))
        fair = max(1, left // (4 * self.workers()))
        return max(1, min(want, fair, MAX_CHUNK))

    def __iter__(self) -> Iterator[Chunk]:
        reps, crn, seed = self.sweep.spec.replications, self.sweep.spec.common_random_numbers, self.sweep.seed
        i, n = 0, len(self.missing)
        while i < n:
            k = self.size(n - i)
            chunk = []
            for rid in self.missing[i : i + k]:
                rid = int(rid)
                p, r = divmod(rid, reps)
                chunk.append(
                    Run(
                        run_id=rid,
                        point=p,
                        replicate=r,
                        seed=model_seed(seed, p, r, crn),
                        values=self.points[p],
                    )
                )
            i += k
            yield chunk


def run_spec(sweep: Sweep) -> RunSpec:
    return RunSpec(
        hash=sweep.hash,
        base_data=sweep.base_data,
        keys={n: f.key for n, f in sweep.spec.factors.items()},
        outcomes=tuple(sweep.outcomes),
        pool_seed=sweep.seed,
    )


def run_sweep(
    sweep_path: str | Path,
    out: str | Path,
    backend: Any = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    scheduler_file: str | None = None,
    cluster: Any = None,
    force: bool = False,
    batch_rows: int = 100,
    flush_seconds: float = 10.0,
    chunk: int | None = None,
    progress: bool = True,
    say: Callable[[str], None] | None = None,
    command: str = "",
    timeout: float = 10.0,
    allow_version_change: bool = False,
    allow_large: bool = False,
) -> SweepReport:
    """Run (or resume) a sweep into ``out``; see the module docstring. ``backend`` is
    "local" or "dask", or a backend object (then it is started but not closed here)."""
    _refuse_in_worker_bootstrap()
    say = say or (lambda text: print(text, file=sys.stderr, flush=True))
    out = Path(out)
    sweep = load_sweep(sweep_path)
    check_sweep_size(sweep, workers or os.cpu_count() or 1, allow_large, say)  # before the points exist
    points = design_points(sweep)
    n_runs = len(points) * sweep.spec.replications
    mode = inspect_out(out, sweep, force, allow_version_change, points)
    own = isinstance(backend, str)  # a backend object passed in stays open for its owner
    engine = make_backend(backend, workers, scheduler, scheduler_file, cluster, timeout) if own else backend
    store = None
    try:
        store = Store(out, sweep, mode, n_runs, points, batch_rows=batch_rows, flush_seconds=flush_seconds)
        missing = store.missing()
        t_start = time.monotonic()
        if len(missing):
            engine.start(lambda text: say(f"warning: {text}"))  # processes up, chainsim imported
    except BaseException as exc:
        if store is not None:  # interrupted or failed while workers started: say so in the manifest
            store.manifest["stop_reason"] = (
                "interrupted" if isinstance(exc, KeyboardInterrupt) else "start-up failed"
            )
            try:
                store.write_manifest("stopped")
            except OSError:
                pass
            store.close()
        if own:
            with contextlib.suppress(Exception):
                engine.close()
        raise
    t0 = time.monotonic()
    startup = t0 - t_start
    before = store.n_done
    if store.duplicates:
        say(
            f"warning: {store.duplicates} duplicate rows found in {out}/runs (read_results keeps them; report this)"
        )
    if mode == "resume":
        say(f"resuming {out}: {before} of {n_runs} runs already done, {len(missing)} to run")
    if store.rebuilt:
        say(
            f"warning: {out}/manifest.json was missing or unreadable: rebuilt from the part files in {out}/runs"
        )
    if store.version_change:
        say(
            f"warning: --allow-version-change: adding runs of code {store.code_hash[:12]}… to runs of code "
            f"{', '.join(h[:12] for h in store.version_change)} (recorded in {out}/manifest.json)"
        )
    # "error" until the loop ends normally: an unexpected exception leaves it in the manifest
    status, message, n_workers = "error", "", engine.workers
    store.begin_session(
        {"backend": engine.name, "workers": n_workers, "command": command, "pid": os.getpid()}
    )
    bar = Progress(n_runs, before, label=f"sweep {sweep.spec.name}", enabled=progress and len(missing) > 0)
    chunker = _Chunker(sweep, points, missing, lambda: engine.workers, chunk)
    restore = _sigterm_as_interrupt()
    try:
        for _chunk, rows, failures in engine.stream(run_spec(sweep), iter(chunker)):
            chunker.observe(rows)
            store.add(rows, failures)
            for f in failures:
                say(
                    f"run {f['run_id']} (point {f['point']}, replicate {f['replicate']}) failed: {f['error'].splitlines()[-1]}"
                )
            bar.update(len(rows), len(failures))
        store.flush()
        status = "complete"
        if store.n_done < n_runs:
            status = "incomplete"
            message = (
                f"{n_runs - store.n_done} runs failed (errors in {out}/manifest.json); fix the cause and "
                "rerun the same command to run only those"
            )
    except KeyboardInterrupt:
        status, message = "interrupted", "interrupted"
    except NoWorkers as exc:
        status, message = "stopped", f"{exc}; start workers and rerun the same command to resume"
    except StoreError as exc:  # a full disk, a vanished directory: what was flushed stays
        status, message = "stopped", f"{exc}; free space"
    finally:
        restore()
        bar.close()
        try:
            store.flush()
        except OSError:
            pass
        if status == "interrupted":  # the manifest says stopped, and why
            store.manifest["stop_reason"] = "interrupted (Ctrl-C or SIGTERM)"
        try:
            store.write_manifest("stopped" if status == "interrupted" else status)
        except OSError:
            pass
        store.close()
        if own:
            engine.close()
    if status in ("interrupted", "stopped"):
        message += f"; {store.n_done} of {n_runs} runs are saved in {out}, rerun the same command to resume"
    return SweepReport(
        out=out,
        status=status,
        runs_total=n_runs,
        runs_done=store.n_done,
        runs_this_session=store.n_done - before,
        runs_missing=n_runs - store.n_done,
        seconds=time.monotonic() - t0,
        startup_seconds=startup,
        backend=engine.name,
        workers=n_workers,
        message=message,
    )


def check_sweep_size(sweep: Sweep, workers: int, allow_large: bool, say: Callable[[str], None]) -> None:
    """The documented limits on design points and runs, and the memory and time estimate,
    computed from the sweep file alone (a full factorial's points are not built first)."""
    from chainsim import limits
    from chainsim.engine.calendar import Calendar
    from chainsim.sweep.design import n_points

    points = n_points(sweep)
    hint = "split the sweep, or use a sampled design (latin_hypercube, sobol) with fewer samples"
    limits.at_most(f"{sweep.path}: design points", points, limits.MAX_POINTS, hint)
    runs = points * sweep.spec.replications
    limits.at_most(f"{sweep.path}: runs (points × replications)", runs, limits.MAX_RUNS, hint)
    pool = sweep.base.population.pool_size
    mem, secs = limits.sweep_estimate(pool, Calendar(sweep.base.calendar).n_steps, points, runs, workers)
    limits.check_budget(
        f"sweep {sweep.spec.name}: {runs:,} runs on {workers} worker(s)", mem, secs, allow_large, say
    )


def _refuse_in_worker_bootstrap() -> None:
    """A worker process imports the driver's script as ``__mp_main__`` (spawn, forkserver):
    without a main guard, the script's run_sweep call would start a sweep in every worker."""
    frame = sys._getframe(1)
    while frame is not None:  # the script runs as module "__mp_main__" while it is imported there
        if frame.f_globals.get("__name__") == "__mp_main__":
            break
        frame = frame.f_back
    else:
        return
    raise RuntimeError(
        "run_sweep() was called while a worker process imported your script: put the call "
        'under `if __name__ == "__main__":` (worker processes import the main script)'
    )


def _sigterm_as_interrupt() -> Callable[[], None]:
    """SIGTERM (a batch system ending the driver's job) stops the sweep like Ctrl-C: the
    buffer is flushed and the manifest says 'interrupted'."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)
    return lambda: signal.signal(signal.SIGTERM, old)

"""What a worker process runs: a chunk of runs → result rows (or failures).

The same function runs in the driver (one worker), in a local process pool and on Dask
workers, so outcomes are identical on every backend. A worker keeps a small cache for the
life of its process: chainsim and NumPy are imported once (not per run), and the
validated scenario of the last few design points is kept, because consecutive runs are
usually replicates of one point. Consecutive runs of one point (its replicates, or one
posterior draw's) are stepped together as one batch of the vectorised engine, which gives
each run exactly what it gives alone. A run that raises becomes a failure record with
its error text; it does not stop the chunk.
"""

from __future__ import annotations

import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainsim.config.schema import Scenario
from chainsim.engine.calendar import Calendar
from chainsim.engine.model import ChainModel, release_models
from chainsim.results.summary import Replicate, Results
from chainsim.sweep.outcomes import outcome_value
from chainsim.sweep.seeds import run_seed
from chainsim.sweep.settings import point_config
from chainsim.sweep.spec import Scalar


@dataclass(frozen=True)
class RunSpec:
    """What every run of one sweep shares. Sent with each chunk; cached by ``hash``."""

    hash: str
    base_data: dict[str, Any]
    keys: dict[str, str]  # factor name → dotted scenario key
    outcomes: tuple[str, ...]
    pool_seed: int  # the sweep seed: the candidate pool of every run, as `chainsim run --seed` draws it


@dataclass(frozen=True)
class Run:
    run_id: int
    point: int
    replicate: int
    seed: int
    values: dict[str, Scalar] = field(hash=False)


_CACHE: OrderedDict[tuple[str, int], tuple[Scenario, Calendar]] = OrderedDict()
_CACHE_SIZE = 8


def _config(spec: RunSpec, run: Run) -> tuple[Scenario, Calendar]:
    key = (spec.hash, run.point)
    hit = _CACHE.get(key)
    if hit is None:
        cfg = point_config(spec.base_data, spec.keys, run.values).model_copy(update={"seed": spec.pool_seed})
        hit = _CACHE[key] = (cfg, Calendar(cfg.calendar))
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(key)
    return hit


def run_batch(spec: RunSpec, runs: list[Run]) -> list[dict[str, Any]]:
    """Runs of one design point, stepped together → their results rows (inputs, outcomes,
    and each run's share of the batch's wall and CPU time)."""
    t0, c0 = time.perf_counter(), time.process_time()
    cfg, cal = _config(spec, runs[0])
    seeds = [
        run_seed(run.seed, run.values) for run in runs
    ]  # run.seed, or a posterior draw's own seed (seeds.py)
    model = ChainModel(cfg, seeds=seeds).run()
    rows = []
    for run, seed, recorder in zip(runs, seeds, model.recorders):
        res = Results(config=cfg, seed=seed, replicates=[Replicate(seed=seed, recorder=recorder)])
        res.date_end, res.burn_in = cal.date_end, cal.burn_in
        with np.errstate(all="ignore"):
            summary = res.summary()
        row: dict[str, Any] = {
            "run_id": run.run_id,
            "point": run.point,
            "replicate": run.replicate,
            "seed": seed,
        }
        row.update(run.values)
        row.update({o: outcome_value(summary, o) for o in spec.outcomes})
        rows.append(row)
    del model
    release_models()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0  # CPU: this process's, load-independent
    for row in rows:
        row["wall_time_s"], row["cpu_time_s"] = wall / len(rows), cpu / len(rows)
    return rows


def run_chunk(spec: RunSpec, runs: list[Run]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run a chunk; return (rows, failures). A failure keeps the error text for the manifest."""
    rows, failures = [], []
    for batch in _batches(runs):
        try:
            rows += run_batch(spec, batch)
        except Exception:  # one bad run must not lose the others: run the batch one by one
            for run in batch:
                try:
                    rows += run_batch(spec, [run])
                except Exception as exc:
                    text = "".join(traceback.format_exception_only(exc)).strip()
                    tb = traceback.format_exc(limit=-4)
                    failures.append(
                        {
                            "run_id": run.run_id,
                            "point": run.point,
                            "replicate": run.replicate,
                            "seed": run_seed(run.seed, run.values),
                            "error": text[-2000:],
                            "traceback": tb[-4000:],
                        }
                    )
    return rows, failures


def _batches(runs: list[Run], size: int = 32) -> list[list[Run]]:
    """Consecutive runs of the same design point, at most ``size`` together."""
    out: list[list[Run]] = []
    for run in runs:
        if out and out[-1][0].point == run.point and out[-1][0].values == run.values and len(out[-1]) < size:
            out[-1].append(run)
        else:
            out.append([run])
    return out


def warm_up(driver_pid: int | None = None) -> None:
    """Pool initialiser. Importing this module already imported chainsim (once per
    process, or once in the fork server). With ``driver_pid``, watch the driver: a pool
    worker blocks on its task queue forever if the driver is SIGKILLed (and keeps the fork
    server alive, and the driver's stdout open, so its caller hangs), so it exits by itself
    within a second of the driver's death — also while the dead driver is a zombie its
    parent has not reaped yet, or once this worker has been handed to another parent.
    Ctrl-C is the driver's to handle: a worker ignores SIGINT (no tracebacks from workers)."""
    import os
    import signal

    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):  # pragma: no cover - not the main thread
        pass
    if driver_pid is None:
        return
    import threading

    parent = os.getppid()

    def gone() -> bool:
        if os.getppid() != parent:  # our parent (the fork server or the driver) has died
            return True
        try:
            os.kill(driver_pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # the pid now belongs to another user's process: ours is gone
            return True
        try:  # a SIGKILLed driver stays a zombie until its parent waits for it
            with open(f"/proc/{driver_pid}/stat", "rb") as fh:
                return fh.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
        except (OSError, IndexError):
            return False

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if gone():
                os._exit(1)

    threading.Thread(target=watch, name="chainsim-driver-watch", daemon=True).start()

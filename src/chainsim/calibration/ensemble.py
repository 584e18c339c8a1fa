"""Design points simulated with R replicates each, written as they finish (resumable).

The emulator calibration (:mod:`.waves`) learns how each reported statistic depends on the
parameters from a *design*: parameter sets spread over the region still plausible, each
simulated with ``R`` replicates stepped as one batch. For every ``summary.json`` path the
targets use, a design point records the replicate **mean** and the **variance of one
replicate** (so the noise of the mean, var/R, is known and modelled rather than fitted).

Each point gets its own root seed (``SeedSequence([seed, wave, index])``): independent
noise across points, which the emulator averages over, instead of one realisation shared
by a whole wave. Rows are appended to ``<name>.waves/wave<k>.csv`` as points finish; a
killed run keeps them and rerunning skips them.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from chainsim.calibration.params import ParameterSpace
from chainsim.calibration.schema import Target
from chainsim.calibration.targets import lookup

RECYCLE = 25  # design points a local worker simulates before it is replaced (see executor)


def target_paths(targets: Mapping[str, Target]) -> list[str]:
    """The distinct summary.json paths the targets read, in target order."""
    return list(dict.fromkeys(p for t in targets.values() for p in t.paths))


def point_seed(root: int, wave: int, index: int) -> int:
    state = np.random.SeedSequence([root, 7_000 + wave, index]).generate_state(1, dtype=np.uint64)[0]
    return int(state >> np.uint64(1))


class PointSimulator:
    """Picklable: a natural-scale parameter set → each path's replicate mean and variance."""

    def __init__(self, space: ParameterSpace, paths: list[str], replicates: int) -> None:
        self.space, self.paths, self.replicates = space, paths, replicates

    def __call__(self, job: tuple[int, dict[str, float], int]) -> tuple[int, dict[str, float]]:
        from chainsim.api import run
        from chainsim.config.schema import Scenario
        from chainsim.engine.model import release_models
        from chainsim.results.summary import Results

        index, natural, seed = job
        cfg = Scenario.model_validate(self.space.scenario_data(natural))
        res = run(cfg, seed=seed, replications=self.replicates)
        per = [
            Results(res.config, res.seed, [r], res.date_end, res.burn_in).summary() for r in res.replicates
        ]
        row: dict[str, float] = {}
        for p in self.paths:
            v = np.array([lookup(s, p) for s in per])
            v = v[np.isfinite(v)]
            row[f"{p}:mean"] = float(v.mean()) if v.size else math.nan
            row[f"{p}:var"] = float(v.var(ddof=1)) if v.size > 1 else math.nan
            row[f"{p}:n"] = float(v.size)
        del res
        release_models()
        return index, row


class LocalPools:
    """Local worker processes, replaced every ``RECYCLE`` points a worker. The growth that
    made this necessary (≈ 5 GB a worker after 400 points) was finished models left in
    reference cycles, which :func:`~chainsim.engine.model.release_models` now frees after
    every point; the fresh pools stay as a guard against whatever a worker still keeps
    (``max_tasks_per_child`` would do it, but CPython 3.12's executor stops spawning
    replacements after the first ones exit: a hang, seen here)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def chunks(self, jobs: list) -> Iterator[tuple[Executor, list]]:
        from chainsim.sweep.backends import mp_context

        size = self.workers * RECYCLE
        for start in range(0, len(jobs), size):
            with ProcessPoolExecutor(self.workers, mp_context=mp_context()) as pool:
                yield pool, jobs[start : start + size]


class OnePool:
    """One executor for every job (a Dask cluster's: its workers are its own business)."""

    def __init__(self, pool: Executor) -> None:
        self.pool = pool

    def chunks(self, jobs: list) -> Iterator[tuple[Executor, list]]:
        yield self.pool, jobs


@contextmanager
def executor(backend: str, workers: int, scheduler: str | None = None) -> Iterator[LocalPools | OnePool]:
    """Where design points run: local worker processes (:class:`LocalPools`), or a Dask
    cluster's executor (``Client.get_executor``; a LocalCluster of single-threaded workers
    unless a scheduler address or file is given, with the sweep's Dask settings)."""
    if backend == "local":
        yield LocalPools(workers)
        return
    with dask_client(workers, scheduler) as client:
        yield OnePool(client.get_executor(pure=False))


@contextmanager
def dask_client(workers: int, scheduler: str | None) -> Iterator[Any]:
    """A Dask client: on a LocalCluster of ``workers`` single-threaded workers started with the
    sweep's Dask settings (before the nannies start: ENVIRONMENT.md) and ignoring Ctrl-C (the
    driver's), or on a scheduler address or scheduler file; closed afterwards."""
    import dask
    from distributed import Client, LocalCluster

    from chainsim.sweep.backends import sigint_ignored
    from chainsim.sweep.dask_backend import DASK_CONFIG

    cluster = None
    if scheduler is None:
        with dask.config.set(DASK_CONFIG), sigint_ignored():
            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
        client = Client(cluster)
    elif Path(scheduler).is_file():
        client = Client(scheduler_file=scheduler)
    else:
        client = Client(scheduler)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


WAVE_KEY = 1_000_000  # a point's key across waves: wave × WAVE_KEY + its index in the wave


def read_waves(folder: Path, waves: int) -> dict[int, dict[str, float]]:
    """The finished points of waves 1…``waves`` in ``folder``, keyed wave × WAVE_KEY + index."""
    return {
        k * WAVE_KEY + i: r
        for k in range(1, waves + 1)
        for i, r in read_rows(folder / f"wave{k}.csv").items()
    }


def read_rows(path: Path) -> dict[int, dict[str, float]]:
    """The finished points of a wave file (a torn last line from a kill is ignored)."""
    if not path.exists():
        return {}
    rows = {}
    with path.open(newline="", encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            try:
                rows[int(rec["index"])] = {k: float(v) for k, v in rec.items() if k != "index"}
            except (TypeError, ValueError):
                continue
    return rows


def simulate_design(
    sim: PointSimulator,
    internal: np.ndarray,
    file: Path,
    root_seed: int,
    wave: int,
    pools: LocalPools | OnePool,
    progress: Callable[[int, int], None] | None = None,
) -> dict[int, dict[str, float]]:
    """Simulate every row of ``internal`` (design points, internal scale) not yet in ``file``;
    append each finished point to ``file`` at once. Returns all rows by index."""
    space = sim.space
    done = read_rows(file)
    fields = ["index", *space.names, *(f"{p}:{k}" for p in sim.paths for k in ("mean", "var", "n"))]
    todo = [i for i in range(len(internal)) if i not in done]
    new = not file.exists() or file.stat().st_size == 0
    file.parent.mkdir(parents=True, exist_ok=True)
    if not new:
        _drop_torn_line(file)
    with file.open("a", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        if new:
            writer.writeheader()
        jobs = [
            (i, space.to_natural(dict(zip(space.names, internal[i]))), point_seed(root_seed, wave, i))
            for i in todo
        ]
        k = 0
        for pool, chunk in pools.chunks(jobs):
            futures = [pool.submit(sim, job) for job in chunk]
            try:
                for fut in as_completed(futures):
                    i, row = fut.result()
                    full = {"index": i, **dict(zip(space.names, map(float, internal[i]))), **row}
                    writer.writerow({key: full[key] for key in fields})
                    f.flush()
                    done[i] = {key: float(full[key]) for key in fields if key != "index"}
                    k += 1
                    if progress:
                        progress(k, len(todo))
            except BaseException:
                # interrupted (Ctrl-C, SIGTERM) or failed: drop the points not yet started, so
                # the pool's shutdown waits for the running ones only, not the whole chunk
                for fut in futures:
                    fut.cancel()
                raise
    return done


def _drop_torn_line(file: Path) -> None:
    """A kill can leave half a row at the end: cut it, so the next row starts on its own line."""
    data = file.read_bytes()
    if data and not data.endswith(b"\n"):
        with file.open("r+b") as f:
            f.truncate(data.rfind(b"\n") + 1)


def design_arrays(
    rows: Mapping[int, Mapping[str, float]], names: list[str], paths: list[str]
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(X internal, mean by path, one-replicate variance by path, finite replicates by path)."""
    idx = sorted(rows)
    X = np.array([[rows[i][n] for n in names] for i in idx], dtype=float).reshape(len(idx), len(names))
    mean = {p: np.array([rows[i][f"{p}:mean"] for i in idx], dtype=float) for p in paths}
    var = {p: np.array([rows[i][f"{p}:var"] for i in idx], dtype=float) for p in paths}
    n = {p: np.array([rows[i][f"{p}:n"] for i in idx], dtype=float) for p in paths}
    return X, mean, var, n

"""Where runs execute: in this process or in a local process pool (on a Dask cluster:
:mod:`chainsim.sweep.dask_backend`).

Every backend has the same streaming interface, :meth:`Backend.stream`: it pulls chunks
of runs lazily from an iterator, keeps a bounded number in flight (about two per worker,
so a million-run sweep never holds a million futures), and yields each chunk's
``(chunk, rows, failures)`` as soon as it finishes, in whatever order. The runner writes
each result and drops it, so neither the driver nor the workers accumulate results.

* ``SerialBackend`` — one worker: runs in the driver process (no start-up at all).
* ``LocalBackend`` — ``concurrent.futures.ProcessPoolExecutor`` with the ``forkserver``
  start method (``spawn`` where there is none): chainsim is imported once by the fork
  server and inherited by every worker (see :func:`mp_context`). A
  worker that dies (OOM killer, SIGKILL) breaks the pool: the pool is rebuilt and the
  chunks in flight are retried, up to ``MAX_ATTEMPTS`` times each.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from chainsim.sweep.worker import Run, RunSpec, run_chunk, warm_up

Chunk = list[Run]
Result = tuple[Chunk, list[dict[str, Any]], list[dict[str, Any]]]
MAX_ATTEMPTS = 3


class NoWorkers(RuntimeError):
    """The cluster has had no worker for too long; the sweep stops and can be resumed."""


def chunk_failures(chunk: Chunk, error: str) -> list[dict[str, Any]]:
    return [
        {"run_id": r.run_id, "point": r.point, "replicate": r.replicate, "seed": r.seed, "error": error}
        for r in chunk
    ]


class SerialBackend:
    name = "serial"

    def __init__(self) -> None:
        self.workers = 1

    def start(self, warn: Any = None) -> None:
        pass

    def stream(self, spec: RunSpec, chunks: Iterator[Chunk]) -> Iterator[Result]:
        for chunk in chunks:
            yield (chunk, *run_chunk(spec, chunk))

    def close(self) -> None:
        pass


def mp_context() -> mp.context.BaseContext:
    """forkserver with chainsim preloaded (Linux, macOS), spawn elsewhere; never plain
    fork, which can deadlock a driver that runs threads (Dask's). As with spawn, a worker
    imports the caller's ``__main__`` script: a script that calls run_sweep needs an
    ``if __name__ == "__main__":`` guard (run_sweep says so if it is missing)."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["chainsim.sweep.worker"])
        from multiprocessing import forkserver

        with sigint_ignored():  # the fork server and every worker it forks ignore Ctrl-C
            forkserver.ensure_running()
        return ctx
    return mp.get_context("spawn")


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT while child processes start: they inherit it, so a Ctrl-C at the
    terminal (sent to the whole process group) reaches only the driver, which stops the
    workers cleanly, instead of printing a traceback from every worker process."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def _pid(_: int) -> int:
    time.sleep(0.05)  # long enough that every worker process gets one
    return os.getpid()


class LocalBackend:
    name = "local"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = self._new_pool()

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=mp_context(), initializer=warm_up, initargs=(os.getpid(),)
        )

    def start(self, warn: Any = None) -> None:
        """Start the workers now (they import chainsim), so that start-up is not counted as
        run time."""
        try:
            list(self._pool.map(_pid, range(self.workers)))
        except cf.process.BrokenProcessPool:
            raise RuntimeError(
                "the local worker processes failed to start (see the errors above); a script that "
                'calls run_sweep needs an `if __name__ == "__main__":` guard'
            ) from None

    def stream(self, spec: RunSpec, chunks: Iterator[Chunk]) -> Iterator[Result]:
        window = 2 * self.workers
        pending: dict[cf.Future, tuple[Chunk, int]] = {}
        retry: list[tuple[Chunk, int]] = []
        exhausted = False
        while True:
            broken = False
            while len(pending) < window and (retry or not exhausted):
                if retry:
                    chunk, attempt = retry.pop()
                elif (chunk := next(chunks, None)) is None:
                    exhausted = True
                    break
                else:
                    attempt = 1
                try:
                    pending[self._pool.submit(run_chunk, spec, chunk)] = (chunk, attempt)
                except cf.process.BrokenProcessPool:
                    retry.append((chunk, attempt))
                    broken = True
                    break
            if not pending and not broken:
                return
            done = cf.wait(pending, return_when=cf.FIRST_COMPLETED)[0] if pending else set()
            for fut in done:
                chunk, attempt = pending.pop(fut)
                try:
                    yield (chunk, *fut.result())
                except cf.process.BrokenProcessPool:
                    broken = True
                    yield from self._requeue(retry, chunk, attempt)
            if broken:  # a worker died: every other future of this pool fails too
                for fut, (chunk, attempt) in list(pending.items()):
                    if fut.done() and not fut.cancelled() and fut.exception() is None:
                        yield (chunk, *fut.result())
                    else:
                        yield from self._requeue(retry, chunk, attempt)
                pending.clear()
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()

    @staticmethod
    def _requeue(retry: list[tuple[Chunk, int]], chunk: Chunk, attempt: int) -> Iterator[Result]:
        if attempt < MAX_ATTEMPTS:
            retry.append((chunk, attempt + 1))
        else:
            yield (
                chunk,
                [],
                chunk_failures(
                    chunk,
                    f"a worker process died {attempt} times while this chunk "
                    "was running (out of memory? killed?)",
                ),
            )

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

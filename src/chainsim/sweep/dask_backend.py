"""Runs on a Dask cluster: the sweep backend, the Dask settings chainsim starts workers
with, and the checks of a scheduler address or file.

``DaskBackend`` — a ``distributed.Client``: results are streamed with
  ``distributed.as_completed`` and each future is released once its result is taken. A
  lost worker's chunks are rerun by Dask on the others; a chunk that killed
  ``distributed.scheduler.allowed-failures`` workers comes back as ``KilledWorker`` and
  its runs are recorded as failures. If no worker is left for ``no_worker_timeout``
  seconds the sweep stops cleanly (rerun to resume) instead of hanging. Dask's
  housekeeping that costs every run CPU (the statistical profiler, 50 Hz event-loop
  ticks; :data:`QUIET`) is configured off on the clusters chainsim starts and switched off
  by a worker plugin, for the length of the sweep, on clusters it connects to.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chainsim.sweep.backends import Chunk, NoWorkers, Result, chunk_failures, sigint_ignored
from chainsim.sweep.worker import RunSpec, run_chunk
from chainsim.version import __version__

TRIM_FIX = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
#: Dask's housekeeping that a sweep does not need, measured on an idle 2-worker LocalCluster
#: (benchmarks/dask_trim.py): the statistical profiler samples every worker's threads every
#: 10 ms and each server (scheduler, nannies, workers, client) checks its event loop 50
#: times a second; with these settings a worker's idle CPU fell from ~2.4 % to ~0.2 % of a
#: core and the driver's (scheduler + nannies) from ~3.4 % to ~0.7 %. Under load each wake-up
#: also takes the GIL from the running model. Lost: the dashboard's profile page.
QUIET = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.system-monitor.gil.enabled": False,  # polls the GIL every 1 ms if gilknocker is installed
    "distributed.worker.memory.monitor-interval": "500ms",
}
#: what chainsim sets for the Dask processes it starts (LocalCluster, batch-job workers)
DASK_CONFIG = TRIM_FIX | QUIET
QUIET_PLUGIN = "chainsim-quiet-workers"
QUIET_TICK_MS = 500.0


def _probe() -> dict[str, Any]:
    """Run on every Dask worker before the sweep: can it import chainsim, and is the
    nanny's MALLOC_TRIM_THRESHOLD_ (3.5× slower NumPy here) set in its environment?"""
    import chainsim.sweep.worker  # noqa: F401  (the import cost is paid here, once)

    return {
        "chainsim": __version__,
        "trim": os.environ.get("MALLOC_TRIM_THRESHOLD_"),
        "python": sys.version.split()[0],
    }


def quiet_plugin() -> Any:
    """A worker plugin that applies :data:`QUIET` to workers chainsim did not start (a
    running scheduler's, or ones that join later): it stops the statistical profiler and
    slows the event-loop tick, and undoes both when the sweep ends (unregistered)."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class QuietWorker(WorkerPlugin):  # defined here so that importing backends never imports distributed
        name = QUIET_PLUGIN

        def setup(self, worker: Any) -> None:
            self.stopped = [
                n
                for n in ("profile", "profile-cycle")
                if (pc := worker.periodic_callbacks.get(n)) is not None and pc.is_running()
            ]
            for n in self.stopped:
                worker.periodic_callbacks[n].stop()
            tick = worker.periodic_callbacks.get("tick")
            self.tick_ms = tick.callback_time if tick is not None else None
            if tick is not None and tick.callback_time < QUIET_TICK_MS:
                tick.callback_time = QUIET_TICK_MS  # read by tornado when it schedules the next call
                worker._tick_interval = QUIET_TICK_MS / 1000

        def teardown(self, worker: Any) -> None:
            for n in getattr(self, "stopped", ()):
                if (pc := worker.periodic_callbacks.get(n)) is not None:
                    pc.start()
            tick = worker.periodic_callbacks.get("tick")
            if tick is not None and getattr(self, "tick_ms", None):
                tick.callback_time = self.tick_ms
                worker._tick_interval = self.tick_ms / 1000

    return QuietWorker()


def _worker_state(dask_worker: Any) -> dict[str, Any]:
    """The settings of a Dask worker that cost a sweep time (``client.run(_worker_state)``
    passes the worker; used by the tests and the benchmark)."""
    pcs = dask_worker.periodic_callbacks
    return {
        "profiler": any(n in pcs and pcs[n].is_running() for n in ("profile", "profile-cycle")),
        "tick_ms": pcs["tick"].callback_time if "tick" in pcs else None,
        "trim": os.environ.get("MALLOC_TRIM_THRESHOLD_"),
    }


class DaskBackend:
    name = "dask"

    def __init__(
        self, client: Any, cluster: Any = None, no_worker_timeout: float = 600.0, quiet: bool = True
    ) -> None:
        self.client, self.cluster = client, cluster
        self.no_worker_timeout, self.quiet = no_worker_timeout, quiet
        self._threads, self._asked = 0, -1e9
        self._quieted = False

    @property
    def workers(self) -> int:
        """Worker threads on the cluster now (asked at most every 2 s: it is a round trip)."""
        if time.monotonic() - self._asked > 2.0:
            self._threads, self._asked = sum(self.client.nthreads().values()), time.monotonic()
        return max(1, self._threads)

    def start(self, warn: Any) -> dict[str, Any]:
        """Probe the workers (they import chainsim now); warn when the trim fix is missing
        or their chainsim differs from the driver's."""
        info = self.client.run(_probe) if self.client.nthreads() else {}
        bad = sorted(w for w, i in info.items() if i["chainsim"] != __version__)
        if bad:
            warn(
                f"workers {', '.join(bad)} run chainsim {info[bad[0]]['chainsim']}, this driver {__version__}"
            )
        if info and self.quiet and not self._quieted:
            try:  # also reaches workers that join later (batch jobs replacing retired ones)
                self.client.register_plugin(quiet_plugin(), name=QUIET_PLUGIN)
                self._quieted = True
            except Exception as exc:  # an old or locked-down cluster: the sweep still runs, a little slower
                warn(f"could not turn off the Dask profiler on the workers ({type(exc).__name__}: {exc})")
        trimmed = sorted(w for w, i in info.items() if i["trim"] is not None)
        if trimmed:
            warn(
                f"{len(trimmed)} Dask worker(s) run with MALLOC_TRIM_THRESHOLD_={info[trimmed[0]]['trim']} (set by the "
                "nanny), which makes chainsim runs several times slower; start them with the Dask config "
                "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_: null (docs/clusters.md)"
            )
        return info

    def stream(self, spec: RunSpec, chunks: Iterator[Chunk]) -> Iterator[Result]:
        from distributed import as_completed

        ac = as_completed(with_results=True, raise_errors=False)
        pending: dict[str, Chunk] = {}
        exhausted, no_workers_since, last_check = False, None, 0.0
        while True:
            window = 2 * self.workers + 1
            while not exhausted and len(pending) < window:
                chunk = next(chunks, None)
                if chunk is None:
                    exhausted = True
                    break
                fut = self.client.submit(run_chunk, spec, chunk, pure=False, retries=0)
                pending[fut.key] = chunk
                ac.add(fut)
            if not pending:
                return
            batch = ac.next_batch(block=False)
            if not batch:
                now = time.monotonic()
                if now - last_check > 2.0:  # a sweep must not wait forever on a cluster with no workers
                    last_check = now
                    if self.client.nthreads():
                        no_workers_since = None
                    elif no_workers_since is None:
                        no_workers_since = now
                    elif now - no_workers_since > self.no_worker_timeout:
                        raise NoWorkers(f"no Dask worker for {self.no_worker_timeout:.0f} s")
                time.sleep(0.1)  # Dask queues tasks on the workers ahead: this wait never idles one
                continue
            for fut, result in batch:
                chunk = pending.pop(fut.key)
                status = fut.status
                fut.release()  # the result is ours now: let the cluster forget it
                if status == "error":
                    _typ, exc, _tb = result
                    yield chunk, [], chunk_failures(chunk, f"{type(exc).__name__}: {exc}")
                elif status == "cancelled":
                    yield chunk, [], chunk_failures(chunk, "cancelled by the Dask scheduler")
                else:
                    rows, failures = result
                    yield chunk, rows, failures
                del fut, result

    def close(self) -> None:
        # the cluster first: its workers stop before the scheduler, so they log no
        # heartbeat errors on the way out
        try:
            if self._quieted and self.cluster is None:  # someone else's workers: leave them as they were
                try:
                    self.client.unregister_worker_plugin(QUIET_PLUGIN)
                except Exception:  # noqa: BLE001 (a scheduler already gone has nothing to restore)
                    pass
            if self.cluster is not None:
                self.cluster.close()
        finally:
            self.client.close()


#: a Dask scheduler address: [protocol://]host:port (no spaces, no shell characters)
ADDRESS = r"^(?:(?:tcp|tls|ws|wss|inproc|ucx)://)?(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(?::\d{1,5})?$"


def check_scheduler(scheduler: str | None, scheduler_file: str | None, timeout: float = 10.0) -> str | None:
    """The scheduler address given by ``--scheduler`` or ``--scheduler-file`` (read as the
    JSON file Dask writes), checked for form and reachability (a TCP connection, nothing
    sent) before anything is written; ScenarioError otherwise. None if neither is given."""
    import json
    import re
    import socket

    from chainsim.config.loader import ScenarioError
    from chainsim.config.yamlfile import read_input

    if scheduler_file:
        what = f"--scheduler-file {scheduler_file}"
        if not os.path.exists(scheduler_file):
            raise ScenarioError(
                f"{what}: file not found (start the scheduler with --scheduler-file {scheduler_file})"
            )
        raw = read_input(Path(scheduler_file), scheduler_file, "scheduler file", limit=1_000_000)
        try:
            info = json.loads(raw.decode("utf-8"))
            address = info["address"]
            if not isinstance(address, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise ScenarioError(
                f'{what}: not a Dask scheduler file (a JSON object with an "address", written by '
                "'dask scheduler --scheduler-file FILE')"
            ) from None
    elif scheduler:
        what, address = f"--scheduler {scheduler}", scheduler
    else:
        return None
    if not re.match(ADDRESS, address):
        raise ScenarioError(f"{what}: {address[:80]!r} is not a scheduler address (tcp://HOST:PORT)")
    if address.startswith(("tcp://", "tls://")) or "://" not in address:
        hostport = address.split("://", 1)[-1]
        host, _, port = hostport.rpartition(":")
        host = host.strip("[]") or hostport
        try:
            with socket.create_connection((host, int(port or 8786)), timeout=max(timeout, 0.1)):
                pass
        except (OSError, ValueError, OverflowError) as exc:
            raise ScenarioError(
                f"{what}: cannot reach the Dask scheduler at {address} within {timeout:.0f} s "
                f"({getattr(exc, 'strerror', None) or exc}); is it running, and is the address "
                "tcp://HOST:PORT?"
            ) from None
    return address


def connect_dask(
    scheduler: str | None, scheduler_file: str | None, workers: int | None, timeout: float = 10.0
) -> DaskBackend:
    """A client for a running scheduler, or a new LocalCluster with the trim fix applied.
    An unreachable scheduler raises ScenarioError (exit 2) before anything is written."""
    import dask
    from distributed import Client, LocalCluster

    from chainsim.config.loader import ScenarioError

    if scheduler or scheduler_file:
        what = f"--scheduler {scheduler}" if scheduler else f"--scheduler-file {scheduler_file}"
        check_scheduler(scheduler, scheduler_file, timeout)
        try:
            if scheduler:
                client = Client(scheduler, timeout=timeout)
            else:
                client = Client(scheduler_file=scheduler_file, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - whatever Dask raises, one message
            raise ScenarioError(
                f"{what}: cannot reach the Dask scheduler within {timeout:.0f} s "
                f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                "is it running, and is the address tcp://HOST:PORT?"
            ) from None
        return DaskBackend(client)
    with dask.config.set(DASK_CONFIG), sigint_ignored():  # Ctrl-C: the driver's, not the workers'
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
    return DaskBackend(Client(cluster), cluster)

"""Batch clusters (SLURM, PBS) through dask-jobqueue: job settings, job script, cluster.

Each job runs ``processes`` Dask workers of one thread each (chainsim runs are
single-threaded NumPy). Two things make long sweeps survive the batch system:

* **Walltime.** Workers get ``--lifetime`` = walltime minus a margin (and a stagger), so
  they retire cleanly before the scheduler kills the job, and ``adapt`` keeps ``jobs``
  jobs queued: a retired job is replaced by a fresh one. A task on a worker that goes is
  rerun elsewhere; results already written are never lost (docs/clusters.md).
* **The trim fix.** The job script exports the Dask config
  ``distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_: null`` (through
  ``DASK_INTERNAL_INHERIT_CONFIG``, the variable Dask itself uses to pass configuration to
  the processes it starts), because the nanny's default made chainsim ~3× slower here,
  together with the rest of ``dask_backend.DASK_CONFIG`` (worker profiler off, slower
  event-loop ticks), which cost a few per cent of every run.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from chainsim.config.dotted import nest
from chainsim.config.loader import ScenarioError
from chainsim.sweep.cluster_spec import ClusterSpec

KINDS = ("slurm", "pbs")


def settings(spec: ClusterSpec, flags: dict[str, Any]) -> ClusterSpec:
    """The sweep file's cluster settings, with command-line flags (not None) on top."""
    given = {k: v for k, v in flags.items() if v is not None}
    try:
        return ClusterSpec.model_validate({**spec.model_dump(), **given})
    except Exception as exc:
        first = str(exc).splitlines()
        raise ScenarioError(f"cluster settings: {'; '.join(line.strip() for line in first[1:3])}") from None


def walltime_seconds(text: str) -> int:
    """'[D-]HH:MM[:SS]' → seconds."""
    m = re.fullmatch(r"(?:(\d+)-)?(\d{1,3}):(\d{2}):(\d{2})", text)
    if not m:
        raise ScenarioError(f"walltime {text!r}: expected HH:MM:SS (or D-HH:MM:SS)")
    d, h, mi, s = (int(x or 0) for x in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60 + s


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"  # PBS has no D- form


def job_kwargs(kind: str, c: ClusterSpec) -> dict[str, Any]:
    """Keyword arguments of SLURMCluster / PBSCluster (and of their job classes)."""
    import dask

    wall = walltime_seconds(c.walltime)
    margin = max(min(600, wall // 10), 60) if wall > 180 else 0
    lifetime_args = (
        ["--lifetime", f"{wall - margin}s", "--lifetime-stagger", f"{margin // 2}s"] if margin else []
    )
    from chainsim.sweep.dask_backend import DASK_CONFIG

    prologue = [
        "# Dask config: distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_: null (chainsim runs ~3x slower",
        "# without it), worker profiler off, slower event-loop ticks (chainsim.sweep.dask_backend.DASK_CONFIG)",
        f"export DASK_INTERNAL_INHERIT_CONFIG={dask.config.serialize(nest(DASK_CONFIG))}",
        *c.job_script_prologue,
    ]
    kw: dict[str, Any] = {
        "queue": c.queue,
        "account": c.account,
        "cores": c.cores,
        "processes": c.processes or c.cores,
        "memory": c.memory,
        "walltime": c.walltime if kind == "slurm" else _hms(wall),
        "interface": c.interface,
        "local_directory": c.local_directory,
        "python": c.python or sys.executable,
        "job_extra_directives": list(c.job_extra_directives),
        "job_script_prologue": prologue,
        "worker_extra_args": lifetime_args,
        "job_name": "chainsim-sweep",
    }
    return kw


def job_script(kind: str, c: ClusterSpec) -> str:
    """The job script one worker job runs (no scheduler is started, no SLURM needed)."""
    job_cls = _classes(kind)[1]
    kw = job_kwargs(kind, c)
    return job_cls(
        "tcp://<scheduler address, filled in at run time>:8786", name="chainsim-worker", **kw
    ).job_script()


SUBMIT = {"slurm": "sbatch", "pbs": "qsub"}  # the batch system's submit command


def make_cluster(kind: str, c: ClusterSpec) -> Any:
    """Start the scheduler here and keep ``jobs`` worker jobs queued (adaptive). Refuses
    (bad input, before any work) where the batch system's submit command is not on PATH:
    no job could ever start, and the sweep would wait for workers forever."""
    import shutil

    import dask

    submit = SUBMIT.get(kind)
    if submit and shutil.which(submit) is None:
        raise ScenarioError(
            f"--cluster {kind}: '{submit}' is not on PATH here, so no worker job can be submitted; "
            f"run the sweep on the cluster's login node, or see the job script with --dry-run"
        )

    from chainsim.sweep.dask_backend import DASK_CONFIG

    cluster_cls = _classes(kind)[0]
    with dask.config.set(DASK_CONFIG):  # the scheduler runs here: it ticks slowly too
        cluster = cluster_cls(**job_kwargs(kind, c))
    cluster.adapt(minimum_jobs=c.jobs, maximum_jobs=c.jobs)  # replaces jobs ended by walltime
    return cluster


def _classes(kind: str) -> tuple[Any, Any]:
    try:
        if kind == "slurm":
            from dask_jobqueue.slurm import SLURMCluster, SLURMJob

            return SLURMCluster, SLURMJob
        if kind == "pbs":
            from dask_jobqueue.pbs import PBSCluster, PBSJob

            return PBSCluster, PBSJob
    except ImportError:
        raise ScenarioError("--cluster needs dask-jobqueue: pip install 'chainsim[dask]'") from None
    raise ScenarioError(f"--cluster {kind!r}: must be one of {', '.join(KINDS)}")

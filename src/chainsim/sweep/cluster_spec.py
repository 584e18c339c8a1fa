"""The ``cluster:`` section of a sweep file: batch-cluster settings for ``--cluster slurm|pbs``.

Every value here ends up in a generated job script (:mod:`chainsim.sweep.cluster`, through
dask-jobqueue), so each field is held to a strict pattern: no newline, shell
metacharacter or control character can add a line to the script.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chainsim.config.base import Strict

#: strict patterns of what goes into a generated job script (no newline can add a line)
NAME_LIST = r"^[A-Za-z0-9_.,+@-]+$"
PLAIN_PATH = r"^[^\s;&|`$<>'\"\\(){}*?]+$"
OneLine = Annotated[str, Field(min_length=1, max_length=500, pattern=r"^[^\n\r\x00-\x1f\x7f]+$")]


class ClusterSpec(Strict):
    """Batch-cluster settings for ``--cluster slurm|pbs`` (each can be overridden by a flag)."""

    kind: Literal["slurm", "pbs"] | None = Field(None, description="Job scheduler of the cluster.")
    queue: str | None = Field(
        None, max_length=200, pattern=NAME_LIST, description="Partition (SLURM) or queue (PBS)."
    )
    account: str | None = Field(
        None, max_length=200, pattern=NAME_LIST, description="Account / project to charge."
    )
    cores: int = Field(1, ge=1, le=1024, description="Cores per job.")
    processes: int | None = Field(
        None, ge=1, le=1024, description="Worker processes per job (default: cores; one thread each)."
    )
    memory: str = Field(
        "4GB",
        max_length=40,
        pattern=r"^\d+(\.\d+)?\s?[KkMmGgTtPp]?i?[Bb]$",
        description="Memory per job, e.g. 8GB.",
    )
    walltime: str = Field(
        "01:00:00",
        pattern=r"^(\d+-)?\d{1,3}:\d{2}:\d{2}$",
        description="Walltime per job, HH:MM:SS (or D-HH:MM:SS).",
    )
    jobs: int = Field(
        1, ge=1, le=10_000, description="Jobs kept running; a job ended by its walltime is replaced."
    )
    interface: str | None = Field(
        None,
        max_length=40,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Network interface of the workers, e.g. ib0.",
    )
    local_directory: str | None = Field(
        None, max_length=500, pattern=PLAIN_PATH, description="Scratch directory on the nodes."
    )
    python: str | None = Field(
        None, max_length=500, pattern=PLAIN_PATH, description="Python on the nodes (default: this one)."
    )
    job_extra_directives: list[OneLine] = Field(
        default_factory=list, max_length=100, description="Extra #SBATCH / #PBS lines."
    )
    job_script_prologue: list[OneLine] = Field(
        default_factory=list,
        max_length=100,
        description="Shell lines before the worker starts (module load …).",
    )

"""Documented upper limits, and an estimate of memory and time before large work.

Small inputs must not start unbounded work: ``chainsim run -r 10000000`` or a sweep file
of a few lines with a billion design points would otherwise run out of memory after
minutes, with a MemoryError. The limits below are checked before any work; below them,
work estimated to need more memory than the machine has available is refused unless the
user passes ``--allow-large``, and large work prints its estimate first.

The estimate's constants were measured on the default scenario (vectorised engine, one
core): ~170 MB for the interpreter and libraries, ~250 bytes per pool firm, and ~400
bytes of recorded results per replicate and step (docs/reliability.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from chainsim.config.errors import ScenarioError

MAX_REPLICATIONS = 10_000  #: chainsim run -r
MAX_POSTERIOR_DRAWS = 10_000  #: chainsim run --posterior-draws
MAX_DRAWS_X_REPLICATIONS = 100_000  #: chainsim run --posterior-draws K -r R: K × R
MAX_POINTS = 1_000_000  #: design points of a sweep (after crossing with posterior draws)
MAX_RUNS = 10_000_000  #: design points × replications of a sweep


def max_workers() -> int:
    """Local worker processes at most: 4 per core (at least 64)."""
    return max(64, 4 * (os.cpu_count() or 1))


BASE_BYTES = 200_000_000
BYTES_PER_FIRM = 250
BYTES_PER_REPLICATE_STEP = 400
BYTES_PER_POINT = 1_000  # a sweep driver's design point (a dict) and its bookkeeping
SECONDS_PER_FIRM_STEP = 2e-8
SECONDS_PER_RUN = 0.02
BATCH = 32  # replicates stepped together (chainsim.api.BATCH)
#: print the estimate before work above these
SHOW_BYTES, SHOW_SECONDS = 2_000_000_000, 120.0


def mem_available() -> int | None:
    """Bytes of memory available to new work (Linux MemAvailable), None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def size(n: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    raise AssertionError


def duration(s: float) -> str:
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    if s < 2 * 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


def at_most(what: str, value: int, limit: int, hint: str = "") -> None:
    if value > limit:
        raise ScenarioError(f"{what}: {value:,} is over the limit of {limit:,}{'; ' + hint if hint else ''}")


def run_estimate(pool: int, steps: int, replicates: int) -> tuple[float, float]:
    """(bytes, seconds) of ``chainsim run``: replicates stepped in batches, all results kept."""
    batch = min(replicates, BATCH)
    mem = (
        BASE_BYTES
        + pool * BYTES_PER_FIRM * (1 + 0.05 * batch)
        + replicates * steps * BYTES_PER_REPLICATE_STEP
    )
    secs = replicates * (SECONDS_PER_RUN + pool * steps * SECONDS_PER_FIRM_STEP)
    return mem, secs


def sweep_estimate(pool: int, steps: int, points: int, runs: int, workers: int) -> tuple[float, float]:
    """(bytes, seconds) of a sweep: the driver's points plus every worker's model."""
    per_worker = BASE_BYTES + pool * BYTES_PER_FIRM * (1 + 0.05 * BATCH)
    mem = BASE_BYTES + points * BYTES_PER_POINT + runs + workers * per_worker
    secs = runs * (SECONDS_PER_RUN + pool * steps * SECONDS_PER_FIRM_STEP) / max(workers, 1)
    return mem, secs


def check_budget(what: str, mem: float, secs: float, allow_large: bool, say: Callable[[str], None]) -> None:
    """Refuse work estimated above the available memory (unless ``allow_large``); print
    the estimate before large work."""
    avail = mem_available()
    if avail is not None and mem > avail and not allow_large:
        raise ScenarioError(
            f"{what} needs about {size(mem)} of memory (estimate), more than the {size(avail)} available "
            "on this machine; use fewer replications, draws or runs, or a smaller population.pool_size "
            "(or --allow-large to try anyway)"
        )
    if mem > SHOW_BYTES or secs > SHOW_SECONDS:
        say(f"{what}: about {size(mem)} of memory and {duration(secs)} (estimate)")

"""Counter-based random streams: common random numbers without drawing for the pool.

A draw is a pure function of ``(root seed, stream name, step, key)``: the key is a firm
slot for per-firm decisions, or an order/draw counter for team decisions. Two runs that
differ in one lever therefore give a firm the same number for the same decision at the
same step (common random numbers, MODEL.md "Randomness"), on any machine, backend or
worker count, and a step costs only as many draws as firms that need one. A draw is
SplitMix64's output for counter ``key`` of a generator whose state is a hash of (seed,
stream, step); NumPy's uint64 arithmetic wraps modulo 2**64.
"""

from __future__ import annotations

import hashlib

import numpy as np
from numpy.typing import NDArray

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1
_TO_UNIT = 1.0 / float(1 << 53)
_GOLD = np.uint64(_GOLDEN)


_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


def _mix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64's finaliser, in place on ``x`` (a fresh temporary of the caller's)."""
    x ^= x >> _S30
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    x ^= x >> _S31
    return x


def _mix_int(x: int) -> int:
    x &= _MASK
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & _MASK
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _as_u64(a: NDArray[np.integer]) -> NDArray[np.uint64]:
    a = np.atleast_1d(a)  # 0-d arithmetic would warn about the intended wrap-around
    return a.view(np.uint64) if a.dtype == np.int64 else a.astype(np.uint64, copy=False)


def _to_unit(x: NDArray[np.uint64]) -> NDArray[np.float64]:
    x >>= _S11
    u = x.astype(np.float64)
    u *= _TO_UNIT
    return u


class Stream:
    """A named stream of uniforms in [0, 1), addressed by (step, key)."""

    __slots__ = ("name", "_base", "_cached_step", "_cached_key")

    def __init__(self, seed: int, name: str) -> None:
        digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
        self.name = name
        self._base = _mix_int(_mix_int(seed) ^ int.from_bytes(digest, "little"))
        self._cached_step: int | None = None
        self._cached_key = np.uint64(0)

    def _step_key(self, step: int) -> np.uint64:
        if step != self._cached_step:  # a phase draws several times at one step
            self._cached_step, self._cached_key = step, np.uint64(_mix_int(self._base + (step + 1) * _GOLDEN))
        return self._cached_key

    def uniform(self, step: int, keys: NDArray[np.integer]) -> NDArray[np.float64]:
        """One uniform per key; the same (step, key) always gives the same number."""
        x = _as_u64(keys) * _GOLD
        x += self._step_key(step)
        return _to_unit(_mix(x))

    def uniform_at(self, steps: NDArray[np.integer], keys: NDArray[np.integer]) -> NDArray[np.float64]:
        """Like :meth:`uniform` for many steps at once (``steps[i]`` with ``keys[i]``):
        used to plan a whole run's exogenous draws at start-up with the same numbers."""
        step_keys = _mix(np.uint64(self._base) + (_as_u64(steps) + np.uint64(1)) * np.uint64(_GOLDEN))
        return _to_unit(_mix(_as_u64(keys) * np.uint64(_GOLDEN) + step_keys))

    def uniform_range(self, step: int, n: int, offset: int = 0) -> NDArray[np.float64]:
        """``n`` uniforms for keys offset … offset+n-1 (team decisions, sampling)."""
        return self.uniform(step, np.uint64(offset & _MASK) + np.arange(n, dtype=np.uint64))


class Streams:
    """The model's named streams, created once from the root seed."""

    NAMES = (
        "contact_sampling",
        "target_choice",
        "trip_destination",
        "poisson_counts",
        "engage",
        "negotiate",
        "after_signing",
        "event_close",
        "duration",
        "park_choice",
        "divert",
        "referral_target",
        "travel",
        "framework",
    )

    def __init__(self, seed: int) -> None:
        self.seed = seed
        for name in self.NAMES:
            setattr(self, name, Stream(seed, name))

    def __getattr__(self, name: str) -> Stream:  # pragma: no cover - typing aid
        raise AttributeError(f"no random stream named {name!r}; streams: {', '.join(self.NAMES)}")


class BatchStream:
    """One named stream for R replicates at once: replicate ``r`` draws exactly the numbers
    :class:`Stream` gives for its own seed, so a batch of replicates reproduces the same
    replicates run one by one, bit for bit."""

    __slots__ = ("name", "_bases", "_table", "_single")

    def __init__(self, seeds: list[int], name: str) -> None:
        self.name = name
        self._bases = np.array([Stream(s, name)._base for s in seeds], dtype=np.uint64)
        self._single = len(seeds) == 1
        self._table = np.zeros((0, len(seeds)), dtype=np.uint64)

    def prepare(self, n_steps: int) -> None:
        """Every replicate's generator state for steps 0 … n_steps − 1, in one pass (a
        step's draws then start from a table row, not a hash per call)."""
        steps = np.arange(1, n_steps + 1, dtype=np.uint64)[:, None]
        self._table = _mix(self._bases[None, :] + steps * np.uint64(_GOLDEN))

    def step_keys(self, step: int) -> NDArray[np.uint64]:
        """Each replicate's generator state at ``step``."""
        if step < len(self._table):
            keys: NDArray[np.uint64] = self._table[step]
            return keys
        return _mix(self._bases + np.uint64(((step + 1) * _GOLDEN) & _MASK))

    def uniform(self, step: int, rep: NDArray[np.integer], keys: NDArray[np.integer]) -> NDArray[np.float64]:
        """One uniform per (replicate, key) at ``step``; ``rep`` broadcasts against ``keys``."""
        x = _as_u64(keys) * _GOLD
        x += self.step_keys(step)[0] if self._single else self.step_keys(step)[rep]
        return _to_unit(_mix(x))

    def uniform_at(
        self, steps: NDArray[np.integer], rep: NDArray[np.integer], keys: NDArray[np.integer]
    ) -> NDArray[np.float64]:
        """Like :meth:`uniform` with a step per key: a whole run's exogenous draws at set-up."""
        step_keys = _mix(self._bases[rep] + (_as_u64(steps) + np.uint64(1)) * np.uint64(_GOLDEN))
        return _to_unit(_mix(_as_u64(keys) * np.uint64(_GOLDEN) + step_keys))


class BatchStreams:
    """The model's named streams for a batch of replicate seeds."""

    def __init__(self, seeds: list[int], n_steps: int = 0) -> None:
        self.seeds = list(seeds)
        for name in Streams.NAMES:
            stream = BatchStream(self.seeds, name)
            stream.prepare(n_steps)
            setattr(self, name, stream)

    def __getattr__(self, name: str) -> BatchStream:  # pragma: no cover - typing aid
        raise AttributeError(f"no random stream named {name!r}; streams: {', '.join(Streams.NAMES)}")

"""The candidate pool: every firm's fixed attributes, one NumPy array each, and the
group-sorted tables that contacts draw from.

Attributes (chain, segment, origin, size, anchor flag, funding channel, project type) are a pure
function of (pool seed, slot), each from its own PCG64 stream, so a larger pool only
appends firms. The pool is drawn once per run from the root seed and shared by every
replicate of the run (docs/model.md, "Randomness"): replicates differ in every decision,
not in who the candidates are. What happens to a firm lives elsewhere: whether it is idle
(per replicate) in the model, its pipeline state in :mod:`chainsim.engine.active`.
"""

from __future__ import annotations

import copy
import hashlib
import json

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr, ndtri

from chainsim.config.schema import Scenario
from chainsim.engine.chains import ChainIndex


def categorical(u: NDArray[np.float64], shares: NDArray[np.float64]) -> NDArray[np.int64]:
    """Category of each uniform under the given shares."""
    cum = np.cumsum(shares / shares.sum())
    cum[-1] = 1.0
    return invert_cdf(cum, u)


def invert_cdf(cum: NDArray[np.float64], x: NDArray[np.float64], per_unit: int = 4096) -> NDArray[np.int64]:
    """``searchsorted(cum, x, 'right')`` clipped to the last category, through a lookup
    table: a few passes over a large ``x`` instead of a binary search per element."""
    top = cum[-1]
    buckets = max(int(np.ceil(top)) * per_unit, 1)
    table = np.searchsorted(cum, np.arange(buckets) * (top / buckets), side="right")
    last = len(cum) - 1
    cat = np.minimum(table[np.minimum((x * (buckets / top)).astype(np.int64), buckets - 1)], last)
    while True:  # a bucket may straddle boundaries: step up where x is past the category
        up = (x >= cum[cat]) & (cat < last)
        if not up.any():
            found: NDArray[np.int64] = cat
            return found
        cat += up


def chain_sizes(cfg: Scenario) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Each chain's (median 亿元, log-normal sigma, Pareto tail index; NaN: no tail) of
    project size: its own ``project_size`` where set, else the population's (docs/model.md,
    "Agents and state")."""
    size, chains = cfg.population.project_size, list(cfg.chains.values())
    own = [c.project_size for c in chains]
    median = [o.median_yi if o and o.median_yi is not None else size.median_yi for o in own]
    sigma = [o.sigma_log if o and o.sigma_log is not None else size.sigma_log for o in own]
    alpha = [o.tail_alpha if o and o.tail_alpha is not None else size.tail_alpha for o in own]
    nan = float("nan")
    return (
        np.array(median, dtype=np.float64),
        np.array(sigma, dtype=np.float64),
        np.array([nan if a is None else a for a in alpha], dtype=np.float64),
    )


def pareto_tail(
    log_value: NDArray[np.float64],
    u: NDArray[np.float64],
    median: NDArray[np.float64],
    sigma: NDArray[np.float64],
    alpha: NDArray[np.float64],
    start: float,
) -> NDArray[np.float64]:
    """Log sizes with the log-normal's tail above ``start`` replaced by a Pareto tail of
    index ``alpha`` (per firm; NaN: none), drawn from the same uniform ``u``: the share above
    ``start`` stays the log-normal's (``median``, ``sigma`` per firm) and the size stays
    monotone in ``u``."""
    above = (log_value > np.log(start)) & np.isfinite(alpha)
    tail_mass = ndtr(
        (np.log(median[above]) - np.log(start)) / sigma[above]
    )  # the log-normal's P(size > start)
    out = log_value.copy()
    out[above] = np.log(start) - np.log((1.0 - u[above]) / tail_mass) / alpha[above]
    return out


def _attribute_uniforms(seed: int, name: str, n: int) -> NDArray[np.float64]:
    """The first ``n`` numbers of the attribute's own PCG64 stream: slot i's attribute
    depends only on (seed, attribute, i), so a larger pool only appends firms."""
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, key]))).random(n)


class Pool:
    """All candidate firms: ``n`` slots, attributes indexed by slot (one array each), and
    the same attributes as one row per firm (``rows``) for the pipeline table to copy."""

    FLOAT = ("value_yi", "land_need_ha", "mw_need")
    INT = ("segment", "chain", "region")
    BOOL = ("industrial", "foreign", "anchor", "fixed_asset")

    @staticmethod
    def unpack(rows: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.bool_]]:
        """(floats, ints, bools) of gathered ``rows``, each (attribute × firm), in the
        order of FLOAT, INT and BOOL."""
        code = rows[:, 3].astype(np.int64)
        ints = (code[None, :] >> np.array([[0], [12], [20]])) & np.array([[0xFFF], [0xFF], [0xFF]])
        bools = ((code[None, :] >> np.array([[28], [29], [30], [31]])) & 1).astype(bool)
        return rows[:, :3].T, ints, bools

    def __init__(self, cfg: Scenario, index: ChainIndex, seed: int) -> None:
        n = cfg.population.pool_size
        self.n = n

        def draw(name: str) -> NDArray[np.float64]:
            return _attribute_uniforms(seed, "population/" + name, n)

        chain = categorical(draw("chain"), index.chain_pool_share)
        segment = invert_cdf(index.segment_cum, chain + draw("segment"))
        regions = list(cfg.population.regions.values())
        region = categorical(draw("region"), np.array([r.pool_share for r in regions]))
        foreign_share = np.array([r.foreign_entity_share for r in regions])
        foreign = draw("funding_channel") < foreign_share[region]
        size = cfg.population.project_size
        anchor = draw("anchor") < size.anchor_share
        u = np.clip(draw("size"), 1e-12, 1 - 1e-12)
        # log size first: size-biased weights are exp(bias × log size), cheaper than a power
        median, sigma, alpha = chain_sizes(cfg)
        log_value = np.log(median)[chain] + sigma[chain] * ndtri(u)
        if np.isfinite(alpha).any():
            log_value = pareto_tail(
                log_value, u, median[chain], sigma[chain], alpha[chain], size.tail_from_yi
            )
        log_value[anchor] += np.log(size.anchor_size_factor)
        self.log_value = np.minimum(log_value, np.log(size.max_yi))
        value = np.exp(self.log_value)
        industrial = index.segment_industrial[segment]
        # a fixed-asset (固投类) project acquires land and builds; the others need neither
        fixed = draw("fixed_asset") < index.segment_fixed_asset_share[segment]
        loc = cfg.location
        land = value * np.where(industrial, loc.land_ha_per_yi_industrial, loc.land_ha_per_yi_other) * fixed
        mw = np.where(industrial & fixed, value * loc.mw_per_yi_industrial, 0.0)
        self.value_yi, self.land_need_ha, self.mw_need = value, land, mw
        self.segment, self.chain, self.region = (
            segment.astype(np.int64),
            chain.astype(np.int64),
            region.astype(np.int64),
        )
        self.industrial, self.foreign, self.anchor, self.fixed_asset = industrial, foreign, anchor, fixed
        if index.n_segments > 1 << 12 or len(index.chain_ids) > 1 << 8 or len(regions) > 1 << 8:
            raise ValueError("at most 4,096 segments, 256 chains and 256 regions")
        # One row per firm (32 bytes): what a contact copies into the pipeline table comes
        # from one place in memory, not nine (contacts are scattered over the pool, and at
        # a batch's size the copy is bound by memory latency). Integers and flags are packed
        # exactly into the fourth float: see unpack().
        code = (
            self.segment
            | self.chain << 12
            | self.region << 20
            | industrial.astype(np.int64) << 28
            | foreign.astype(np.int64) << 29
            | anchor.astype(np.int64) << 30
            | fixed.astype(np.int64) << 31
        )
        self.rows = np.empty((n, 4))
        self.rows[:, 0], self.rows[:, 1], self.rows[:, 2], self.rows[:, 3] = value, land, mw, code
        self.by_segment = sorted_by(self.segment, index.n_segments)
        self.by_region = sorted_by(self.region, len(regions))
        for array in (*self.by_region, *self.by_segment, self.rows, self.log_value, value, land, mw):
            array.flags.writeable = False  # shared by runs (see cached_pool): nobody may write
        for array in (self.segment, self.chain, self.region, industrial, foreign, anchor, fixed):
            array.flags.writeable = False
        self.n_regions, self.n_segments, self.n_chains = len(regions), index.n_segments, len(index.chain_ids)
        self._catalogs: dict[tuple[Way, ...], Catalog] = {}

    def catalog(self, ways: list[Way]) -> Catalog:
        """The sampling catalog with these ways' blocks, built in this order once per pool
        (the same ways in the same order give the same arrays, so sharing it between runs
        changes no number)."""
        key = tuple(dict.fromkeys((by, float(b)) for by, b in ways))
        if key not in self._catalogs:
            self._catalogs[key] = Catalog(self).with_ways(list(key))
        return self._catalogs[key]


_CACHE: dict[str, Pool] = {}
_CACHE_SIZE = 4


def cached_pool(cfg: Scenario, index: ChainIndex, seed: int) -> Pool:
    """The pool of (seed, population, chains, location), built once per process: a pool is
    a pure function of those and read-only, and sweeps, calibrations and the dashboard
    build the same pool for run after run (a 300,000-firm pool costs ~35 ms)."""
    key = json.dumps(
        [
            seed,
            cfg.population.model_dump(mode="json"),
            cfg.chains and {k: c.model_dump(mode="json") for k, c in cfg.chains.items()},
            cfg.location.model_dump(mode="json"),
        ],
        sort_keys=True,
    )
    pool = _CACHE.pop(key, None) or Pool(cfg, index, seed)
    _CACHE[key] = pool  # most recent last
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    return pool


def sorted_by(
    key: NDArray[np.integer], n_groups: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Slots sorted by ``key``, with each group's first position and size."""
    # stable (the same order on every machine), on 16-bit keys: a radix sort
    order = np.argsort(key.astype(np.int16), kind="stable")
    counts = np.bincount(key, minlength=n_groups)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return order, first, counts


Way = tuple[object, float]  # (group kind: "region", "segment" or a Within set, size bias)


class Catalog:
    """Every group contacts draw from, in two concatenated tables, so that one kernel
    call serves every order of a step:

    - *uniform*: the pool sorted by region, then sorted by segment; a group is a range;
    - *weighted* (∝ size^bias): blocks appended per (kind, bias) — the regions for one
      bias, or one subset (:class:`~chainsim.engine.strategies.base.Within`) — with one
      cumulative weight running through all blocks.

    Blocks are added in the order strategies declare them at set-up (then in order of
    first use), never depending on the batch, so a replicate's draws are the same alone
    or in a batch.
    """

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        (rs, rf, rc), (ss, sf, sc) = pool.by_region, pool.by_segment
        self.u_slots = np.concatenate([rs, ss])
        self.u_first = np.concatenate([rf, sf + pool.n])
        self.u_count = np.concatenate([rc, sc])
        self.w_slots = np.zeros(0, dtype=np.int64)
        self.w_cum = np.zeros(0)
        self.w_lo = np.zeros(0)  # cumulative weight before each weighted group
        self.w_hi = np.zeros(0)  # … at its last firm
        self.w_first = np.zeros(0, dtype=np.int64)
        self.w_last = np.zeros(0, dtype=np.int64)
        self.w_empty = False
        self.ways: dict[Way, tuple[bool, int]] = {
            ("region", 0.0): (False, 0),
            ("segment", 0.0): (False, pool.n_regions),
        }

    def way(self, by: object, bias: float) -> tuple[bool, int]:
        """(weighted?, offset of its group 0) of a sampling way (see :meth:`with_ways`)."""
        return self.ways[(by, float(bias))]

    def with_ways(self, ways: list[Way]) -> Catalog:
        """This catalog if it holds these ways, else a copy with their blocks added (a
        catalog may be shared by runs: see :meth:`Pool.catalog`; it never changes)."""
        new = [w for w in dict.fromkeys((by, float(b)) for by, b in ways) if w not in self.ways]
        if not new:
            return self
        other = copy.copy(self)
        other.ways = dict(self.ways)
        other.declare(new)
        return other

    def declare(self, ways: list[Way]) -> None:
        """Add the weighted blocks of these ways (those not there yet), in this order."""
        new = [w for w in dict.fromkeys((by, float(b)) for by, b in ways) if w not in self.ways]
        if not new:
            return
        slots, cums, firsts, counts = [self.w_slots], [self.w_cum], [], []
        total = float(self.w_cum[-1]) if len(self.w_cum) else 0.0
        start, base = len(self.w_slots), len(self.w_first)
        for by, bias in new:
            block, first, count = self._block(by)
            weights = np.exp(bias * self.pool.log_value[block]) if bias else np.ones(len(block))
            cum = np.cumsum(weights) + total
            total = float(cum[-1]) if len(cum) else total
            self.ways[(by, bias)] = (True, base)
            base += len(first)
            slots.append(block)
            cums.append(cum)
            firsts.append(first + start)
            counts.append(count)
            start += len(block)
        self.w_slots, self.w_cum = np.concatenate(slots), np.concatenate(cums)
        first, count = np.concatenate(firsts), np.concatenate(counts)
        last = first + np.maximum(count, 1) - 1
        lo = np.where(first > 0, self.w_cum[np.maximum(first - 1, 0)], 0.0)
        hi = np.where(count > 0, self.w_cum[np.minimum(last, len(self.w_cum) - 1)], lo)
        self.w_first = np.concatenate([self.w_first, first])
        self.w_last = np.concatenate([self.w_last, last])
        self.w_lo, self.w_hi = np.concatenate([self.w_lo, lo]), np.concatenate([self.w_hi, hi])
        self.w_empty |= bool((count == 0).any())

    def _block(self, by: object) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """A block's slots in order, with each of its groups' first position and size."""
        pool = self.pool
        if by == "region":
            return pool.by_region
        if by == "segment":
            return pool.by_segment
        mask = np.ones(pool.n, dtype=bool)
        regions, chains = by.regions, by.chains  # type: ignore[attr-defined]
        if regions:
            mask &= np.isin(np.arange(pool.n_regions), regions)[pool.region]
        if chains:
            mask &= np.isin(np.arange(pool.n_chains), chains)[pool.chain]
        slots = np.flatnonzero(mask)
        return slots, np.zeros(1, np.int64), np.array([len(slots)])

    def members(self, group: int, weighted: bool) -> tuple[NDArray[np.int64], NDArray[np.float64] | None]:
        """One group's slots and, for a weighted group, their weights (None: uniform)."""
        if not weighted:
            first = int(self.u_first[group])
            return self.u_slots[first : first + int(self.u_count[group])], None
        if self.w_hi[group] <= self.w_lo[group]:  # an empty subset
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        first, last = int(self.w_first[group]), int(self.w_last[group])
        weights = np.diff(self.w_cum[first : last + 1], prepend=self.w_lo[group])
        return self.w_slots[first : last + 1], weights

    def candidates(
        self, group: NDArray[np.int64], weighted: bool, u: NDArray[np.float64]
    ) -> NDArray[np.int64]:
        """A (wanted, attempts) table of candidate slots for global group ids (−1: an empty group)."""
        g = group[:, None]
        if not weighted:
            count = self.u_count[g]
            uniform: NDArray[np.int64] = self.u_slots[
                self.u_first[g] + np.minimum((u * count).astype(np.int64), np.maximum(count - 1, 0))
            ]
            return uniform
        lo = self.w_lo[g]
        pos = np.searchsorted(self.w_cum, lo + u * (self.w_hi[g] - lo), side="right")
        slots = self.w_slots[np.minimum(pos, self.w_last[g])]
        if self.w_empty:
            slots = np.where(self.w_hi[g] > lo, slots, -1)
        return slots

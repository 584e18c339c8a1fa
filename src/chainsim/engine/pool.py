"""The candidate pool: every firm's fixed attributes, one NumPy array each, and the
group-sorted tables that contacts draw from.

Attributes (chain, segment, origin, size, anchor flag, funding channel) are a pure
function of (pool seed, slot), each from its own PCG64 stream, so a larger pool only
appends firms. The pool is drawn once per run from the root seed and shared by every
replicate of the run (docs/model.md, "Randomness"): replicates differ in every decision,
not in who the candidates are. What happens to a firm lives elsewhere: whether it is idle
(per replicate) in the model, its pipeline state in :mod:`chainsim.engine.active`.
"""

from __future__ import annotations

import hashlib

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

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
            return cat
        cat += up


def _attribute_uniforms(seed: int, name: str, n: int) -> NDArray[np.float64]:
    """The first ``n`` numbers of the attribute's own PCG64 stream: slot i's attribute
    depends only on (seed, attribute, i), so a larger pool only appends firms."""
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, key]))).random(n)


class Pool:
    """All candidate firms: ``n`` slots, attributes indexed by slot.

    For the pipeline table, the attributes it copies on entry are also kept as three
    stacked matrices (float, int, bool), so that one fancy index copies them all.
    """

    FLOAT = ("value_yi", "land_need_ha", "mw_need")
    INT = ("segment", "chain", "region")
    BOOL = ("industrial", "foreign", "anchor")

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
        z = ndtri(np.clip(draw("size"), 1e-12, 1 - 1e-12))
        value = size.median_yi * np.exp(size.sigma_log * z)
        value[anchor] *= size.anchor_size_factor
        value = np.minimum(value, size.max_yi)
        industrial = index.segment_industrial[segment]
        loc = cfg.location
        land = value * np.where(industrial, loc.land_ha_per_yi_industrial, loc.land_ha_per_yi_other)
        mw = np.where(industrial, value * loc.mw_per_yi_industrial, 0.0)
        self.floats = np.stack([value, land, mw])
        self.ints = np.stack([segment, chain, region]).astype(np.int64)
        self.bools = np.stack([industrial, foreign, anchor])
        self.value_yi, self.land_need_ha, self.mw_need = self.floats
        self.segment, self.chain, self.region = self.ints
        self.industrial, self.foreign, self.anchor = self.bools
        self.by_segment = sorted_by(self.segment, index.n_segments)
        self.by_region = sorted_by(self.region, len(regions))
        self.n_regions, self.n_segments = len(regions), index.n_segments


def sorted_by(
    key: NDArray[np.integer], n_groups: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Slots sorted by ``key``, with each group's first position and size."""
    order = np.argsort(key, kind="stable")  # stable: the same order on every machine
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
        """(weighted?, offset of its group 0) of a sampling way, adding its block if new."""
        key = (by, float(bias))
        if key not in self.ways:
            self.ways[key] = (True, self._add_block(by, float(bias)))
        return self.ways[key]

    def _add_block(self, by: object, bias: float) -> int:
        pool = self.pool
        if by == "region":
            slots, first, count = pool.by_region
        elif by == "segment":
            slots, first, count = pool.by_segment
        else:
            regions, chains = by.regions, by.chains  # type: ignore[attr-defined]
            mask = np.ones(pool.n, dtype=bool)
            if regions:
                mask &= np.isin(pool.region, regions)
            if chains:
                mask &= np.isin(pool.chain, chains)
            slots = np.flatnonzero(mask)
            first, count = np.zeros(1, np.int64), np.array([len(slots)])
        value = pool.value_yi[slots]
        weights = value if bias == 1.0 else value**bias
        start = len(self.w_slots)
        offset = self.w_cum[-1] if start else 0.0
        cum = np.cumsum(weights) + offset
        self.w_slots = np.concatenate([self.w_slots, slots])
        self.w_cum = np.concatenate([self.w_cum, cum])
        g_first = first + start
        g_last = g_first + np.maximum(count, 1) - 1
        lo = np.where(g_first > 0, self.w_cum[np.maximum(g_first - 1, 0)], 0.0)
        hi = np.where(count > 0, self.w_cum[np.minimum(g_last, len(self.w_cum) - 1)], lo)
        base = len(self.w_first)
        self.w_first = np.concatenate([self.w_first, g_first])
        self.w_last = np.concatenate([self.w_last, g_last])
        self.w_lo, self.w_hi = np.concatenate([self.w_lo, lo]), np.concatenate([self.w_hi, hi])
        self.w_empty |= bool((count == 0).any())
        return base

    def candidates(
        self, group: NDArray[np.int64], weighted: bool, u: NDArray[np.float64]
    ) -> NDArray[np.int64]:
        """A (wanted, attempts) table of candidate slots for global group ids (−1: an empty group)."""
        g = group[:, None]
        if not weighted:
            count = self.u_count[g]
            return self.u_slots[
                self.u_first[g] + np.minimum((u * count).astype(np.int64), np.maximum(count - 1, 0))
            ]
        lo = self.w_lo[g]
        pos = np.searchsorted(self.w_cum, lo + u * (self.w_hi[g] - lo), side="right")
        slots = self.w_slots[np.minimum(pos, self.w_last[g])]
        if self.w_empty:
            slots = np.where(self.w_hi[g] > lo, slots, -1)
        return slots

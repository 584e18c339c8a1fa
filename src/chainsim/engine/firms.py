"""The firm population as a structure of NumPy arrays (one array per attribute).

Static attributes (chain, segment, origin, size, anchor flag, funding channel) are a pure
function of (seed, slot), drawn with the counter-based streams, so a larger pool adds
firms without changing the existing ones. Dynamic state is the pipeline stage and the
times of the firm's milestones, in simulation days.
"""

from __future__ import annotations

import hashlib

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

from chainsim.config.schema import Scenario
from chainsim.engine.chains import ChainIndex
from chainsim.vocabulary import SOURCE_NAMES, SOURCE_ZH, STAGE_NAMES, STAGE_ZH, Source, Stage  # noqa: F401  (re-exported)

NEVER = np.float64(-1e9)  # "no such day" for day-valued arrays


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


class Firms:
    """All candidate firms. ``n`` slots; arrays indexed by slot."""

    def __init__(self, cfg: Scenario, index: ChainIndex, seed: int) -> None:
        n = cfg.population.pool_size
        self.n = n

        def draw(name: str) -> NDArray[np.float64]:
            return _attribute_uniforms(seed, "population/" + name, n)

        # --- static attributes -------------------------------------------------
        self.chain = categorical(draw("chain"), index.chain_pool_share).astype(np.int16)
        self.segment = invert_cdf(index.segment_cum, self.chain + draw("segment")).astype(np.int16)
        regions = list(cfg.population.regions.values())
        self.region = categorical(draw("region"), np.array([r.pool_share for r in regions])).astype(np.int16)
        foreign_share = np.array([r.foreign_entity_share for r in regions])
        self.foreign = draw("funding_channel") < foreign_share[self.region]
        size = cfg.population.project_size
        self.anchor = draw("anchor") < size.anchor_share
        z = ndtri(np.clip(draw("size"), 1e-12, 1 - 1e-12))
        value = size.median_yi * np.exp(size.sigma_log * z)
        value[self.anchor] *= size.anchor_size_factor
        self.value_yi = np.minimum(value, size.max_yi)
        self.industrial = index.segment_industrial[self.segment]
        loc = cfg.location
        self.land_need_ha = self.value_yi * np.where(
            self.industrial, loc.land_ha_per_yi_industrial, loc.land_ha_per_yi_other
        )
        self.mw_need = np.where(self.industrial, self.value_yi * loc.mw_per_yi_industrial, 0.0)

        # --- dynamic state ------------------------------------------------------
        # np.full, not np.zeros: zeros come from calloc and the kernel maps their pages on
        # first write, so a run would pay page faults in proportion to the pool size.
        self.stage = np.full(n, 0, dtype=np.int8)
        self.source = np.full(n, Source.NONE, dtype=np.int8)
        self.due_day = np.full(n, 0.0)  # day the current scheduled stage ends
        self.contact_day = np.full(n, NEVER)
        self.leader_day = np.full(n, NEVER)  # last leader contact
        self.hold_day = np.full(n, NEVER)  # an event invitee does not sign before its event's day
        self.signed_day = np.full(n, NEVER)
        self.land_day = np.full(n, NEVER)
        self.construction_day = np.full(n, NEVER)
        self.park = np.full(n, -1, dtype=np.int16)
        self.served = np.full(n, False)  # has (had) a chief service commissioner
        self.serving = np.full(n, False)  # holds a commissioner slot now
        self.funds_left_yi = np.full(n, 0.0)  # realised value still to arrive
        self.funds_rate_yi_per_day = np.full(n, 0.0)  # construction instalment
        self.cohorts = np.full(n, 0, dtype=np.uint16)  # bit c: member of reporting cohort c

    # Sorted views for sampling from the pool without scanning it.
    def sorted_by(
        self, key: NDArray[np.integer], n_groups: int
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """Slots sorted by ``key``, with each group's first position and size."""
        order = np.argsort(key, kind="stable")  # stable: the same order on every machine
        counts = np.bincount(key, minlength=n_groups)
        first = np.concatenate(([0], np.cumsum(counts)[:-1]))
        return order, first, counts

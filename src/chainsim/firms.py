"""The firm population as a structure of NumPy arrays (one array per attribute).

Static attributes (chain, segment, origin, size, anchor flag, funding channel) are a pure
function of (seed, slot), drawn with the counter-based streams, so a larger pool adds
firms without changing the existing ones. Dynamic state is the pipeline stage and the
times of the firm's milestones, in simulation days.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

from .chainmap import ChainIndex
from .rng import Stream
from .schema import Scenario

NEVER = np.float64(-1e9)  # "no such day" for day-valued arrays


class Stage(IntEnum):
    """Pipeline stages (MODEL.md); ``LOST`` is reachable from every stage before ``PRODUCING``."""

    POOL = 0
    CONTACTED = 1
    NEGOTIATING = 2
    SIGNED = 3
    REGISTERED = 4
    LAND = 5
    CONSTRUCTION = 6
    PRODUCING = 7
    LOST = 8


STAGE_NAMES = [s.name.lower() for s in Stage]
STAGE_ZH = ["候选池", "已接洽", "洽谈中", "已签约", "已注册", "已拿地", "在建", "已投产", "流失"]


class Source(IntEnum):
    """What brought a signing: exactly one per signing."""

    NONE = -1
    LEADER_TRIP = 0
    EVENT = 1
    CHAIN_GROUP = 2
    ANCHOR_REFERRAL = 3
    ORGANIC = 4


SOURCE_NAMES = ["leader_trip", "event", "chain_group", "anchor_referral", "organic"]
SOURCE_ZH = ["领导招商", "推介活动", "产业链招商组", "龙头企业引荐", "自主来访"]


def _categorical(u: NDArray[np.float64], shares: NDArray[np.float64]) -> NDArray[np.int64]:
    cum = np.cumsum(shares / shares.sum())
    return np.minimum(np.searchsorted(cum, u, side="right"), len(shares) - 1)


class Firms:
    """All candidate firms. ``n`` slots; arrays indexed by slot."""

    def __init__(self, cfg: Scenario, index: ChainIndex, seed: int) -> None:
        n = cfg.population.pool_size
        self.n = n
        slots = np.arange(n, dtype=np.uint64)
        draw = lambda name: Stream(seed, "population/" + name).uniform(-1, slots)  # noqa: E731

        # --- static attributes -------------------------------------------------
        self.chain = _categorical(draw("chain"), index.chain_pool_share).astype(np.int32)
        pos = np.searchsorted(index.segment_cum, self.chain + draw("segment"), side="right")
        self.segment = np.minimum(pos, index.n_segments - 1).astype(np.int32)
        regions = list(cfg.population.regions.values())
        self.region = _categorical(draw("region"), np.array([r.pool_share for r in regions])).astype(np.int16)
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
        self.land_need_ha = self.value_yi * np.where(self.industrial, loc.land_ha_per_yi_industrial, loc.land_ha_per_yi_other)
        self.mw_need = np.where(self.industrial, self.value_yi * loc.mw_per_yi_industrial, 0.0)

        # --- dynamic state ------------------------------------------------------
        self.stage = np.zeros(n, dtype=np.int8)
        self.source = np.full(n, Source.NONE, dtype=np.int8)
        self.due_day = np.zeros(n)                 # day the current scheduled stage ends
        self.contact_day = np.full(n, NEVER)
        self.leader_day = np.full(n, NEVER)        # last leader contact
        self.signed_day = np.full(n, NEVER)
        self.land_day = np.full(n, NEVER)
        self.construction_day = np.full(n, NEVER)
        self.park = np.full(n, -1, dtype=np.int16)
        self.served = np.zeros(n, dtype=bool)      # has (had) a chief service commissioner
        self.serving = np.zeros(n, dtype=bool)     # holds a commissioner slot now
        self.funds_left_yi = np.zeros(n)           # realised value still to arrive
        self.funds_rate_yi_per_day = np.zeros(n)   # construction instalment
        self.cohorts = np.zeros(n, dtype=np.uint16)  # bit c: member of reporting cohort c

    # Sorted views for sampling from the pool without scanning it.
    def sorted_by(self, key: NDArray[np.integer], n_groups: int) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """Slots sorted by ``key``, with each group's first position and size."""
        order = np.argsort(key, kind="stable")
        counts = np.bincount(key, minlength=n_groups)
        first = np.concatenate(([0], np.cumsum(counts)[:-1]))
        return order, first, counts

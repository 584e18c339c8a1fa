"""The reference engine's candidate firms: every fixed attribute drawn once, in plain NumPy.

Written from docs/model.md ("Agents and state", "Project sizes") and independently of the
fast engine's :mod:`chainsim.engine.pool`, which must agree with it in distribution
(tests/test_reference.py, tests/test_channels.py).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from chainsim.config.schema import ChainProjectSize, Scenario
from chainsim.engine.chains import ChainIndex


def draw_firms(cfg: Scenario, idx: ChainIndex, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """A row per candidate firm, one array per attribute in :class:`FirmAgent`'s order:
    chain, segment, region, foreign, anchor, industrial, value, land, mw, fixed."""
    pop, size, loc = cfg.population, cfg.population.project_size, cfg.location
    n = pop.pool_size
    chains = list(cfg.chains.values())
    shares = np.array([c.pool_share for c in chains])
    chain = rng.choice(len(chains), size=n, p=shares / shares.sum())
    segment = np.zeros(n, dtype=np.int64)
    seg_weight = [seg.pool_weight for c in chains for seg in c.segments.values()]  # global numbering
    for c in range(len(chains)):
        segs = np.flatnonzero(idx.segment_chain == c)
        mine = np.flatnonzero(chain == c)
        w = np.array([seg_weight[i] for i in segs])
        segment[mine] = segs[rng.choice(len(segs), size=len(mine), p=w / w.sum())]
    regions = list(pop.regions.values())
    rshare = np.array([r.pool_share for r in regions])
    region = rng.choice(len(regions), size=n, p=rshare / rshare.sum())
    foreign = rng.random(n) < np.array([r.foreign_entity_share for r in regions])[region]
    anchor = rng.random(n) < size.anchor_share
    own = [c.project_size or ChainProjectSize() for c in chains]  # a chain's own sizes, else the population's
    median = np.array([size.median_yi if o.median_yi is None else o.median_yi for o in own])[chain]
    sigma = np.array([size.sigma_log if o.sigma_log is None else o.sigma_log for o in own])[chain]
    alpha = [size.tail_alpha if o.tail_alpha is None else o.tail_alpha for o in own]
    alpha_firm = np.array([np.nan if a is None else a for a in alpha])[chain]
    z = rng.standard_normal(n)
    value = median * np.exp(sigma * z)
    t = size.tail_from_yi  # above t a Pareto tail where set: P(> v | > t) = (v/t)^-α
    above = (value > t) & np.isfinite(alpha_firm)
    p_above_t = norm.sf((np.log(t) - np.log(median[above])) / sigma[above])
    value[above] = t * (norm.sf(z[above]) / p_above_t) ** (-1.0 / alpha_firm[above])
    value = np.minimum(np.where(anchor, value * size.anchor_size_factor, value), size.max_yi)
    industrial = idx.segment_industrial[segment]  # the segment's flag, else its chain's
    fixed = rng.random(n) < idx.segment_fixed_asset_share[segment]  # 固投类: needs land, builds
    land = value * np.where(industrial, loc.land_ha_per_yi_industrial, loc.land_ha_per_yi_other) * fixed
    mw = np.where(industrial & fixed, value * loc.mw_per_yi_industrial, 0.0)
    return (chain, segment, region, foreign, anchor, industrial, value, land, mw, fixed)

"""The measurement layer (issue 13, point 1): each statistic counts what its definition
counts — the industrial flag per segment, project types and 落地, the disbursement
schedule of declared funds, and 实际利用外资 as paid-in foreign capital."""

from __future__ import annotations

import numpy as np

from chainsim import load
from chainsim.engine.model import ChainModel
from chainsim.reference import ReferenceModel
from paths import DEFAULT_SCENARIO

SMALL = ["population.pool_size=20000", "calendar.burn_in_steps=30"]


def small(*overrides: str):
    return load(DEFAULT_SCENARIO, [*SMALL, *overrides])


# ----------------------------------------------------------------- industrial per segment
def test_industrial_flag_follows_the_segment_then_the_chain():
    cfg = small(
        "chains.green_food.segments.planting.industrial=false",
        "chains.flowers.segments.flower_processing.industrial=true",
        "chains.green_food.segments.deep_processing.industrial=null",
    )
    m = ChainModel(cfg, rng=3)
    idx, pool = m.chains, m.pool
    seg = {sid: i for i, sid in enumerate(idx.segment_ids)}
    assert not idx.segment_industrial[seg[("green_food", "planting")]]
    assert idx.segment_industrial[seg[("flowers", "flower_processing")]]
    assert idx.segment_industrial[seg[("green_food", "deep_processing")]]  # the chain's flag
    assert not idx.segment_industrial[seg[("flowers", "flower_growing")]]
    assert np.array_equal(pool.industrial, idx.segment_industrial[pool.segment])
    ref = ReferenceModel(cfg, rng=3)
    firms = ref.firms[:2000]
    assert all(f.industrial == bool(idx.segment_industrial[f.segment]) for f in firms)

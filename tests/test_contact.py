"""Contact sampling (chainsim.engine.contact): the rounds of rejection draws plus the exact
draw for the few they miss sample what docs/model.md specifies — one firm still in the
pool, uniform or ∝ size^bias within the group — however depleted the group is."""

from __future__ import annotations

import numpy as np

from chainsim import load
from chainsim.engine.chains import ChainIndex
from chainsim.engine.contact import draw
from chainsim.engine.pool import Pool
from chainsim.engine.rng import BatchStream
from chainsim.engine.strategies.base import ContactOrder
from paths import DEFAULT_SCENARIO

BIAS = 1.0


def setup(n: int = 3000):
    """A small pool, its catalog with a size-biased way, its largest region and that
    region's slots."""
    cfg = load(DEFAULT_SCENARIO, [f"population.pool_size={n}"])
    pool = Pool(cfg, ChainIndex(cfg.chains), seed=5)
    largest = int(np.bincount(pool.region).argmax())
    return pool, pool.catalog([("region", BIAS)]), largest, np.flatnonzero(pool.region == largest)


def order(n: int, region: int, bias: float, rep: int = 0, first_key: int = 0) -> ContactOrder:
    return ContactOrder(
        source=0,
        by="region",
        rep=np.full(n, rep, dtype=np.int64),
        groups=np.full(n, region, dtype=np.int64),
        keys=np.arange(first_key, first_key + n, dtype=np.uint64),
        size_bias=bias,
    )


def test_a_nearly_exhausted_group_still_yields_every_idle_firm():
    """3 idle firms among a region of hundreds: 16 rejection draws almost always miss, yet
    10 wanted firms get exactly the 3 (the rest of the order yields nobody, as in the spec)."""
    pool, catalog, largest, region = setup()
    assert len(region) > 500
    for bias in (0.0, BIAS):
        idle = np.zeros(pool.n, dtype=bool)
        free = region[[3, 50, 400]]
        idle[free] = True
        got = draw(catalog, idle, BatchStream([11], "contact_sampling"), 4, [(order(10, largest, bias), -1)])
        assert sorted(got.slot.tolist()) == sorted(free.tolist()) and not idle.any()


def test_the_exact_draw_follows_the_size_weights():
    """Two idle firms of very different size in a busy region: size-biased contacts pick
    each in proportion to size^bias (one contact per step, many steps)."""
    pool, catalog, largest, region = setup()
    by_size = region[np.argsort(pool.value_yi[region])]
    small, large = by_size[len(by_size) // 4], by_size[-len(by_size) // 4]
    expected = pool.value_yi[large] ** BIAS / (pool.value_yi[large] ** BIAS + pool.value_yi[small] ** BIAS)
    stream, hits, n = BatchStream([3], "contact_sampling"), 0, 4000
    for step in range(n):
        idle = np.zeros(pool.n, dtype=bool)
        idle[[small, large]] = True
        got = draw(catalog, idle, stream, step, [(order(1, largest, BIAS), -1)])
        hits += int(got.slot[0] == large)
    sd = np.sqrt(expected * (1 - expected) / n)
    assert abs(hits / n - expected) < 4 * sd, (hits / n, expected)

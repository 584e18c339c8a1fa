"""Channels that carry the right money (issue 13, point 3): leader trips per level, a
chain's own project sizes, organic arrivals' own size distribution.

Paired runs of a small Kunming scenario with every other channel switched off, so that
one source brings every signing and the lever's effect on its mean value shows at once.
"""

from __future__ import annotations

import numpy as np

from chainsim import load, run
from chainsim.engine.model import ChainModel
from chainsim.engine.strategies.base import team_key
from chainsim.engine.strategies.leader_led import LeaderLed
from chainsim.reference import ReferenceModel
from paths import BASE_FRAGMENT

SMALL = ["population.pool_size=40000", "calendar.burn_in_steps=20"]
NO_EVENTS = [
    f"events.{e}.enabled=false" for e in ("flower_fair_2023", "hk_promotion_2023", "south_asia_expo_2023")
]
ONLY_LEADERS = [*NO_EVENTS, "strategies.chain_based.enabled=false", "organic.arrivals_per_step=0"]
ONLY_ORGANIC = [*NO_EVENTS, "strategies.chain_based.enabled=false", "strategies.leader_led.enabled=false"]


def _mean_value(overrides: list[str], period: str = "2023_to_aug") -> tuple[float, float]:
    """(signings, mean value per signing) of a period, over 3 replicates."""
    s = run(load(BASE_FRAGMENT, [*SMALL, *overrides]), seed=3, replications=3).summary()["periods"][period]
    n, v = s["signings"]["mean"], s["signing_value_yi"]["mean"]
    return n, v / n


def test_county_size_bias_raises_county_trip_signings_value():
    county_only = [*ONLY_LEADERS, "strategies.leader_led.firms_per_city_trip=0"]
    n_lo, lo = _mean_value([*county_only, "strategies.leader_led.size_bias_county=0.2"])
    n_hi, hi = _mean_value([*county_only, "strategies.leader_led.size_bias_county=1.8"])
    assert n_lo > 5 and n_hi > 5, (n_lo, n_hi)
    assert hi > 3 * lo, (lo, hi)
    # the city level's bias does not touch county trips
    n_c, same = _mean_value(
        [*county_only, "strategies.leader_led.size_bias_county=1.8", "strategies.leader_led.size_bias_city=0"]
    )
    assert (n_c, same) == (n_hi, hi)


def test_fractional_firms_per_trip_keeps_the_mean_exactly():
    cfg = load(BASE_FRAGMENT, [*SMALL, "strategies.leader_led.firms_per_city_trip=4.7"])
    model = ChainModel(cfg, rng=1)
    leader = next(s for s in model.strategies if isinstance(s, LeaderLed))
    level, trips, *_ = leader.levels[0]
    assert level == "city"
    city = team_key("leader/city")
    firms = [
        sum(len(o) for o in leader.contacts(t) if int(o.keys[0]) >> 24 == city)
        for t in range(model.calendar.n_steps)
    ]
    per_step = np.array(firms)
    assert per_step.sum() == int(np.floor(trips.sum() * 4.7 + 1e-9))
    # a step with one trip contacts 4 or 5 firms, never anything else
    one = per_step[trips == 1]
    assert len(one) and set(one.tolist()) <= {4, 5}


def test_integer_firms_per_trip_is_the_old_rule():
    a = run(load(BASE_FRAGMENT, [*SMALL, "strategies.leader_led.firms_per_city_trip=6"]), seed=2).summary()
    b = run(
        load(BASE_FRAGMENT, [*SMALL, "strategies.leader_led.firms_per_city_trip=6.0000000001"]), seed=2
    ).summary()
    assert a["periods"] == b["periods"]


def test_negative_organic_size_bias_lowers_organic_signings_value():
    n0, neutral = _mean_value(ONLY_ORGANIC)
    n1, small = _mean_value([*ONLY_ORGANIC, "organic.size_bias=-1"])
    assert n0 > 20 and n1 > 20, (n0, n1)
    assert small < 0.5 * neutral, (neutral, small)


def test_chain_project_size_moves_its_chain_only():
    base = load(BASE_FRAGMENT, SMALL)
    big = load(BASE_FRAGMENT, [*SMALL, "chains.green_energy.project_size={median_yi: 10.0}"])
    c = list(base.chains).index("green_energy")
    for engine in ("vectorised", "reference"):
        if engine == "vectorised":
            a, b = ChainModel(base, rng=4).pool, ChainModel(big, rng=4).pool
            va, vb, chain = a.value_yi, b.value_yi, a.chain
        else:
            small_pool = ["population.pool_size=3000"]
            fa = ReferenceModel(load(BASE_FRAGMENT, [*SMALL, *small_pool]), rng=4).firms
            fb = ReferenceModel(
                load(
                    BASE_FRAGMENT,
                    [*SMALL, *small_pool, "chains.green_energy.project_size={median_yi: 10.0}"],
                ),
                rng=4,
            ).firms
            va, vb = np.array([f.value_yi for f in fa]), np.array([f.value_yi for f in fb])
            chain = np.array([f.chain for f in fa])
        mine = chain == c
        assert mine.any()
        assert np.median(vb[mine]) > 5 * np.median(va[mine]), engine
        capped = vb[mine] >= big.population.project_size.max_yi
        assert np.all((vb[mine] > va[mine]) | capped), engine
        assert np.array_equal(va[~mine], vb[~mine]), engine  # no other chain's projects change


def new_materials_pools(size: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Project sizes without and with ``chains.new_materials.project_size=<size>``, which
    firms are the chain's, and which are anchors (their factor moves them off the body)."""
    base = ChainModel(load(BASE_FRAGMENT, SMALL), rng=4).pool
    heavy = ChainModel(load(BASE_FRAGMENT, [*SMALL, f"chains.new_materials.project_size={size}"]), rng=4).pool
    mine = base.chain == list(load(BASE_FRAGMENT, SMALL).chains).index("new_materials")
    return base.value_yi, heavy.value_yi, mine, base.anchor


def test_chain_sigma_log_gives_a_heavier_tail():
    base, heavy, mine, _ = new_materials_pools("{sigma_log: 3.0}")
    q = base[mine], heavy[mine]
    assert np.quantile(q[1], 0.99) > 3 * np.quantile(q[0], 0.99)
    assert np.isclose(np.median(q[1]), np.median(q[0]), rtol=0.05)


def test_pareto_tail_replaces_the_lognormal_above_its_start():
    """population.project_size.tail_alpha: above tail_from_yi, P(> v | > t) = (v/t)^−α, the
    share above t stays the log-normal's, and nothing below t moves (both engines)."""
    no_anchor = "population.project_size={anchor_share: 0}"
    tail = "population.project_size={anchor_share: 0, tail_alpha: 0.7}"
    for engine in ("vectorised", "reference"):
        big = ["population.pool_size=200000"] if engine == "vectorised" else ["population.pool_size=40000"]
        cfgs = [load(BASE_FRAGMENT, [*SMALL, *big, no_anchor]), load(BASE_FRAGMENT, [*SMALL, *big, tail])]
        if engine == "vectorised":
            va, vb = (ChainModel(c, rng=5).pool.value_yi for c in cfgs)
        else:
            va, vb = (np.array([f.value_yi for f in ReferenceModel(c, rng=5).firms]) for c in cfgs)
        t, cap = 1.0, cfgs[0].population.project_size.max_yi
        assert np.array_equal(va[va <= t], vb[vb <= t]), engine  # the body: the same firms, the same sizes
        assert abs((vb > t).mean() - (va > t).mean()) < 3 * np.sqrt((va > t).mean() / len(va)), engine
        above = vb[vb > t]
        for v in (3.0, 10.0, 30.0):  # below the cap: the Pareto survival (v/t)^−0.7
            share, expected = (above > v).mean(), (v / t) ** -0.7
            assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / len(above)), (engine, v)
        assert vb.max() <= cap


def test_a_chain_tail_moves_its_chain_only():
    base, heavy, mine, anchor = new_materials_pools("{tail_alpha: 0.5}")
    assert np.array_equal(base[~mine], heavy[~mine])  # no other chain's projects change
    below = mine & (base <= 1.0) & ~anchor
    assert below.any() and np.array_equal(heavy[below], base[below])  # the body stays
    assert np.quantile(heavy[mine], 0.99) > 2 * np.quantile(base[mine], 0.99)


def test_reference_engine_follows_the_organic_and_county_size_biases():
    """The strategies are shared; the reference engine's own sampling must honour a
    negative bias (organic) and a per-level bias (county trips) as the fast engine does:
    the median size of the firms each channel contacted moves the same way."""

    def contacted(overrides: list[str], source: str) -> float:
        cfg = load(BASE_FRAGMENT, ["population.pool_size=5000", "calendar.burn_in_steps=5", *overrides])
        m = ReferenceModel(cfg, rng=3).run()
        return float(np.median([f.value_yi for f in m.firms if getattr(f, "source", None) == source]))

    neutral = contacted(ONLY_ORGANIC, "organic")
    assert contacted([*ONLY_ORGANIC, "organic.size_bias=-1"], "organic") < 0.5 * neutral
    county_only = [*ONLY_LEADERS, "strategies.leader_led.firms_per_city_trip=0"]
    lo = contacted([*county_only, "strategies.leader_led.size_bias_county=0.2"], "leader_trip")
    # a size bias b weights firms by size^b: the median contacted size moves several-fold
    # (less than an infinite pool's exp(σ²·Δb): the 5,000-firm pool's largest sign and leave)
    assert contacted([*county_only, "strategies.leader_led.size_bias_county=1.8"], "leader_trip") > 3 * lo

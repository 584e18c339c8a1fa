"""Pure array functions (kernels, rng, calendar, chain index) on hand-built arrays.

Kernel statistics use a stratified grid of uniforms ``(i + 0.5) / n`` (a quadrature of the
inverse CDF), so tolerances test the kernel, not sampling noise; rng checks use real streams.
"""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from chainsim.config.schema import Calendar as CalendarConfig
from chainsim.config.schema import Chain, Segment
from chainsim.engine import kernels as K
from chainsim.engine.calendar import Calendar, spread_evenly
from chainsim.engine.chains import ChainIndex
from chainsim.engine.contact import first_available
from chainsim.engine.rng import Stream

ONE_MINUS = np.nextafter(1.0, 0.0)  # 1 - 2**-53, the largest uniform a Stream can return


def grid(n: int) -> np.ndarray:
    return (np.arange(n) + 0.5) / n


# --------------------------------------------------------------------------- rng.Stream
KEYS = np.arange(1000, dtype=np.uint64)


def test_stream_is_a_pure_function_of_seed_name_step_key():
    a = Stream(7, "engage").uniform(3, KEYS)
    b = Stream(7, "engage").uniform(3, KEYS[::-1])[::-1]  # fresh object, keys in another order
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a[[5, 17]], Stream(7, "engage").uniform(3, np.array([5, 17])))
    for seed, name, step in [(7, "engage", 4), (7, "negotiate", 3), (8, "engage", 3)]:
        assert np.all(a != Stream(seed, name).uniform(step, KEYS))  # other step / name / seed


def test_uniform_at_agrees_with_uniform_elementwise():
    s = Stream(42, "poisson_counts")
    rng = np.random.default_rng(0)
    steps = rng.integers(-1, 60, size=500)  # step -1 is used for the population draw
    keys = rng.integers(0, 2**40, size=500).astype(np.uint64)
    expected = np.array([s.uniform(int(t), np.array([k]))[0] for t, k in zip(steps, keys)])
    np.testing.assert_array_equal(s.uniform_at(steps, keys), expected)


def test_int64_int32_and_uint64_keys_give_same_numbers():
    s = Stream(3, "duration")
    k = np.arange(0, 5000, 7)
    ref = s.uniform(2, k.astype(np.uint64))
    np.testing.assert_array_equal(s.uniform(2, k.astype(np.int64)), ref)
    np.testing.assert_array_equal(s.uniform(2, k.astype(np.int32)), ref)
    np.testing.assert_array_equal(s.uniform_at(np.full(k.size, 2, dtype=np.int64), k.astype(np.int64)), ref)
    np.testing.assert_array_equal(
        s.uniform_range(9, 50, offset=3 << 24),  # keys offset ... offset+49
        s.uniform(9, (3 << 24) + np.arange(50, dtype=np.uint64)),
    )


def test_stream_range_distinct_keys_and_uniformity():
    u = Stream(2024, "contact_sampling").uniform(11, np.arange(100_000, dtype=np.uint64))
    assert u.min() >= 0.0 and u.max() < 1.0
    assert len(np.unique(u)) == u.size  # different key -> different number
    counts = np.bincount((u * 100).astype(int), minlength=100)
    assert stats.chisquare(counts).pvalue > 1e-4
    assert stats.kstest(u, "uniform").pvalue > 1e-4


def test_stream_independence_between_steps_and_neighbouring_keys():
    s = Stream(2024, "target_choice")
    keys = np.arange(100_000, dtype=np.uint64)
    u0, u1 = s.uniform(10, keys), s.uniform(11, keys)
    assert abs(np.corrcoef(u0, u1)[0, 1]) < 0.02
    assert abs(np.corrcoef(u0[:-1], u0[1:])[0, 1]) < 0.02


def test_scalar_key_gives_no_overflow_warning():
    s = Stream(1, "a")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = s.uniform(3, np.int64(5))
    assert v.shape == (1,) and v[0] == s.uniform(3, np.array([5]))[0]


# --------------------------------------------------------------------------- poisson
@pytest.mark.parametrize("lam", [0.09, 0.3, 1.0, 4.0, 50.0, 700.0])
def test_poisson_threshold_at_exp_minus_lam(lam):
    e = np.exp(-lam)  # P(k = 0), as the kernel computes it
    u = np.array([e * (1 - 1e-9), e, e * (1 + 1e-9), 0.0])
    np.testing.assert_array_equal(K.poisson_from_uniform(lam, u), [0, 0, 1, 0])


def test_poisson_one_ulp_above_threshold_gives_one():
    lam = 0.09
    u = np.array([np.nextafter(np.exp(-lam), 1.0)])
    assert K.poisson_from_uniform(lam, u)[0] == 1


@pytest.mark.parametrize("lam", [0.3, 4.0, 50.0])
def test_poisson_mean_and_variance(lam):
    k = K.poisson_from_uniform(lam, grid(200_000))
    assert k.dtype == np.int64
    assert abs(k.mean() / lam - 1) < 0.01 and abs(k.var() / lam - 1) < 0.01


def test_poisson_normal_branch_above_700():
    lam = 5000.0
    k = K.poisson_from_uniform(lam, grid(20_000))
    assert abs(k.mean() / lam - 1) < 0.005
    assert abs(k.std() / np.sqrt(lam) - 1) < 0.02
    mixed = K.poisson_from_uniform(np.array([2000.0, 0.5]), np.array([0.5, np.exp(-0.5) * (1 + 1e-9)]))
    np.testing.assert_array_equal(mixed, [2000, 1])  # small entries still use the exact branch


def test_poisson_lam_zero_monotone_and_2d_shape():
    assert not K.poisson_from_uniform(0.0, grid(1000)).any()
    assert np.all(np.diff(K.poisson_from_uniform(3.0, grid(1000))) >= 0)
    u = grid(12).reshape(3, 4)
    lam = np.array([[0.5], [2.0], [9.0]])
    k = K.poisson_from_uniform(lam, u)
    assert k.shape == (3, 4)
    for r in range(3):
        np.testing.assert_array_equal(k[r], K.poisson_from_uniform(float(lam[r, 0]), u[r].copy()))


# --------------------------------------------------------------------------- lognormal_days
@pytest.mark.parametrize("mean,sigma", [(100.0, 0.55), (30.0, 1.0)])
def test_lognormal_days_mean_and_monotone(mean, sigma):
    d = K.lognormal_days(mean, sigma, grid(200_000))
    assert abs(d.mean() / mean - 1) < 0.01
    assert (np.diff(d) >= 0).all()
    assert np.allclose(K.lognormal_days(mean, 0.0, grid(5)), mean)  # no spread: the mean itself


# --------------------------------------------------------------------------- positions
FIRST, COUNTS = np.array([0, 3, 5]), np.array([3, 2, 4])


# --------------------------------------------------------------------------- first_available
def test_first_available_hand_table():
    slot_ok = np.zeros(14, dtype=bool)
    slot_ok[[2, 6, 7, 9, 13]] = True
    cand = np.array(
        [
            [5, 6, 7, 8],  # -> 6
            [6, 9, 1, 2],  # -> 6 again: duplicate, dropped (9 is not tried)
            [3, 4, 0, 1],  # none available: dropped
            [8, 2, 7, 2],  # -> 2
            [10, 11, 12, 13],
        ]
    )  # -> 13
    picks, rows = first_available(cand, slot_ok[cand])
    np.testing.assert_array_equal(picks, [6, 2, 13])
    np.testing.assert_array_equal(rows, [0, 3, 4])
    np.testing.assert_array_equal(first_available(cand, slot_ok[cand])[0], [6, 2, 13])
    assert first_available(cand, np.zeros(cand.shape, dtype=bool))[0].size == 0  # none available
    empty = np.zeros((0, 4), dtype=np.int64)
    picks, rows = first_available(empty, np.zeros(empty.shape, dtype=bool))
    assert picks.size == 0 and rows.size == 0


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 30).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(0, 15), min_size=4 * n, max_size=4 * n),
            st.lists(st.booleans(), min_size=16, max_size=16),
        )
    )
)
def test_first_available_property(data):
    flat, ok = data
    cand = np.array(flat, dtype=np.int64).reshape(-1, 4)
    slot_ok = np.array(ok)
    picks, rows = first_available(cand, slot_ok[cand])
    assert len(set(picks.tolist())) == len(picks) and slot_ok[picks].all()
    assert np.all(np.diff(rows) > 0)
    firsts = [r[slot_ok[r]][0] for r in cand if slot_ok[r].any()]
    assert picks.tolist() == list(dict.fromkeys(firsts))  # first per row, first occurrence kept
    for p, r in zip(picks, rows):
        assert p == cand[r][slot_ok[cand[r]]][0]


# --------------------------------------------------------------------------- gumbel_choice
def test_gumbel_single_finite_all_inf_and_logit_frequencies():
    ninf = -np.inf
    util = np.array([[ninf, 2.0, ninf], [ninf, ninf, ninf], [-50.0, ninf, ninf], [ninf, ninf, 0.0]])
    u = np.array(
        [[ONE_MINUS, 0.0, ONE_MINUS], [0.3, 0.5, 0.7], [0.0, ONE_MINUS, ONE_MINUS], [0.9, 0.9, 1e-9]]
    )
    np.testing.assert_array_equal(K.gumbel_choice(util, u), [1, -1, 0, 2])
    n = 100_000
    util = np.tile([0.0, np.log(3.0)], (n, 1))
    u = Stream(11, "park_choice").uniform(0, np.arange(2 * n, dtype=np.uint64)).reshape(n, 2)
    c = np.bincount(K.gumbel_choice(util, u), minlength=2)
    assert abs(c[1] / c[0] / 3 - 1) < 0.02


# --------------------------------------------------------------------------- allocate_capacity
def test_allocate_capacity_first_come_first_served():
    park = np.array([0, 1, 0, 0, 1, -1, 0])
    need = np.array([3.0, 5.0, 4.0, 2.0, 2.0, 1.0, 1.0])
    free = np.array([8.0, 7.0])
    # park 0: 3, 4 fit (7); 2 overflows (9 > 8) and the later 1 is refused too; park 1: 5 + 2 = 7 fits exactly
    np.testing.assert_array_equal(K.allocate_capacity(park, need, free), [1, 1, 1, 0, 1, 0, 0])
    only1 = park == 1
    np.testing.assert_array_equal(K.allocate_capacity(park[only1], need[only1], free), [1, 1])
    # limits: park -1 never granted; no free capacity refuses every positive need; empty input
    assert not K.allocate_capacity(np.array([-1, -1]), np.array([0.0, 1.0]), np.array([5.0])).any()
    assert not K.allocate_capacity(np.array([0, 1, 0]), np.array([1.0, 0.5, 2.0]), np.zeros(2)).any()
    assert K.allocate_capacity(np.zeros(0, np.int64), np.zeros(0), np.ones(1)).shape == (0,)


def test_allocate_capacity_other_park_unaffected_by_rounding():
    free = np.array([0.0, 0.1 + 0.2])  # park 1 has exactly room for 0.1 + 0.2
    assert K.allocate_capacity(np.array([1, 1]), np.array([0.1, 0.2]), free).tolist() == [True, True]
    mixed = K.allocate_capacity(np.array([0, 1, 1]), np.array([1e4, 0.1, 0.2]), free)
    assert mixed.tolist() == [False, True, True]  # actual: [False, True, False]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-1, 2), st.integers(0, 10)), max_size=40),
    st.lists(st.integers(0, 25), min_size=3, max_size=3),
)
def test_allocate_capacity_property(reqs, free_int):
    park = np.array([p for p, _ in reqs], dtype=np.int64)
    need = np.array([q for _, q in reqs], dtype=np.float64) * 0.5
    free = np.array(free_int, dtype=np.float64) * 0.5
    granted = K.allocate_capacity(park, need, free)
    assert not granted[park < 0].any()
    for p in range(3):
        mine = np.flatnonzero(park == p)
        g = granted[mine]
        assert need[mine][g].sum() <= free[p]
        n_ok = int(g.sum())
        assert g[:n_ok].all()  # granted requests form a prefix (first come, first served)
        if n_ok < len(mine):  # ... and the first refused one really did not fit
            assert need[mine][: n_ok + 1].sum() > free[p]


# --------------------------------------------------------------------------- pay_instalments
def test_pay_instalments_never_exceeds_left():
    out = K.pay_instalments(np.array([0.0, 5.0, 10.0, 3.5]), np.array([1.0, 1.0, 1.0, 0.0]), 7.0)
    np.testing.assert_array_equal(out, [0.0, 5.0, 7.0, 0.0])
    left, rate = np.random.default_rng(1).random((2, 1000)) * [[10.0], [1.0]]
    out = K.pay_instalments(left, rate, 30.0)
    assert np.all(out <= left) and np.all((out == left) | (out == rate * 30.0))


# --------------------------------------------------------------------------- calendar
@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 200))
def test_spread_evenly_integer_totals(total, n):
    x = spread_evenly(total, n)
    assert x.shape == (n,) and x.sum() == total and x.max() - x.min() <= 1 and x.min() >= 0


def test_spread_evenly_limits():
    np.testing.assert_array_equal(spread_evenly(7, 3), [2, 3, 2])  # floor(7 i / 3 + 0.5) steps
    assert spread_evenly(5.0, 0).size == 0  # n = 0 -> empty
    x = spread_evenly(10.4, 4)
    assert x.sum() == 10 and x.max() - x.min() <= 1


def test_spread_evenly_rounds_fractional_total():
    assert spread_evenly(2.7, 3).sum() == 3


@pytest.fixture
def cal() -> Calendar:
    return Calendar(
        CalendarConfig(
            start_date=dt.date(2022, 1, 1),
            end_date=dt.date(2022, 1, 31),
            step_days=7,
            burn_in_steps=2,
            burn_in_step_days=7,
            burn_in_settle_days=0,
        )
    )


def test_calendar_steps_and_dates(cal):
    # 2 burn-in steps of 7 days, then January 2022 in month-aligned steps: 7, 7, 7, 10 days
    assert cal.n_steps == 2 + 4
    assert cal.sim_start == dt.date(2021, 12, 18)
    assert [cal.date(s) for s in range(cal.n_steps)] == [
        dt.date(2021, 12, 24),
        dt.date(2021, 12, 31),
        dt.date(2022, 1, 7),
        dt.date(2022, 1, 14),
        dt.date(2022, 1, 21),
        dt.date(2022, 1, 31),
    ]
    assert list(cal.step_len) == [7, 7, 7, 7, 7, 10] and np.allclose(cal.scale, cal.step_len / 7)
    assert cal.step_of(dt.date(2022, 1, 1)) == 2 and cal.step_of(dt.date(2021, 12, 31)) == 1
    assert cal.step_of(dt.date(2021, 12, 18)) == 0 and cal.day_of(dt.date(2021, 12, 18)) == 1
    assert cal.step_of(dt.date(2021, 12, 17)) == -1 and cal.step_of(dt.date(2022, 2, 1)) == cal.n_steps
    for s in range(cal.n_steps):
        d = cal.date(s)
        assert cal.step_of(d) == s and cal.day_of(d) == cal.day_end[s]
        assert cal.step_of(d + dt.timedelta(days=1)) == s + 1
        assert cal.step_of(d - dt.timedelta(days=int(cal.step_len[s]) - 1)) == s


def test_month_aligned_steps_tile_every_month():
    from chainsim.engine.calendar import month_aligned_steps

    lengths = month_aligned_steps(dt.date(2022, 1, 1), dt.date(2023, 12, 31), 7)
    assert sum(lengths) == 730 and len(lengths) == 24 * 4 and set(lengths) <= {7, 8, 9, 10}
    assert month_aligned_steps(dt.date(2022, 1, 1), dt.date(2022, 12, 31), 31) == [
        31,
        28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ]
    assert month_aligned_steps(dt.date(2022, 1, 1), dt.date(2022, 1, 3), 1) == [1, 1, 1]


def test_calendar_lever_dates_and_masks(cal):
    start = np.datetime64("2022-01-01")
    assert np.all(cal.lever_date[:2] == start) and np.all(cal.lever_date[2:] > start)
    np.testing.assert_array_equal(
        cal.lever_mask(dt.date(2022, 1, 10), dt.date(2022, 1, 25)), [0, 0, 0, 1, 1, 0]
    )
    np.testing.assert_array_equal(cal.lever_mask(None, dt.date(2022, 1, 1)), [1, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(cal.lever_mask(dt.date(2022, 1, 2), None), [0, 0, 1, 1, 1, 1])
    assert cal.lever_mask(None, None).all()
    np.testing.assert_array_equal(
        cal.steps_between(dt.date(2022, 1, 1), dt.date(2022, 1, 21)), [0, 0, 1, 1, 1, 0]
    )


# --------------------------------------------------------------------------- ChainIndex
def _chain(edges) -> Chain:
    return Chain(industrial=True, pool_share=0.5, segments={s: Segment() for s in "abcdef"}, edges=edges)


@pytest.fixture
def index() -> ChainIndex:
    # alpha: a->b, b->c, b->d, c->e, f isolated; beta (same segment names): a->b only
    return ChainIndex(
        {"alpha": _chain([("a", "b"), ("b", "c"), ("b", "d"), ("c", "e")]), "beta": _chain([("a", "b")])}
    )


def test_missing_uses_each_chains_mean(index):
    assert index.n_segments == 12 and index.offset[("beta", "a")] == 6
    producers = np.array([0, 2, 4, 6, 8, 10, 1, 1, 1, 1, 1, 7])  # means 5 and 2
    np.testing.assert_array_equal(index.missing(producers, 0.6), [1, 1, 0, 0, 0, 0] + [1, 1, 1, 1, 1, 0])
    np.testing.assert_array_equal(index.missing(producers, 0.5), [1, 1, 0, 0, 0, 0] + [0] * 6)
    assert not index.missing(producers, 0.0).any()


def test_supplier_access_exact_shares(index):
    present = np.array([1, 0, 1, 0, 1, 1] + [0, 1, 0, 0, 0, 0], dtype=bool)
    np.testing.assert_allclose(
        index.supplier_access(present), [0, 2 / 3, 1 / 2, 0, 1, 0] + [1, 0, 0, 0, 0, 0], atol=1e-15
    )
    one = np.eye(12, dtype=bool)  # suppliers and buyers both count (symmetric), chains do not mix
    assert index.supplier_access(one[0]).tolist() == [0, 1 / 3] + [0] * 10  # a seen by its buyer b
    assert (
        index.supplier_access(one[1]).tolist() == [1, 0, 1 / 2, 1] + [0] * 8
    )  # b by supplier a, buyers c, d
    assert (
        index.supplier_access(np.ones(12, dtype=bool)).tolist() == [1.0] * 5 + [0.0] + [1.0, 1.0] + [0.0] * 4
    )


@pytest.mark.parametrize("lam", [0.3, 4.0, 50.0, 400.0])
def test_poisson_inversion_agrees_with_scipy_cdf(lam):
    """The term-by-term CDF gives the count scipy's Poisson CDF gives, away from rounding
    distance of a CDF step."""
    from scipy.stats import poisson

    u = grid(5_000)
    k = K.poisson_from_uniform(lam, u)
    expected = poisson.ppf(u, lam).astype(np.int64)
    near = np.abs(poisson.cdf(np.maximum(k - 1, 0), lam) - u) < 1e-9
    assert (k[~near] == expected[~near]).all()

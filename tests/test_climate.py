"""The business climate (营商环境, docs/model.md "Business climate"): dated multipliers of
travel, engagement and post-signing progress, in both engines.

Neutral when absent; steps follow the lever dates (the burn-in runs on the climate of
``calendar.start_date``); each multiplier moves what it should in paired runs with the
same seeds (common random numbers), and only that.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from chainsim import load, run
from chainsim.config.schema import Climate, Scenario
from chainsim.engine.calendar import Calendar
from chainsim.engine.climate import ClimateSteps
from chainsim.engine.rng import BatchStreams
from chainsim.engine.strategies import ContactOrder
from chainsim.reference import ReferenceModel
from chainsim.vocabulary import Source
from paths import BASE_FRAGMENT

SMALL = ["population.pool_size=40000", "calendar.burn_in_steps=20"]
C2022 = "climate.periods.restricted_2022"


def small(*overrides: str) -> Scenario:
    return load(BASE_FRAGMENT, [*SMALL, *overrides])


def neutral_2022(*overrides: str) -> Scenario:
    return small(f"{C2022}.travel=1", f"{C2022}.engagement=1", f"{C2022}.progress=1", *overrides)


def in_2022(r, metric: str) -> np.ndarray:
    return r.period_values("2022H1", metric) + r.period_values("2022H2", metric)


# ----------------------------------------------------------------- schema and steps
def test_no_climate_and_a_neutral_one_give_the_same_run():
    cfg = neutral_2022()
    bare = cfg.model_copy(update={"climate": Climate()})
    assert ClimateSteps(bare, Calendar(bare.calendar)).neutral
    a = json.dumps(run(cfg, seed=3, replications=2).summary()["periods"], sort_keys=True)
    b = json.dumps(run(bare, seed=3, replications=2).summary()["periods"], sort_keys=True)
    assert a == b


def test_steps_follow_the_lever_dates():
    cfg = small(f"{C2022}.travel=0.5", f"{C2022}.engagement=0.7", f"{C2022}.progress=0.8")
    cal = Calendar(cfg.calendar)
    c = ClimateSteps(cfg, cal)
    burn = np.arange(cal.n_steps) < cal.burn_in
    y2022 = (cal.date_end >= np.datetime64("2022-01-01")) & (cal.date_end < np.datetime64("2023-01-01"))
    assert (c.travel[burn] == 0.5).all() and (c.engagement[burn] == 0.7).all()  # burn-in: start_date's
    assert (c.progress[y2022] == 0.8).all() and (c.travel[y2022] == 0.5).all()
    after = cal.date_end >= np.datetime64("2023-01-01")
    assert (c.travel[after] == 1).all() and (c.progress[after] == 1).all()  # the reopening holds on
    # a single period that starts mid-2022: 1.0 before it, in the burn-in too
    late = cfg.model_copy(
        update={
            "climate": Climate.model_validate({"periods": {"p": {"start": "2022-07-01", "progress": 0.5}}})
        }
    )
    c = ClimateSteps(late, cal)
    assert (c.progress[cal.date_end < np.datetime64("2022-07-01")] == 1).all()
    assert (c.progress[cal.date_end >= np.datetime64("2022-07-01")] == 0.5).all()
    assert cfg.climate.at(dt.date(2022, 5, 1)) == cfg.climate.periods["restricted_2022"]


def test_climate_periods_must_start_on_different_days():
    with pytest.raises(ValueError, match="different days"):
        Climate.model_validate({"periods": {"a": {"start": "2022-01-01"}, "b": {"start": "2022-01-01"}}})


def test_thinning_keeps_a_subset_of_the_rows_and_spares_referrals():
    cfg = small(f"{C2022}.travel=0.5")
    cal = Calendar(cfg.calendar)
    c, streams = ClimateSteps(cfg, cal), BatchStreams([1, 2], cal.n_steps)
    n = 4000
    keys = np.arange(n, dtype=np.uint64) + np.uint64(7 << 24)
    rep = np.repeat([0, 1], n // 2)
    order = ContactOrder(Source.CHAIN_GROUP, "segment", rep, np.arange(n) % 9, keys)
    thin = c.thin(cal.burn_in + 3, order, streams)
    assert 0.45 * n < len(thin) < 0.55 * n
    assert set(thin.keys.tolist()) <= set(keys.tolist())
    kept = np.isin(keys, thin.keys)
    assert np.array_equal(thin.groups, order.groups[kept]) and np.array_equal(thin.rep, rep[kept])
    referral = ContactOrder(Source.ANCHOR_REFERRAL, "segment", rep, np.arange(n) % 9, keys)
    assert c.thin(cal.burn_in + 3, referral, streams) is referral
    after = cal.step_of(dt.date(2023, 3, 1))
    assert c.thin(after, order, streams) is order  # the 2023 climate is unrestricted


# ----------------------------------------------------------------- paired effects (fast engine)
@pytest.fixture(scope="module")
def neutral():
    return run(neutral_2022(), seed=9, replications=3)


def test_travel_thins_contacts_but_not_trips(neutral):
    r = run(neutral_2022(f"{C2022}.travel=0.5"), seed=9, replications=3)
    assert np.array_equal(in_2022(r, "city_leader_trips"), in_2022(neutral, "city_leader_trips"))
    assert np.array_equal(in_2022(r, "county_leader_trips"), in_2022(neutral, "county_leader_trips"))
    ratio = in_2022(r, "contacts").sum() / in_2022(neutral, "contacts").sum()
    assert 0.4 < ratio < 0.65, ratio  # anchor referrals are not thinned
    assert in_2022(r, "signings").sum() < 0.8 * in_2022(neutral, "signings").sum()


def test_engagement_slows_signing(neutral):
    r = run(neutral_2022(f"{C2022}.engagement=0.5"), seed=9, replications=3)
    assert np.array_equal(in_2022(r, "city_leader_trips"), in_2022(neutral, "city_leader_trips"))
    assert in_2022(r, "signings").sum() < 0.8 * in_2022(neutral, "signings").sum()


def test_progress_slows_projects_and_the_reopening_speeds_them_up(neutral):
    slow = run(neutral_2022(f"{C2022}.progress=0.6"), seed=9, replications=3)
    days = [
        np.median(
            np.concatenate([rep.recorder.duration_samples("signing_to_land_days")[0] for rep in r.replicates])
        )
        for r in (neutral, slow)
    ]
    assert days[1] > 1.3 * days[0], days
    # signings do not depend on the pace after signing (the same numbers, the same rules)
    assert in_2022(slow, "signings").sum() == pytest.approx(in_2022(neutral, "signings").sum(), rel=0.05)

    def growth(r) -> float:
        return float(
            r.period_values("2023H1", "funds_in_place_yi").sum()
            / r.period_values("2022H1", "funds_in_place_yi").sum()
        )

    assert growth(slow) > growth(neutral) + 0.1, (growth(slow), growth(neutral))


# ----------------------------------------------------------------- the reference engine
def test_reference_engine_applies_the_climate():
    def go(*overrides: str):
        cfg = load(BASE_FRAGMENT, ["population.pool_size=5000", "calendar.burn_in_steps=10",
                                      f"{C2022}.engagement=1", *overrides])  # fmt: skip
        in_2022 = Calendar(cfg.calendar).date_end < np.datetime64("2023-01-01")  # and the burn-in
        return [ReferenceModel(cfg, rng=s).run().recorder for s in (1, 2)], in_2022

    def total(run_, flow: str) -> float:
        recs, mask = run_
        return float(sum(r.flows[mask, r.F[flow]].sum() for r in recs))

    free = go(f"{C2022}.travel=1", f"{C2022}.progress=1")
    restricted = go(f"{C2022}.travel=0.4", f"{C2022}.progress=0.5")
    assert total(restricted, "contacts") < 0.75 * total(free, "contacts")
    land = [
        np.median(np.concatenate([r.duration_samples("signing_to_land_days")[0] for r in recs]))
        for recs, _ in (free, restricted)
    ]
    assert land[1] > 1.3 * land[0], land

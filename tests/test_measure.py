"""The measurement layer (issue 13, point 1): each statistic counts what its definition
counts — the industrial flag per segment, project types and 落地, the disbursement
schedule of declared funds, and 实际利用外资 as paid-in foreign capital."""

from __future__ import annotations

import numpy as np
import pytest

from chainsim import load, run
from chainsim.config.errors import ScenarioError
from chainsim.engine import pipeline
from chainsim.engine.calendar import Calendar
from chainsim.engine.measure import fx_per_step
from chainsim.engine.model import ChainModel
from chainsim.engine.records import F
from chainsim.reference import ReferenceModel
from chainsim.vocabulary import Stage
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


# ----------------------------------------------------------------- project types and 落地
def all_non_fixed(*extra: str) -> list[str]:
    """Overrides that make every project one without fixed-asset investment."""
    return [*[f"chains.{c}.fixed_asset_share=0" for c in small().chains], *no_segment_shares(), *extra]


def test_projects_without_fixed_assets_land_at_registration_and_build_nothing():
    for engine in (ChainModel, ReferenceModel):
        m = engine(small(*all_non_fixed()), rng=4).run()
        rec = m.recorder
        stages = rec.stages
        assert stages[:, Stage.LAND].max() == 0 and stages[:, Stage.CONSTRUCTION].max() == 0, engine
        flows = rec.flows
        assert flows[:, F["landed"]].sum() == flows[:, F["registered"]].sum() > 0, engine
        assert flows[:, F["producing"]].sum() > 0, engine
        c = list(m.config.reporting.cohorts).index("2022")
        assert rec.cohort_fixed_signed[c] == 0 and rec.cohort_landed[c] > 0, engine
        assert len(rec.duration_samples("construction_to_production_days")[0]) == 0, engine


def test_fixed_asset_part_of_the_cohort():
    res = run(small(), seed=3, replications=2)
    s = res.summary()["cohorts"]["2022"]
    assert 0 < s["fixed_asset_signed"]["mean"] < s["signed"]["mean"]  # Kunming: some projects build nothing
    assert 0 <= s["fixed_asset_producing_rate"]["mean"] <= 1
    assert s["filter"]["min_value_yi"] == 1.0  # F16's threshold: fixed, stated (S5)
    every = run(
        small(*[f"chains.{c}.fixed_asset_share=1" for c in small().chains], *no_segment_shares()), seed=3
    )
    e = every.summary()["cohorts"]["2022"]
    assert e["fixed_asset_signed"]["mean"] == e["signed"]["mean"]
    assert e["fixed_asset_producing_rate"]["mean"] == e["producing_rate"]["mean"]


def no_segment_shares() -> list[str]:
    cfg = small()
    return [
        f"chains.{c}.segments.{s}.fixed_asset_share=null"
        for c, chain in cfg.chains.items()
        for s, seg in chain.segments.items()
        if seg.fixed_asset_share is not None
    ]


def test_fewer_fixed_asset_projects_land_sooner():
    """Paired runs (common random numbers): a project that need not wait for land lands
    at registration, so the 2022 cohort's landing rate rises."""
    base = run(small(), seed=5, replications=2).summary()["cohorts"]["2022"]["landing_rate"]["mean"]
    none = run(small(*all_non_fixed()), seed=5, replications=2).summary()["cohorts"]["2022"]
    assert none["landing_rate"]["mean"] > base


# ----------------------------------------------------------------- funds in place as declared
SCHEDULE = ("registration", "land", "construction", "production")


def schedule(**shares: float) -> list[str]:
    names = {
        "registration": "funds_at_registration_share",
        "land": "funds_at_land_share",
        "construction": "funds_construction_share",
        "production": "funds_at_production_share",
    }
    return [f"pipeline.{names[k]}={shares.get(k, 0.0)}" for k in SCHEDULE]


def test_disbursement_shares_must_sum_to_one():
    with pytest.raises(ScenarioError, match="disbursement shares must sum to 1"):
        small("pipeline.funds_at_land_share=0.5")


@pytest.mark.parametrize("when", SCHEDULE)
def test_each_share_arrives_at_its_milestone(when):
    """Everything at one milestone: a project still before it has all its realised value
    to come, one past it nothing (a fixed-asset project; in construction, the construction
    share has arrived only in part)."""
    cfg = small(*schedule(**{when: 1.0}))
    milestone = {"registration": 0, "land": 1, "construction": 2, "production": 3}[when]
    order = [Stage.SIGNED, Stage.REGISTERED, Stage.LAND, Stage.CONSTRUCTION]
    for engine in ("fast", "reference"):
        rows = project_states(cfg, engine)
        for stage, fixed, left, realised in rows:
            if not fixed and stage == Stage.REGISTERED:  # operates next: all but registration to come
                expect = 0.0 if when == "registration" else realised
            elif stage == Stage.CONSTRUCTION and when == "construction":
                expect = None  # paid in part
            elif order.index(stage) > milestone:
                expect = 0.0
            else:
                expect = realised
            if expect is not None:
                assert left == pytest.approx(expect, abs=1e-9), (engine, when, stage, left, realised)
            else:
                assert -1e-9 <= left <= realised + 1e-9


def project_states(cfg, engine: str) -> list[tuple[int, bool, float, float]]:
    """(stage, fixed-asset, funds left, realised value) of every live project at the end."""
    share = cfg.pipeline.realisation_share
    if engine == "fast":
        m = ChainModel(cfg, rng=6).run()
        a = m.projects
        live = np.flatnonzero((a.i("stage") >= Stage.SIGNED) & (a.i("stage") <= Stage.CONSTRUCTION))
        signed = a.i("stage")[live] == Stage.SIGNED
        left = np.where(signed, a.f("value_yi")[live] * share, a.f("funds_left_yi")[live])
        return list(
            zip(
                a.i("stage")[live].tolist(),
                a.b("fixed_asset")[live].tolist(),
                left.tolist(),
                (a.f("value_yi")[live] * share).tolist(),
            )
        )
    ref = ReferenceModel(cfg, rng=6).run()
    return [
        (
            int(f.stage),
            f.fixed_asset,
            f.value_yi * share if f.stage == Stage.SIGNED else f.funds_left_yi,
            f.value_yi * share,
        )
        for f in ref.projects
    ]


# ----------------------------------------------------------------- 实际利用外资 (F2b)
def test_each_step_converts_at_its_months_rate():
    cfg = small(
        "statistics.fx_cny_per_usd_monthly={'2022-03': 6.3, '2022-04': 6.4, '2023-01': 6.8}",
    )
    cal = Calendar(cfg.calendar)
    fx = fx_per_step(cfg, cal)
    month = cal.date_end.astype("datetime64[M]").astype(str)
    assert (fx[month < "2022-04"] == 6.3).all()  # before the table: its first month
    assert (fx[(month >= "2022-04") & (month < "2023-01")] == 6.4).all()
    assert (fx[month >= "2023-01"] == 6.8).all()  # after it: its last month
    plain = fx_per_step(small("statistics.fx_cny_per_usd_monthly={}"), cal)
    assert (plain == cfg.pipeline.fx_cny_per_usd).all()


FOREIGN_ONLY_ABROAD = [
    f"population.regions.{r}.foreign_entity_share=0"
    for r in ("beijing", "guangzhou", "shanghai", "shenzhen", "other_domestic")
]


def test_paid_in_capital_arrives_at_registration(monkeypatch):
    """All registered capital at registration, registered capital = total investment, one
    rate: each step's F2b × rate is the foreign realised value of that step's registrations."""
    cfg = small(
        *FOREIGN_ONLY_ABROAD,
        "statistics.fdi_basis=paid_in",
        "statistics.capital_at_registration_share=1",
        "statistics.registered_capital_shares=[1, 1, 1, 1]",
        "statistics.fx_cny_per_usd_monthly={}",
    )
    registered = []

    def register(m, t, rows, spread):
        a = m.projects
        foreign = a.b("foreign")[rows]
        registered.append((t, float((a.f("value_yi")[rows] * foreign).sum())))
        pipeline.register(m, t, rows, spread)

    monkeypatch.setattr(pipeline, "TRANSITIONS", ((Stage.SIGNED, register), *pipeline.TRANSITIONS[1:]))
    m = ChainModel(cfg, rng=7).run()
    expect = np.zeros(m.calendar.n_steps)
    for t, v in registered:
        expect[t] += v * cfg.pipeline.realisation_share
    got = m.recorder.flows[:, F["fdi_usd_yi"]] * cfg.pipeline.fx_cny_per_usd
    assert expect.sum() > 0
    assert np.allclose(got, expect, rtol=1e-9, atol=1e-9)


def test_reinvestment_by_enterprises_already_in_china_counts_only_its_share():
    """Only mainland foreign-invested enterprises carry foreign money: F2b is 0 when none of
    their money counts (paired, same firms), positive when it does; F2a takes the rest."""
    only_fie = [f"population.regions.{r}.foreign_entity_share=0" for r in ("hong_kong", "macau", "foreign")]
    for engine in (ChainModel, ReferenceModel):
        none = engine(small(*only_fie, "statistics.fie_reinvestment_fdi_share=0"), rng=9).run().recorder
        some = engine(small(*only_fie, "statistics.fie_reinvestment_fdi_share=1"), rng=9).run().recorder
        assert none.flows[:, F["fdi_usd_yi"]].sum() == 0, engine
        assert some.flows[:, F["fdi_usd_yi"]].sum() > 0, engine
        if engine is ChainModel:  # common random numbers: the same projects, money moved
            assert none.flows[:, F["funds_in_place_yi"]].sum() > some.flows[:, F["funds_in_place_yi"]].sum()

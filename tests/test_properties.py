"""Properties that hold for every valid scenario (hypothesis): conservation, monotone
cumulative flows, rates in [0, 1], money and land bounds, determinism, common random
numbers, and agreement between the summary, the time series and the resolved scenario."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow.parquet as pq
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainsim import load, run
from chainsim.engine.model import ChainModel
from chainsim.engine.records import F
from chainsim.results.outputs import resolved_yaml
from chainsim.vocabulary import Stage
from paths import DEFAULT_SCENARIO

EVENT_DATES = {
    "flower_fair_2023": dt.date(2023, 3, 16),
    "hk_promotion_2023": dt.date(2023, 4, 14),
    "south_asia_expo_2023": dt.date(2023, 8, 16),
}


@st.composite
def scenarios(draw):
    """Small, valid variations of the default scenario: any switch combination, any seed."""
    end = dt.date(2022, 2, 1) + dt.timedelta(days=draw(st.integers(0, 600)))
    overrides = [
        f"population.pool_size={draw(st.integers(2_000, 20_000))}",
        f"calendar.burn_in_steps={draw(st.integers(0, 20))}",
        f"calendar.end_date={end.isoformat()}",
        (
            f"reporting.cohorts={{c: {{signed_from: 2022-01-01, signed_until: {min(end, dt.date(2022, 12, 31)).isoformat()}, "
            f"as_of: {end.isoformat()}, min_value_yi: {draw(st.sampled_from([0, 1, 5]))}}}}}"
        ),
        f"reporting.periods={{all: {{start: 2022-01-01, end: {end.isoformat()}}}}}",
        f"seed={draw(st.integers(0, 2**40))}",
        f"organic.arrivals_per_step={draw(st.sampled_from([0, 2, 6]))}",
    ]
    for lever in ("leader_led", "chain_based", "commissioners"):
        overrides.append(f"strategies.{lever}.enabled={draw(st.booleans())}")
    for reform in ("land_and_build", "missing_docs", "full_agency"):
        overrides.append(f"strategies.commissioners.reforms.{reform}.enabled={draw(st.booleans())}")
    for eid, day in EVENT_DATES.items():
        overrides.append(f"events.{eid}.enabled={day <= end and draw(st.booleans())}")
    if draw(st.booleans()):  # a tight park now and then, so capacity binds
        overrides += ["parks.anning.land_ha=20", "parks.anning.land_added_ha_per_year=0"]
    return load(DEFAULT_SCENARIO, overrides)


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(cfg=scenarios())
def test_counts_flows_money_and_land_stay_consistent(cfg):
    m = ChainModel(cfg).run()
    rec, a = m.recorder, m.projects
    # every firm is in exactly one stage, and the last row matches the pipeline tables and pool
    assert (rec.stages.sum(axis=1) == m.pool.n).all() and (rec.stages >= 0).all()
    talks, projects = m.talks.i("stage"), a.i("stage")
    live = np.concatenate([talks[talks <= Stage.NEGOTIATING], projects[projects <= Stage.CONSTRUCTION]])
    assert np.array_equal(rec.stages[-1][1:7], np.bincount(live, minlength=len(Stage))[1:7])
    assert rec.stages[-1][Stage.POOL] == m.idle.sum()
    # flows are non-negative, so cumulative signings, landings and funds never fall
    assert (rec.flows >= -1e-9).all()
    # stage flows add up: producing stock = cumulative production starts; sources sum to signings
    assert np.array_equal(rec.stages[:, Stage.PRODUCING], np.cumsum(rec.flows[:, F["producing"]]).astype(int))
    by_source = rec.flows[:, F["signings_by_source.leader_trip"] : F["signings_by_source.organic"] + 1].sum(
        axis=1
    )
    assert np.array_equal(by_source, rec.flows[:, F["signings"]])
    # a project never gets more money than the realisation share of its agreement
    realised = a.f("value_yi") * cfg.pipeline.realisation_share
    left = a.f("funds_left_yi")
    assert (left >= -1e-9).all() and (left <= realised + 1e-9).all()
    # land used never exceeds what parks ever had
    added = m.parks.land_added_per_day * float(m.calendar.day_end[-1])
    assert (m.parks.land_used <= m.parks.land_total + added + 1e-6).all()
    assert (m.parks.land_free >= -1e-9).all()
    # switched-off levers leave no trace
    if not cfg.strategies.leader_led.enabled:
        assert rec.flows[:, F["signings_by_source.leader_trip"]].sum() == 0
        assert rec.flows[:, F["city_leader_trips"]].sum() == rec.flows[:, F["county_leader_trips"]].sum() == 0
    if not cfg.strategies.chain_based.enabled:
        assert rec.flows[:, F["signings_by_source.chain_group"]].sum() == 0
        assert rec.flows[:, F["signings_by_source.anchor_referral"]].sum() == 0
    if not cfg.strategies.commissioners.enabled:
        assert not a.b("served").any()


@SETTINGS
@given(cfg=scenarios())
def test_same_seed_same_results_and_one_lever_keeps_other_draws(cfg):
    a, b = ChainModel(cfg).run(), ChainModel(cfg).run()
    assert np.array_equal(a.recorder.flows, b.recorder.flows)
    assert np.array_equal(a.recorder.stages, b.recorder.stages)
    # flip one lever: the draws of unrelated decisions stay the same
    flipped = cfg.model_copy(
        update={
            "strategies": cfg.strategies.model_copy(
                update={
                    "commissioners": cfg.strategies.commissioners.model_copy(
                        update={"enabled": not cfg.strategies.commissioners.enabled}
                    )
                }
            )
        }
    )
    c = ChainModel(flipped)
    sa, sc = ({s.key: s for s in m.strategies} for m in (a, c))
    assert np.array_equal(sa["organic"].region, sc["organic"].region)
    assert np.array_equal(sa["chain_based"].plan.u, sc["chain_based"].plan.u)
    for name in ("chain", "segment", "region", "value_yi", "anchor", "foreign"):
        assert np.array_equal(getattr(a.pool, name), getattr(c.pool, name))


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(cfg=scenarios(), reps=st.integers(1, 3))
def test_summary_timeseries_and_resolved_scenario_agree(tmp_path, cfg, reps):
    from chainsim.results.outputs import write_outputs

    results = run(cfg, replications=reps)
    summary = results.summary()
    out = tmp_path / f"o{abs(hash(json.dumps(summary, sort_keys=True))) % 10**9}"
    write_outputs(out, results, summary)
    table = pq.read_table(out / "timeseries.parquet").to_pandas()
    reported = table[~table["burn_in"]]
    for metric in ("signings", "funds_in_place_yi", "landed"):
        per_rep = reported.groupby("replicate")[metric].sum().to_numpy()
        assert np.isclose(summary["periods"]["all"][metric]["mean"], per_rep.mean(), rtol=1e-9, atol=1e-9)
    c = summary["cohorts"]["c"]
    for rate in ("landing_rate", "producing_rate"):
        if c[rate]["mean"] is not None:
            assert 0.0 <= c[rate]["ci95"][0] <= c[rate]["mean"] <= c[rate]["ci95"][1] <= 1.0
    assert c["landed"]["mean"] <= c["signed"]["mean"]
    for s in summary["periods"]["all"].values():
        if "mean" in s and s["mean"] is not None:
            assert s["ci95"][0] - 1e-9 <= s["mean"] <= s["ci95"][1] + 1e-9
    # the resolved scenario reproduces the run, and says what ran
    again = load(out / "scenario.resolved.yaml")
    assert again == cfg
    assert yaml.safe_load(resolved_yaml(cfg))["seed"] == cfg.seed
    assert json.loads((out / "summary.json").read_text())["config_hash"] == summary["config_hash"]

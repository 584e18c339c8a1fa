"""chainsim decompose: exact Shapley contributions over paired arms (issue 13, point 2)."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from chainsim import load
from chainsim.results.decompose import decompose, differing_fields, shapley
from paths import DEFAULT_SCENARIO

SMALL = [
    "population.pool_size=40000",
    "calendar.burn_in_steps=20",
    # a clearly restricted 2022, so the climate's sign below is the mechanism's, not whatever
    # the calibrated draw says about 2022 (its posterior spans 0.63–1.06 for progress)
    "climate.periods.restricted_2022.progress=0.7",
    "climate.periods.restricted_2022.engagement=0.8",
]
CF = [
    "climate.periods.reopened_2023.start=2099-01-01",  # climate: the 2022 climate holds
    "events.hk_promotion_2023.enabled=false",  # an event: counts for its lever (leader_led)
    "strategies.commissioners.reforms.land_and_build.active_until=2030-01-01",  # changes nothing
]


def test_shapley_is_exact_for_an_additive_game_and_sums_to_the_total():
    rng = np.random.default_rng(1)
    k, R = 3, 5
    effect = rng.normal(size=(k, R))
    masks = np.arange(1 << k)
    v = sum(((masks >> i) & 1)[:, None] * effect[i] for i in range(k)) + 7.0
    assert np.allclose(shapley(v, k), effect)
    v = v + ((masks & 3) == 3)[:, None] * 2.0  # an interaction of 0 and 1, split evenly
    phi = shapley(v, k)
    assert np.allclose(phi.sum(axis=0), v[-1] - v[0])
    assert np.allclose(phi[0] - effect[0], 1.0) and np.allclose(phi[2], effect[2])


def test_the_diff_ignores_names_and_seeds():
    a = load(DEFAULT_SCENARIO).model_dump()
    b = load(DEFAULT_SCENARIO, ["seed=5", "name=other", "organic.arrivals_per_step=3"]).model_dump()
    assert list(differing_fields(a, b)) == [("organic", "arrivals_per_step")]


@pytest.fixture(scope="module")
def small_decomposition():
    return decompose(
        load(DEFAULT_SCENARIO, SMALL), load(DEFAULT_SCENARIO, [*SMALL, *CF]), replications=3, seed=4
    )


def test_components_contributions_sum_to_the_difference(small_decomposition):
    d = small_decomposition
    assert list(d.components) == ["climate", "commissioners", "leader_led"]
    assert d.components["leader_led"] == ["events.hk_promotion_2023.enabled"]
    for m in ("funds_in_place_yi", "funds_in_place_growth_pct", "fdi_usd_yi", "signings"):
        parts = sum(d.row(m, c).contribution for c in d.components)
        assert parts == pytest.approx(d.row(m, "total").contribution, rel=1e-9, abs=1e-9), m
        assert d.row(m, "total").contribution == pytest.approx(
            d.means[m]["factual"] - d.means[m]["counterfactual"]
        )
        # a change that changes nothing contributes exactly nothing (common random numbers)
        r = d.row(m, "commissioners")
        assert r.contribution == 0 and r.ci95_low == 0 and r.ci95_high == 0, r
    assert d.row("signings", "leader_led").ci95_low > 0  # the HK promotion signs projects
    assert d.row("funds_in_place_yi", "climate").contribution > 0  # the reopening speeds projects up
    assert d.row("signings", "climate").label_zh == "签约项目" and d.row("signings", "climate").component_zh


def test_the_command_writes_json_csv_and_a_marker(tmp_path, capsys):
    from chainsim.cli import main

    out = tmp_path / "dec"
    cf = tmp_path / "cf.yaml"
    cf.write_text(
        f"extends: {DEFAULT_SCENARIO}\nclimate:\n  periods:\n    reopened_2023: {{start: 2099-01-01}}\n"
    )
    args = ["decompose", str(DEFAULT_SCENARIO), str(cf), "-r", "2", "--out", str(out)]
    assert main([*args, *[f"--set={s}" for s in SMALL]]) == 0
    printed = capsys.readouterr().out
    assert "营商环境" in printed and "business climate" in printed
    data = json.loads((out / "decompose.json").read_text(encoding="utf-8"))
    assert data["components"] == {"climate": ["climate.periods.reopened_2023.start"]}
    rows = list(csv.DictReader(io.StringIO((out / "decompose.csv").read_text(encoding="utf-8"))))
    assert len(rows) == len(data["rows"]) == 4 * 2
    marker = json.loads((out / ".chainsim-output.json").read_text(encoding="utf-8"))
    assert marker["command"] == "decompose" and "decompose.csv" in marker["files"]
    assert (out / "decompose.png").stat().st_size > 0


def test_a_period_the_scenarios_lack_is_bad_input(tmp_path, capsys):
    from chainsim.cli import main

    code = main(["decompose", str(DEFAULT_SCENARIO), str(DEFAULT_SCENARIO), "--period", "2031H1", "-r", "1",
                 *[f"--set={s}" for s in SMALL]])  # fmt: skip
    assert code == 2 and "2031H1" in capsys.readouterr().err

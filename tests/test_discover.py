"""Scenario discovery (``chainsim discover``, PRIM): a box planted in synthetic data is
found; on a real sweep the box of "few signings" restricts the signing hazard, not a
factor the outcome cannot depend on; bad input gets exit 2 and nothing written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from chainsim.cli import main
from chainsim.sweep.discover import find_boxes
from paths import DEFAULT_SCENARIO

SIGNINGS = "periods.2023H1.signings"


def test_prim_finds_a_planted_box():
    rng = np.random.default_rng(3)
    n = 600
    x = pd.DataFrame(
        {
            "a": rng.random(n),
            "b": rng.random(n),
            "noise": rng.random(n),
            "switch": pd.Categorical(rng.choice(["on", "off"], n)),
        }
    )
    planted = (x["a"] > 0.6) & (x["b"] < 0.3)
    hit = planted.to_numpy() | (rng.random(n) < 0.03)  # 3 % of runs of interest outside the box
    trajectory, chosen = find_boxes(x, hit, min_coverage=0.6)
    assert chosen is not None and len(trajectory) > 1
    assert set(chosen.limits) == {"a", "b"}  # neither the noise nor the switch is restricted
    assert chosen.limits["a"][0] == pytest.approx(0.6, abs=0.05)
    assert chosen.limits["b"][1] == pytest.approx(0.3, abs=0.05)
    assert chosen.density > 0.9 and chosen.coverage >= 0.6
    # coverage only falls and density (broadly) rises along the peeling
    cov = [b.coverage for b in trajectory]
    assert all(x >= y - 1e-12 for x, y in zip(cov, cov[1:]))
    assert trajectory[-1].density > trajectory[0].density


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("discover")
    spec = {
        "name": "discover_test",
        "base": str(DEFAULT_SCENARIO),
        "set": ["population.pool_size=20000", "calendar.burn_in_steps=10"],
        "seed": 11,
        "replications": 1,
        "factors": {
            "sign_prob": {
                "kind": "uncertainty",
                "key": "pipeline.sign_prob_per_step",
                "range": [0.005, 0.05],
            },
            "grid_need": {"kind": "uncertainty", "key": "location.mw_per_yi_industrial", "range": [0.4, 1.2]},
        },
        "design": {"method": "latin_hypercube", "samples": 40},
        "outcomes": [SIGNINGS],
    }
    path = where / "sweep.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    out = where / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    return out


@pytest.mark.slow
def test_discover_on_a_sweep_restricts_the_factor_that_matters(swept: Path, capsys):
    import pyarrow.parquet as pq  # noqa: F401  (the sweep's results are Parquet)

    from chainsim.sweep import read_results

    y = read_results(swept).to_pandas()[SIGNINGS]
    threshold = float(np.quantile(y, 0.3))
    assert main(["discover", str(swept), "--outcome", SIGNINGS, "--below", f"{threshold}"]) == 0
    printed = capsys.readouterr().out
    assert "box (coverage" in printed and "sign_prob" in printed and "grid_need" not in printed
    dest = next((swept / "discovery").iterdir())
    assert {p.name for p in dest.iterdir()} == {"report.md", "trajectory.csv", "tradeoff.png"}
    report = (dest / "report.md").read_text(encoding="utf-8")
    assert "情景发现" in report and "`sign_prob`" in report
    table = pd.read_csv(dest / "trajectory.csv")
    chosen = table[table["chosen"] == 1]
    assert set(chosen["factor"]) == {"sign_prob"}
    assert chosen["high"].iloc[0] < 0.05  # few signings: a low signing hazard


@pytest.mark.slow
def test_discover_bad_input_exit_2_nothing_written(swept: Path, capsys):
    args = ["discover", str(swept), "--outcome", SIGNINGS]
    before = sorted((swept / "discovery").rglob("*")) if (swept / "discovery").exists() else []
    assert main([*args, "--below", "-5"]) == 2
    assert "choose a threshold inside that range" in capsys.readouterr().err
    assert main(["discover", str(swept), "--outcome", "periods.2023H1.nothing", "--above", "1"]) == 2
    assert "is not in this sweep" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main([*args, "--below", "1", "--above", "2"])
    assert exc.value.code == 2
    after = sorted((swept / "discovery").rglob("*")) if (swept / "discovery").exists() else []
    assert after == before  # nothing written

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
from test_fonts import no_system_fonts  # noqa: F401  (fixture: matplotlib without system fonts)

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
def test_discover_on_a_sweep_restricts_the_factor_that_matters(swept: Path, capsys, no_system_fonts):  # noqa: F811
    import warnings

    import pyarrow.parquet as pq  # noqa: F401  (the sweep's results are Parquet)

    from chainsim.sweep import read_results

    y = read_results(swept).to_pandas()[SIGNINGS]
    threshold = float(np.quantile(y, 0.3))
    with warnings.catch_warnings():  # no system font: a missing Chinese glyph would fail the plot
        warnings.simplefilter("error", UserWarning)
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


def test_the_tradeoff_plot_names_the_outcome_and_the_box_in_words():
    """The figure's title is the outcome's human name (not its summary.json path), and the
    reported box is written under it with the factors' names from the schema."""
    import matplotlib.pyplot as plt

    from chainsim.fonts import use_cjk
    from chainsim.sweep.discover import Discovery, figure
    from chainsim.vocabulary import outcome_label

    use_cjk()  # as plot() does: the Chinese drawn, where the project's font is installed

    rng = np.random.default_rng(5)
    x = pd.DataFrame({"sign_prob": rng.random(400) * 0.04 + 0.01, "other": rng.integers(5, 30, 400)})
    hit = ((x["sign_prob"] < 0.02) & (x["other"] < 20)).to_numpy()  # a whole-number factor too (it crashed)
    trajectory, chosen = find_boxes(x, hit, min_coverage=0.6)
    factors = {
        "sign_prob": {"kind": "uncertainty", "key": "pipeline.sign_prob_per_step"},
        "other": {"kind": "uncertainty", "key": "not.a.field"},
    }
    manifest = {"sweep": {"factors": factors}}
    d = Discovery(SIGNINGS, "< 200", 400, int(hit.sum()), trajectory, chosen, 0.6, manifest)
    fig = figure(d, zh=True)
    ax = fig.axes[0]
    assert ax.get_title() == f"{outcome_label(SIGNINGS)} < 200" and SIGNINGS not in ax.get_title()
    assert "签约项目" in ax.get_title() and ax.get_xlabel() == "coverage 覆盖率"
    caption = "\n".join(t.get_text() for t in fig.texts)
    assert caption.startswith("sign_prob (Signing probability per week · 洽谈→签约概率): 0.01")
    assert "\nother (not.a.field): 5 … 1" in caption  # a key the schema does not know names itself
    plt.close(fig)
    english = figure(d, zh=False)
    assert "签约" not in english.axes[0].get_title() and "洽谈" not in english.texts[0].get_text()
    plt.close(english)

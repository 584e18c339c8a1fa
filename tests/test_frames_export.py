"""Results for researchers: ``Results.to_pandas()`` / ``chainsim.to_pandas`` / ``plot`` for
one or several runs, and ``chainsim export DIR --to csv`` for run, sweep and calibration outputs."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

import chainsim
from chainsim.cli import main
from paths import CALIBRATION_DIR, DEFAULT_SCENARIO

SMALL = ["population.pool_size=20000", "calendar.burn_in_steps=10"]


@pytest.fixture(scope="module")
def two_runs():
    cfg = chainsim.load(DEFAULT_SCENARIO, SMALL)
    off = chainsim.load(DEFAULT_SCENARIO, [*SMALL, "strategies.leader_led.enabled=false"])
    return chainsim.run(cfg, replications=3), chainsim.run(off, replications=3)


def test_to_pandas_is_tidy_and_matches_the_summary(two_runs):
    a, _ = two_runs
    df = a.to_pandas()
    assert list(df.columns) == ["scenario", "replicate", "seed", "metric", "value"]
    assert sorted(df["replicate"].unique()) == [0, 1, 2]
    funds = df[df["metric"] == "periods.2023H1.funds_in_place_yi"]["value"]
    assert funds.mean() == pytest.approx(a.summary()["periods"]["2023H1"]["funds_in_place_yi"]["mean"])
    summary = a.to_pandas("summary")
    assert set(summary.columns) == {"scenario", "metric", "mean", "ci95_low", "ci95_high"}
    assert set(summary["metric"]) == set(df["metric"])
    ts = a.to_pandas("timeseries")
    assert len(ts) == 3 * len(a.date_end)


def test_several_results_side_by_side(two_runs):
    a, b = two_runs
    df = chainsim.to_pandas({"with leaders": a, "without": b})
    assert set(df["scenario"]) == {"with leaders", "without"}
    wide = (
        df[df["metric"] == "periods.2023H1.signings_by_source.leader_trip"]
        .groupby("scenario")["value"]
        .mean()
    )
    assert wide["without"] == 0 and wide["with leaders"] > 0
    # same scenario name twice: numbered, not merged
    assert set(chainsim.to_pandas([a, a])["scenario"]) == {f"{a.config.name} #1", f"{a.config.name} #2"}


def test_plot_draws_one_line_and_band_per_result(two_runs):
    a, b = two_runs
    fig = chainsim.plot({"with": a, "without": b}, "signings")
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2 and len(ax.collections) == 2
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0] == "2022Q1" and ticks[-1] == "2023Q3*"  # the run ends on 31 August
    with pytest.raises(ValueError, match="unknown metric"):
        a.plot("nonsense")


def test_export_a_run(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(
            [
                "run",
                str(DEFAULT_SCENARIO),
                "-r",
                "2",
                *sum((["--set", s] for s in SMALL), []),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert main(["export", str(out), "--bom"]) == 0
    raw = (out / "csv" / "summary.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese then
    table = pd.read_csv(out / "csv" / "summary.csv", encoding="utf-8-sig")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    row = table.set_index("metric").loc["periods.2023H1.funds_in_place_yi"]
    assert row["mean"] == pytest.approx(summary["periods"]["2023H1"]["funds_in_place_yi"]["mean"])
    ts = pd.read_csv(out / "csv" / "timeseries.csv")
    assert len(ts) == 2 * ts["step"].nunique()
    assert main(["export", str(out), "--dest", str(tmp_path / "plain")]) == 0
    assert not (tmp_path / "plain" / "summary.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_export_a_sweep(tmp_path):
    spec = {
        "name": "export_test",
        "base": str(DEFAULT_SCENARIO),
        "set": SMALL,
        "seed": 3,
        "replications": 2,
        "factors": {
            "slots": {
                "kind": "lever",
                "name_zh": "首席服务专员名额",
                "key": "strategies.commissioners.slots",
                "values": [0, 21],
            }
        },
        "design": {"method": "full_factorial"},
        "outcomes": ["periods.2023H1.signings"],
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    assert main(["export", str(out)]) == 0
    runs = pd.read_csv(out / "csv" / "runs.csv")
    assert len(runs) == 4 and {"run_id", "point", "replicate", "slots", "periods.2023H1.signings"} <= set(
        runs.columns
    )
    design = pd.read_csv(out / "csv" / "design.csv")
    assert sorted(design["slots"]) == [0, 21]


def test_export_a_calibration(tmp_path):
    """The committed out-of-sample calibration: draws long and without stamp lines, the
    waves' design points on the natural scale (log-scale priors undone), and where the
    config cannot be found the columns say they hold the sampling scale."""
    from chainsim.calibration.posterior import read_posterior

    src = CALIBRATION_DIR / "out_of_sample"
    name = "kunming_2023_no_f11"
    assert main(["export", str(src), "--dest", str(tmp_path / "csv")]) == 0
    draws, weights, info = read_posterior(src / f"{name}.posterior.csv")
    long = pd.read_csv(tmp_path / "csv" / f"{name}.posterior.csv")
    assert list(long.columns) == ["draw", "weight", "parameter", "value"]
    assert len(long) == len(weights) * len(draws)
    assert long.groupby("parameter")["weight"].sum().to_numpy() == pytest.approx(1.0)
    land = long[long["parameter"] == "land_days"].sort_values("draw")
    assert land["value"].to_numpy() == pytest.approx(draws["land_days"])
    about = pd.read_csv(tmp_path / "csv" / f"{name}.about.csv")
    assert (
        dict(zip(about["key"], about["value"].astype(str), strict=True))["targets_sha256"]
        == info["targets_sha256"]
    )

    points = pd.read_csv(tmp_path / "csv" / f"{name}.waves.csv")
    raw = pd.read_csv(src / f"{name}.waves" / "wave1.csv")
    first = points[points["wave"] == 1].reset_index(drop=True)
    assert sorted(points["wave"].unique()) == [1, 2, 3, 4]
    assert first["engage_prob"].to_numpy() == pytest.approx(
        10.0 ** raw["engage_prob"].to_numpy()
    )  # log prior
    assert first["realisation_share"].to_numpy() == pytest.approx(
        raw["realisation_share"].to_numpy()
    )  # linear
    assert np.all((first["engage_prob"] > 0) & (first["engage_prob"] < 1))

    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(src / f"{name}.posterior.csv", bare)
    shutil.copytree(src / f"{name}.waves", bare / f"{name}.waves")
    assert main(["export", str(bare)]) == 0
    cols = pd.read_csv(bare / "csv" / f"{name}.waves.csv", nrows=1).columns
    assert "engage_prob (sampling scale)" in cols and "engage_prob" not in cols


def test_export_bad_input(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["export", str(tmp_path / "empty")]) == 2
    assert "not a chainsim output directory" in capsys.readouterr().err
    assert not (tmp_path / "empty" / "csv").exists()
    (tmp_path / "cmp").mkdir()
    (tmp_path / "cmp" / "compare.csv").write_text("x\n")
    assert main(["export", str(tmp_path / "cmp")]) == 2
    assert "already CSV" in capsys.readouterr().err

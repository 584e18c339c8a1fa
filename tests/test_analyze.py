"""Tests of ``chainsim analyze DIR`` (chainsim.sweep.analyze) on a real, small Saltelli sweep:
a strong parameter (the negotiating → signed hazard) against one the signings outcome cannot
depend on (grid demand per 亿元: no park reaches its grid capacity in 2023 H1 here, so the runs
are identical whatever its value), then bad input (missing directory, not a sweep, an
unfinished sweep) with nothing written.
"""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from chainsim.cli import main
from chainsim.sweep import read_results
from chainsim.sweep.analyze import noise_share
from paths import BASE_FRAGMENT
from test_fonts import no_system_fonts  # noqa: F401  (fixture: matplotlib without system fonts)

SIGNINGS, FUNDS = "periods.2023H1.signings", "periods.2023H1.funds_in_place_yi"
SWEEP = {
    "name": "analyze_test",
    "base": str(BASE_FRAGMENT),  # the uncalibrated base: a recalibration does not move the test
    "set": ["population.pool_size=20000", "calendar.burn_in_steps=10"],
    "seed": 5,
    "replications": 2,
    "factors": {
        "sign_prob": {
            "kind": "uncertainty",
            "name_zh": "洽谈→签约概率",
            "key": "pipeline.sign_prob_per_step",
            "range": [0.002, 0.08],
        },
        "grid_need": {
            "kind": "uncertainty",
            "name_zh": "单位投资用电",
            "key": "location.mw_per_yi_industrial",
            "range": [0.4, 1.2],
        },
    },
    "design": {"method": "saltelli", "samples": 16},  # 16 × (2 + 2) points × 2 replicates = 128 runs, ~15 s
    "outcomes": [SIGNINGS, FUNDS],
}


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("analyze")
    sweep_file = where / "sweep.yaml"
    sweep_file.write_text(yaml.safe_dump(SWEEP, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = where / "out"
    assert main(["sweep", str(sweep_file), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    return out


def indices(out: Path) -> dict[tuple[str, str], dict[str, float]]:
    """indices.csv (long: one row per outcome, factor and index) as (outcome, factor) →
    {index: value, index_low: …, index_high: …, rank: …, noise_share: …}."""
    table: dict[tuple[str, str], dict[str, float]] = {}
    with (out / "analysis" / "indices.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            row = table.setdefault((r["outcome"], r["factor"]), {})
            row[r["index"]], row[r["index"] + "_low"], row[r["index"] + "_high"] = (
                float(r["value"]),
                float(r["low"]),
                float(r["high"]),
            )
            row["rank"], row["noise_share"] = float(r["rank"]), float(r["noise_share"] or "nan")
    return table


def sweep_of(where: Path, design: dict, replications: int = 1) -> Path:
    spec = {**SWEEP, "design": design, "replications": replications}
    sweep_file = where / "sweep.yaml"
    sweep_file.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = where / "out"
    assert main(["sweep", str(sweep_file), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    return out


def test_analyze_saltelli_sweep(swept: Path) -> None:
    assert main(["analyze", str(swept)]) == 0
    dest = swept / "analysis"
    assert {p.name for p in dest.iterdir()} == {
        "report.md",
        "indices.csv",
        "periods_2023H1_signings.png",
        "periods_2023H1_funds_in_place_yi.png",
    }
    assert all(p.stat().st_size > 10_000 for p in dest.glob("*.png"))
    idx = indices(swept)
    assert len(idx) == 4 and all(math.isfinite(v) for row in idx.values() for v in row.values())
    assert {idx[o, "sign_prob"]["rank"] for o in (SIGNINGS, FUNDS)} == {1.0}
    for outcome in (SIGNINGS, FUNDS):
        strong, dummy = idx[outcome, "sign_prob"], idx[outcome, "grid_need"]
        # the irrelevant factor: ST near 0, its interval containing 0
        assert abs(dummy["ST"]) < 0.05 and dummy["ST_low"] <= 1e-9 <= dummy["ST_high"] + 0.05
        # the strong one: clearly larger, its interval well clear of the dummy's
        assert strong["ST"] > 0.5 and strong["ST_low"] > dummy["ST_high"] + 0.2
        assert strong["S1_low"] <= strong["S1"] <= strong["S1_high"]
    # the replicate-noise share, recomputed from the raw runs: within-point / total variance
    runs = read_results(swept).to_pandas()
    for outcome in (SIGNINGS, FUNDS):
        y = runs[outcome].to_numpy(float)
        within = np.mean([np.var(g) for _, g in runs.groupby("point")[outcome]])
        share = idx[outcome, "sign_prob"]["noise_share"]
        assert share == pytest.approx(within / np.var(y), rel=1e-5) and 0 <= share <= 1
        assert share == pytest.approx(noise_share(runs, outcome), rel=1e-5)
    report = (dest / "report.md").read_text(encoding="utf-8")
    assert "洽谈→签约概率" in report and "| `sign_prob`" in report and "replicate-noise share" in report
    assert "![periods.2023H1.signings](periods_2023H1_signings.png)" in report
    # N = 16 base rows: the report warns that this is too few to trust the intervals
    assert "Saltelli base size N = 16 is small" in report


def test_sobol_warns_when_its_numbers_cannot_be_trusted():
    """The warnings issue 16 asked for (a 16-point Saltelli sweep printed ST = 1.11 and S1
    intervals of [−0.42, 0.76] with 79 % replicate noise and said nothing): a small base
    size, an ST beyond [0, 1] by more than its interval, intervals wider than 0.5, and
    replicate noise above 30 % of the variance; none for a well-sampled function."""
    from chainsim.sweep.design import unit_sample
    from chainsim.sweep.importance import noise_warning, sobol

    x = unit_sample("saltelli", 2, 16, seed=5)
    noisy = sobol(x[:, 0] + np.random.default_rng(1).normal(0, 1, len(x)), ["a", "b"], 16, seed=5)
    assert any("the Saltelli base size N = 16 is small" in w for w in noisy.warnings)
    assert any("ST intervals wider than 0.5" in w for w in noisy.warnings)
    rng = np.random.default_rng(2)
    y = rng.normal(0, 1, (64, 4))  # A, AB_a, AB_b, B of 64 base rows
    y[:, 1] += 5 * rng.choice([-1, 1], 64)  # AB_a far from both A and B: ST_a far above 1
    impossible = sobol(y.ravel(), ["a", "b"], 64, seed=2)
    assert impossible.values["a"]["ST"][1] > 1
    assert any(
        w.startswith("estimates outside [0, 1] beyond their interval (a ST = ") for w in impossible.warnings
    )
    assert not any("base size" in w for w in impossible.warnings)
    assert noise_warning(
        0.79
    ) is not None and "replicate noise is 79% of the total variance" in noise_warning(0.79)
    assert noise_warning(0.2) is None and noise_warning(None) is None
    x = unit_sample("saltelli", 2, 256, seed=5)
    assert sobol(x[:, 0] + 0.5 * x[:, 1], ["a", "b"], 256, seed=5).warnings == []


def test_a_sample_too_small_for_delta_is_ranked_by_rank_correlation(capfd):
    """8 points (the README's small example) are too few for SALib to bin δ: instead of NaN
    for every factor, an arbitrary order and SALib's notices on stderr, the factors are
    ranked by |ρ| with a warning that says why."""
    from chainsim.sweep.importance import delta_and_rank

    rng = np.random.default_rng(4)
    x = rng.random((8, 3))
    y = 3 * x[:, 1] - x[:, 0] + 0.05 * rng.random(8)
    imp = delta_and_rank(x, y, ["a", "b", "c"], seed=1)
    assert imp.method == "rank" and imp.main == "rho" and imp.ranked()[0] == "b"
    assert all(set(row) == {"rho"} and math.isfinite(row["rho"][0]) for row in imp.values.values())
    assert any("8 design points are too few for Borgonovo's δ" in w for w in imp.warnings)
    assert capfd.readouterr().err == ""  # (δ on 40 points: the slow test below)


def test_factor_labels_come_from_the_schema_in_both_languages():
    """A factor's label: the schema field's title and the vocabulary's Chinese; a key the
    schema does not know (or a field without a title) is its own label."""
    from chainsim.sweep.labels import factor_label, key_label

    assert key_label("pipeline.engage_prob_per_step") == "Engagement probability per week · 接洽→洽谈概率"
    assert key_label("pipeline.engage_prob_per_step", zh=False) == "Engagement probability per week"
    assert (
        key_label("strategies.leader_led.trips.city_2023h1.trips")
        == "Leader trips [city_2023h1] · 领导外出招商次数"
    )
    for unknown in ("pipeline.engage_prob", "no.such.key", "calendar.step_days", "pipeline"):
        assert key_label(unknown) == unknown
    multiply = {"kind": "uncertainty", "multiply": "strategies.chain_based.groups.*.contacts_per_step"}
    assert (
        factor_label("scale", multiply)
        == "Sector-group contacts per week, multiplier · 招商组每周接洽企业数（倍数）"
    )
    levels = {"kind": "lever", "sets": {"off": [], "on": []}, "name_zh": "领导招商"}
    assert (
        factor_label("leaders", levels) == "leaders · 领导招商"
        and factor_label("leaders", levels, zh=False) == "leaders"
    )
    assert factor_label("x", {"kind": "lever", "key": "no.such.key"}) == "no.such.key"


def test_analysis_plots_name_factors_and_outcome(swept: Path, no_system_fonts) -> None:  # noqa: F811
    """The figures' axes carry the human names (English, then Chinese on a second line), not
    the dotted keys; the factor's name in the sweep file heads its panel with its index; and
    with no system font the Chinese is drawn by the project's font (no missing glyph)."""
    import warnings

    import matplotlib.pyplot as plt

    from chainsim.fonts import use_cjk
    from chainsim.sweep.analyze import analyze, figure
    from chainsim.vocabulary import outcome_term

    use_cjk()  # as plot() does
    manifest, runs, design, results = analyze(swept)
    factors = manifest["sweep"]["factors"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" fails the test
        fig = figure(results[0], runs, design, factors, zh=True)
        fig.canvas.draw()
    sign, grid = fig.axes[0], fig.axes[1]
    assert sign.get_xlabel() == "Signing probability per week\n洽谈→签约概率"
    assert grid.get_xlabel().startswith("Grid demand per 亿元 of industry (MW)\n单位工业投资用电")
    assert sign.get_title().startswith("sign_prob · ST = ")
    term = outcome_term(SIGNINGS)
    assert (
        sign.get_ylabel() == f"{term.text('en', unit=True)}\n{term.zh}"
        and "periods." not in sign.get_ylabel()
    )
    plt.close(fig)
    english = figure(results[0], runs, design, factors, zh=False)
    assert english.axes[0].get_xlabel() == "Signing probability per week"
    plt.close(english)


@pytest.mark.slow
def test_analyze_ranks_a_dummy_factor_last_on_a_latin_hypercube(tmp_path: Path, capsys) -> None:
    out = sweep_of(tmp_path, {"method": "latin_hypercube", "samples": 40})
    assert main(["analyze", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"{SIGNINGS}: sign_prob (δ" in printed  # the ranking, on the terminal
    idx = indices(out)
    for outcome in (SIGNINGS, FUNDS):
        strong, dummy = idx[outcome, "sign_prob"], idx[outcome, "grid_need"]
        assert strong["rank"] == 1 and dummy["rank"] == 2
        assert strong["delta"] > dummy["delta"] + 0.1
        assert strong["rho"] > 0.8 and dummy["rho_low"] < 0 < dummy["rho_high"]
    report = (out / "analysis" / "report.md").read_text(encoding="utf-8")
    assert "Borgonovo" in report and "| 1 | `sign_prob`" in report
    # the irrelevant factor is flagged as indistinguishable from a random dummy; the strong one is not
    assert "δ of grid_need is not above that of a random dummy factor" in report
    assert "δ of sign_prob" not in report and "δ of sign_prob, " not in report


@pytest.mark.slow
def test_morris_design_and_screening(tmp_path: Path) -> None:
    out = sweep_of(tmp_path, {"method": "morris", "samples": 8})
    runs = read_results(out).to_pandas()
    assert runs["point"].nunique() == 8 * (2 + 1)  # r trajectories of k + 1 points
    grid = sorted(runs["sign_prob"].unique())
    assert len(grid) == 4 and grid[0] == pytest.approx(0.002) and grid[-1] == pytest.approx(0.08)
    assert main(["analyze", str(out)]) == 0
    idx = indices(out)
    for outcome in (SIGNINGS, FUNDS):
        strong, dummy = idx[outcome, "sign_prob"], idx[outcome, "grid_need"]
        assert dummy["mu_star"] == pytest.approx(0.0, abs=1e-9)  # identical runs: no effect at all
        assert strong["mu_star"] > 0 and strong["rank"] == 1
    # 8 trajectories are fewer than Morris screening needs to settle: said, not hidden
    assert "8 Morris trajectories are few" in (out / "analysis" / "report.md").read_text(encoding="utf-8")


def test_morris_needs_an_even_grid(tmp_path: Path, capsys) -> None:
    spec = {**SWEEP, "design": {"method": "morris", "samples": 4, "levels": 5}}
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    assert main(["sweep", str(sweep_file), "--out", str(tmp_path / "o"), "--dry-run"]) == 2
    assert "even number of levels" in capsys.readouterr().err


def test_bad_input_exit_2_nothing_written(swept: Path, tmp_path: Path, capsys) -> None:
    assert main(["analyze", str(tmp_path / "nowhere")]) == 2
    assert "no such directory" in capsys.readouterr().err
    not_sweep = tmp_path / "not_sweep"
    not_sweep.mkdir()
    (not_sweep / "manifest.json").write_text('{"hello": 1}', encoding="utf-8")
    assert main(["analyze", str(not_sweep)]) == 2
    assert "not a sweep result" in capsys.readouterr().err
    assert not (not_sweep / "analysis").exists()
    # an unfinished sweep: one results file gone
    partial = tmp_path / "partial"
    shutil.copytree(swept, partial, ignore=shutil.ignore_patterns("analysis", ".lock"))
    parts = sorted((partial / "runs").glob("part-*.parquet"))
    assert len(parts) >= 2
    parts[-1].unlink()
    assert main(["analyze", str(partial)]) == 2
    err = capsys.readouterr().err
    assert "incomplete sweep" in err and "/128 runs done" in err
    assert not (partial / "analysis").exists()

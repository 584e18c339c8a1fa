"""Tests of the strategy-comparison experiments: posterior draws in sweeps, ``chainsim
experiment`` and ``chainsim report`` (chainsim.report).

Everything runs for real: the model, the calibration's posterior file as it is on disk,
local process pools and (marked slow) a Dask LocalCluster. The experiment is the committed
one (experiments/strategy_comparison.yaml and its together_with files), shrunk by the test:
a 5,000-firm pool and a short burn-in through ``set:``, 2 posterior draws × 2 replicates,
fewer dose levels and mixes (≈ 30 s; the tests that use it are marked slow). The scenarios
and the calibration files are copied once per module, because a recalibration may rewrite
them while the tests run.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from chainsim.calibration.posterior import read_posterior, resample, run_with_posterior
from chainsim.cli import main
from chainsim.report.stats import decompose, paired, unpaired
from chainsim.sweep import load_sweep, read_results
from chainsim.sweep.design import design_points, n_points
from chainsim.sweep.seeds import model_seed, run_seed
from paths import CALIBRATION_DIR, EXPERIMENTS_DIR, SCENARIOS_DIR

TINY = [
    "population.pool_size=5000",
    "calendar.burn_in_steps=10",
    "calendar.end_date=2024-06-30",
    "reporting.cohorts.2023.as_of=2024-06-30",
    "reporting.cohorts.2023_ge_10yi.as_of=2024-06-30",
    # periods must end inside the shortened calendar: cut them, drop the one after it
    "reporting.periods.2024.end=2024-06-30",
    "reporting.periods.2023_2025.end=2024-06-30",
    "reporting.periods.2025=null",
]
# before the levers change: 2022H1, since an arm without chain promotion also drops the
# flower promotion of 16 March 2023, whose 90-day outreach starts in mid-December 2022 (its
# invitations change which idle firms other channels draw in the last weeks of 2022)
HISTORY = ["periods.2022H1.signings", "periods.2022H1.funds_in_place_yi"]


@pytest.fixture(scope="module")
def snap(tmp_path_factory) -> Path:
    """A copy of scenarios/, the calibration files and the experiments' base scenario."""
    root = tmp_path_factory.mktemp("snapshot")
    shutil.copytree(SCENARIOS_DIR, root / "scenarios")
    (root / "calibration").mkdir()
    for p in CALIBRATION_DIR.iterdir():
        if p.is_dir() and p.name in ("priors", "targets"):
            shutil.copytree(p, root / "calibration" / p.name)
        elif p.suffix in (".yaml", ".csv"):
            shutil.copy2(p, root / "calibration" / p.name)
    shutil.copytree(EXPERIMENTS_DIR / "strategy_comparison", root / "experiments" / "strategy_comparison")
    return root


def tiny_files(where: Path, snap: Path, draws: int = 2, replications: int = 2) -> Path:
    """The committed experiment set, shrunk, written into ``where``; returns the factorial file."""
    docs = {
        n: yaml.safe_load((EXPERIMENTS_DIR / f"{n}.yaml").read_text(encoding="utf-8"))
        for n in ("strategy_comparison", "strategy_dose_response", "strategy_tradeoff")
    }
    for d in docs.values():
        d.update(
            base=str(snap / "experiments" / "strategy_comparison" / "base_2023_2025.yaml"),
            set=TINY,
            replications=replications,
        )
        d["posterior"]["draws"] = draws
        d["outcomes"] = [*(o for o in d["outcomes"] if not o.startswith("periods.2025.")), *HISTORY]
    docs["strategy_comparison"]["experiment"]["together_with"] = ["tiny_dose.yaml", "tiny_tradeoff.yaml"]
    f = docs["strategy_dose_response"]["factors"]
    f["leader_trips"]["values"], f["chain_effort"]["values"] = [0, 1], [1, 2]
    f["targeting_precision"]["values"], f["commissioner_slots"]["values"] = [0.6], [21, 60]
    f["missing_docs"]["values"], f["full_agency"]["values"] = ["on"], ["on"]
    table = docs["strategy_tradeoff"]["design"]["table"]
    docs["strategy_tradeoff"]["design"]["table"] = [table[0], table[3], table[6]]
    names = {
        "strategy_comparison": "tiny_factorial.yaml",
        "strategy_dose_response": "tiny_dose.yaml",
        "strategy_tradeoff": "tiny_tradeoff.yaml",
    }
    for n, d in docs.items():
        (where / names[n]).write_text(
            yaml.safe_dump(d, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    return where / "tiny_factorial.yaml"


@pytest.fixture(scope="module")
def experiment(tmp_path_factory, snap):
    """The shrunk experiment, run once with `chainsim experiment` (local, 2 workers)."""
    where = tmp_path_factory.mktemp("exp")
    factorial = tiny_files(where, snap)
    out = where / "out"
    assert main(["experiment", str(factorial), "--out", str(out), "--workers", "2", "--no-progress"]) == 0
    return factorial, out


def arm_runs(out: Path, name: str = "strategy_comparison"):
    return read_results(out / name).to_pandas()


# --------------------------------------------------------------------------- end to end
@pytest.mark.slow
def test_experiment_end_to_end(experiment, snap):
    factorial, out = experiment
    rec = json.loads((out / "experiment.json").read_text(encoding="utf-8"))
    assert rec["status"] == "complete" and [s["name"] for s in rec["sweeps"]] == [
        "strategy_comparison",
        "strategy_dose_response",
        "strategy_tradeoff",
    ]
    post = snap / "calibration" / "kunming_2023_next.posterior.csv"
    sha = hashlib.sha256(post.read_bytes()).hexdigest()
    assert rec["calibration"]["posterior_sha256"] == sha  # the file on disk now, read at run time
    report = (out / "report" / "report.md").read_text(encoding="utf-8")
    from chainsim import __version__

    for needle in (
        sha,
        f"chainsim {__version__}",
        str(factorial),
        "20230414",
        "Main effects 主效应",
        "Two-way interactions 两两交互",
        "parameter 95 %",
        "noise 95 %",
        "frontier.png",
        "funnels.png",
    ):
        assert needle in report, needle
    for png in (
        "main_effects",
        "interactions",
        "funnels",
        "frontier",
        "dose_periods_2023_2025_funds_in_place_yi",
    ):
        assert (out / "report" / f"{png}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # every effect of the report's tables, again at full precision in effects.csv
    import pandas as pd

    effects = pd.read_csv(out / "report" / "effects.csv")
    table_rows = [ln for ln in report.splitlines() if ln.startswith("| ") and "| **" in ln]
    assert len(effects) == len(table_rows) > 20
    assert set(effects["sweep"]) == {"strategy_comparison", "strategy_dose_response", "strategy_tradeoff"}
    first = effects.iloc[0]
    assert first["effect"] in table_rows[0] and first["outcome_zh"] and first["draws"] == 2
    assert first["noise_95_low"] <= first["mean"] <= first["noise_95_high"]
    runs = arm_runs(out)
    assert len(runs) == 8 * 2 * 2 and set(runs["draw"]) == {0, 1}
    # paired: (draw, replicate) has one seed in all 8 arms; draws and replicates differ
    seeds = runs.groupby(["draw", "replicate"])["seed"].nunique()
    assert (seeds == 1).all() and runs.groupby(["draw", "replicate"])["seed"].first().nunique() == 4
    s0 = model_seed(20230414, 0, 1)
    assert set(runs.loc[(runs.draw == 1) & (runs.replicate == 1), "seed"]) == {run_seed(s0, {"draw": 1})}
    # the history before the first 2023 event's outreach is the same in every arm
    for o in HISTORY:
        assert (runs.groupby(["draw", "replicate"])[o].nunique() == 1).all(), o
    # and the levers do act from 2023
    on = runs[(runs.leader_led == "on") & (runs.chain_based == "on") & (runs.commissioners == "on")]
    off = runs[(runs.leader_led == "off") & (runs.chain_based == "off") & (runs.commissioners == "off")]
    assert on["periods.2023_2025.signings"].sum() > off["periods.2023_2025.signings"].sum()


@pytest.mark.slow
def test_paired_interval_narrower_than_unpaired(experiment):
    """Common random numbers: the interval of a paired difference is narrower than the
    unpaired one computed from the same runs — for most strategy × outcome pairs, and in
    total. (Not for every pair: the replicates share one candidate pool, so the unpaired
    spread holds no pool variation, and where switching a strategy off sends the two arms'
    pipelines apart — chain-based promotion and signings — pairing gains little.)"""
    _, out = experiment
    runs = arm_runs(out)

    def arr(where: dict, o: str) -> np.ndarray:
        m = np.ones(len(runs), bool)
        for k, v in where.items():
            m &= (runs[k] == v).to_numpy()
        return runs[m].pivot(index="draw", columns="replicate", values=o).to_numpy(float)

    on = {"leader_led": "on", "chain_based": "on", "commissioners": "on"}
    widths = {}
    for strategy in on:
        for o in (
            "periods.2023_2025.funds_in_place_yi",
            "periods.2023_2025.signings",
            "periods.2023_2025.landed",
        ):
            y1, y0 = arr(on, o), arr({**on, strategy: "off"}, o)
            p, u = paired(y1, y0), unpaired(y1, y0)
            assert p.mean == pytest.approx(u.mean)
            # the stochastic-noise interval is the one common random numbers act on (the
            # parameter part rests on K = 2 draws here, too few to compare)
            lo, hi = p.interval("noise")
            ulo, uhi = u.interval("noise")
            assert 0 <= hi - lo
            widths[strategy, o] = (hi - lo, uhi - ulo)
    assert len(widths) == 9
    narrower = [k for k, (pw, uw) in widths.items() if pw < uw]
    assert len(narrower) >= 7, widths
    assert sum(pw for pw, _ in widths.values()) < 0.8 * sum(uw for _, uw in widths.values()), widths


@pytest.mark.slow
def test_report_is_reproducible(experiment, tmp_path):
    """Same command, same numbers: the report rewritten from the same runs is identical, and
    the factorial rerun by `chainsim sweep` into a new directory gives the same rows."""
    factorial, out = experiment
    first = (out / "report" / "report.md").read_bytes()
    assert main(["report", str(out)]) == 0
    assert (out / "report" / "report.md").read_bytes() == first
    assert (
        main(["sweep", str(factorial), "--out", str(tmp_path / "again"), "--workers", "2", "--no-progress"])
        == 0
    )
    cols = lambda t: (  # noqa: E731
        t.drop(columns=["wall_time_s", "cpu_time_s"]).sort_values("run_id").reset_index(drop=True)
    )  # noqa: E731
    a, b = cols(arm_runs(out)), cols(read_results(tmp_path / "again").to_pandas())
    assert a.equals(b)


@pytest.mark.slow
def test_rerun_resumes_and_refuses_another_posterior(experiment, snap, tmp_path):
    factorial, out = experiment
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    before = {p.name for p in (copy / "strategy_comparison" / "runs").iterdir()}
    assert main(["experiment", str(factorial), "--out", str(copy), "--no-report", "--no-progress"]) == 0
    assert {p.name for p in (copy / "strategy_comparison" / "runs").iterdir()} == before  # nothing ran again
    # more draws = a different sweep: refused before anything is written
    other = tiny_files(tmp_path, snap, draws=3)
    assert main(["experiment", str(other), "--out", str(copy)]) == 2
    assert {p.name for p in (copy / "strategy_comparison" / "runs").iterdir()} == before


# --------------------------------------------------------------------------- pieces
def test_posterior_draws_are_those_of_posterior_draws_option(snap, tmp_path):
    """The sweep's K draws are the ones `chainsim run --posterior-draws K --seed SEED` picks."""
    sweep = load_sweep(tiny_files(tmp_path, snap, draws=3))
    assert sweep.posterior is not None and sweep.posterior.k == 3
    table, weights, _ = read_posterior(sweep.posterior.posterior)
    assert sweep.posterior.picks == [int(i) for i in resample(weights, 3, sweep.seed)]
    res = run_with_posterior(
        snap / "scenarios" / "kunming_2023.yaml", 3, 1, seed=sweep.seed, overrides=TINY[:2]
    )
    for name, values in res.parameters.items():
        assert [p[name] for p in sweep.posterior.parameters] == values
    points = design_points(sweep)
    assert len(points) == n_points(sweep) == 8 * 3
    assert [p["draw"] for p in points[:3]] == [0, 1, 2]
    # the draw's parameters are applied, the factor's setting on top
    first = points[0]["_set"]
    assert all(first[k] == v for k, v in sweep.posterior.settings[0].items())
    assert first["strategies.leader_led.active_until"] == "2022-12-31"


def test_dose_design_one_at_a_time_and_multiply(snap, tmp_path):
    tiny_files(tmp_path, snap)
    sweep = load_sweep(tmp_path / "tiny_dose.yaml")
    points = design_points(sweep)
    k = sweep.posterior.k
    base = [p for p in points[::k]]
    assert len(base) == 5 and base[0] == {**sweep.spec.design.reference, "draw": 0, "_set": base[0]["_set"]}
    zero_trips = next(p for p in base if p["leader_trips"] == 0)["_set"]
    assert zero_trips["strategies.leader_led.trips.city_2023h1.trips"] == 0
    assert "strategies.leader_led.trips.city_2022.trips" not in zero_trips  # 2022 is history: untouched
    double = next(p for p in points if p["chain_effort"] == 2 and p["draw"] == 1)["_set"]
    drawn = sweep.posterior.settings[1]["strategies.chain_based.groups.commerce.contacts_per_step"]
    assert double["strategies.chain_based.groups.commerce.contacts_per_step"] == pytest.approx(2 * drawn)


def test_stats_recover_parameter_and_noise_sd():
    """Synthetic draws × replicates with known σ_θ = 3 and σ_w = 2: the estimates land within
    a few standard errors (K = 400 draws)."""
    rng = np.random.default_rng(np.random.SeedSequence(5))
    theta = rng.normal(10, 3, (400, 1))
    y = theta + rng.normal(0, 2, (400, 8))
    e = decompose(y)
    assert e.mean == pytest.approx(10, abs=4 * 3 / math.sqrt(400))
    assert e.param_sd == pytest.approx(3, rel=0.15) and e.noise_sd == pytest.approx(2, rel=0.05)
    assert e.mc_se == pytest.approx(math.sqrt(9 + 4 / 8) / 20, rel=0.15)
    y[0, :] = np.nan  # a draw with no value drops out; a NaN run is skipped within its draw
    y[1, 0] = np.nan
    assert decompose(y).k == 399


def test_a_parameter_spread_within_noise_is_said_so_not_printed_as_a_point():
    """σ_θ's estimate is clipped at 0 when draws differ by no more than noise; the table says
    so instead of printing a degenerate interval [x, x] that reads as certainty."""
    from chainsim.report.tables import effect_row

    y = np.random.default_rng(3).normal(5.0, 2.0, (20, 10))  # no parameter effect at all
    e = decompose(y)
    assert e.param_sd == 0.0
    row = effect_row("x", e, "signings")
    assert "draws differ no more than noise" in row and "不超出随机波动" in row
    assert row.count("[") == 2  # the noise and total intervals, not a [x, x] for the parameter
    assert "draws differ" not in effect_row("x", decompose(y + np.arange(20)[:, None]), "signings")


def test_bad_experiment_files_exit_2(snap, tmp_path, capsys):
    factorial = tiny_files(tmp_path, snap)
    good = yaml.safe_load(factorial.read_text(encoding="utf-8"))
    cases = {
        "together_with": lambda d: d["experiment"].update(together_with=["nope.yaml"]),
        "sets": lambda d: d["factors"]["leader_led"].update(key="strategies.leader_led.enabled"),
        "draws": lambda d: d["posterior"].update(draws=0),
        "unknown": lambda d: d["factors"]["chain_based"]["sets"].update(
            off=["strategies.chain_based.active_untill=2022-12-31"]
        ),
        "experiment": lambda d: d.pop("experiment"),
        "role": lambda d: d["experiment"].update(role="dose_response"),
        "calibration": lambda d: d["posterior"].update(calibration="nope.yaml"),
        "posterior": lambda d: d.update(base=str(snap / "scenarios" / "_fragments" / "kunming_base.yaml")),
    }
    for field, change in cases.items():
        doc = json.loads(json.dumps(good))
        change(doc)
        bad = tmp_path / f"bad_{field}.yaml"
        bad.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
        out = tmp_path / f"out_{field}"
        status = main(["experiment", str(bad), "--out", str(out)])
        err = capsys.readouterr().err
        assert status == 2, field
        assert str(bad) in err and field in err and "Traceback" not in err, (field, err)
        assert not out.exists(), field
    assert main(["report", str(tmp_path / "out_draws")]) == 2


@pytest.mark.slow
def test_dask_gives_the_same_results(experiment, tmp_path):
    """The factorial on a Dask LocalCluster: the same rows as on local processes."""
    factorial, out = experiment
    doc = yaml.safe_load(factorial.read_text(encoding="utf-8"))
    doc["experiment"]["together_with"] = []
    alone = tmp_path / "factorial_alone.yaml"
    alone.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert (
        main(
            [
                "experiment",
                str(alone),
                "--out",
                str(tmp_path / "dask"),
                "--backend",
                "dask",
                "--workers",
                "2",
                "--no-progress",
            ]
        )
        == 0
    )
    cols = lambda t: (  # noqa: E731
        t.drop(columns=["wall_time_s", "cpu_time_s"]).sort_values("run_id").reset_index(drop=True)
    )  # noqa: E731
    assert cols(arm_runs(out)).equals(
        cols(read_results(tmp_path / "dask" / "strategy_comparison").to_pandas())
    )
    design = pq.read_table(tmp_path / "dask" / "strategy_comparison" / "design.parquet").to_pandas()
    assert list(design.columns) == ["point", "leader_led", "chain_based", "commissioners", "draw"]


@pytest.mark.slow
def test_report_describes_a_design_without_posterior_as_it_was_run(snap, tmp_path):
    """A user's own factorial: two strategies, no posterior, arms switched off in 2024, no
    Chinese title. The report must not claim posterior draws, a third strategy, parameter
    intervals (in the tables, the how-to-read, the assumptions or the figures' legends) or
    '± 0', say 'off from 1 January 2023', or leave a dangling ' · ' in the title (issue 16)."""
    factorial = tiny_files(tmp_path, snap)
    doc = yaml.safe_load(factorial.read_text(encoding="utf-8"))
    del doc["posterior"]
    doc["factors"].pop(list(doc["factors"])[2])
    doc["experiment"]["together_with"] = []
    doc["experiment"]["title_zh"] = ""
    for f in doc["factors"].values():
        f["sets"]["off"] = [s.replace("2022-12-31", "2023-12-31") for s in f["sets"]["off"]]
    factorial.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["experiment", str(factorial), "--out", str(out), "--workers", "2", "--no-progress"]) == 0
    report = (out / "report" / "report.md").read_text(encoding="utf-8")
    start = report.index("## What each strategy buys")
    section = report[start : report.index("\n## ", start + 1)]  # up to the assumptions (the file's own words)
    assert "off from 1 January 2024" in section and "1 January 2023" not in section
    assert "posterior draws ×" not in section and "no posterior draws" in section
    assert "the same posterior draws" not in report
    assert "parameter 95 %" not in section.split("###")[2]  # the main-effects table: no parameter column
    # the Monte Carlo error is that of the mean of R replicates, not 0 for want of draws
    noisy = [line for line in section.splitlines() if line.startswith("| leader-led")]
    assert noisy and "±0 |" not in noisy[0]  # signings: a noisy effect
    assert f"## {doc['experiment']['title']}\n" in report
    import csv

    with (out / "report" / "effects.csv").open(encoding="utf-8") as f:
        effects = list(csv.DictReader(f))
    assert effects and {r["parameter_95_low"] for r in effects} == {""}  # no parameter interval
    assert all(r["noise_95_low"] and r["draws"] == "0" for r in effects)
    assert "off from 2023" not in section and "Both strategies on" in section
    assert "switched off (off from 1 January 2024)" in section
    assert "the third" not in section and "averaged over" not in section.split("###")[3]
    for claim in ("parameter 95 %", "σ_θ", "s_b/√K", "spread into the parameter intervals"):
        assert claim not in report, claim
    assert (
        "s/√R over the R replicates" in report and "no interval here includes parameter uncertainty" in report
    )


def test_figure_legends_name_only_the_bands_drawn(tmp_path, monkeypatch):
    """Without posterior draws the forest and dose figures draw the noise band alone, and
    their legends say so (no 'parameter uncertainty' entry for a band that is not there)."""
    import math

    from chainsim.report import figures
    from chainsim.report.stats import Effect

    saved = []
    monkeypatch.setattr(figures, "_save", lambda fig, path: saved.append(fig))
    figures.setup()
    with_draws, without = Effect(1.0, 0.5, 0.3, 0.1, 20, 5), Effect(1.0, math.nan, 0.3, 0.1, 1, 5)
    figures.forest([("funds", [("leaders", with_draws)])], "t", tmp_path / "a.png")
    figures.forest([("funds", [("leaders", without)])], "t", tmp_path / "b.png", draws=False)
    panel = {"title": "x", "x": [0, 1], "effects": [without, without], "reference": 1}
    figures.dose([panel], "t", "change", tmp_path / "c.png", draws=False)
    legends = [[t.get_text() for t in fig.legends[0].get_texts()] for fig in saved]
    assert any("parameter uncertainty" in t for t in legends[0]) and len(legends[0]) == 2
    for texts in legends[1:]:
        assert len(texts) == 1 and "noise 95 %" in texts[0] and "parameter uncertainty" not in texts[0]


def test_a_share_level_interval_stays_within_zero_and_one():
    """A landing rate near 100 % with a wide spread over draws: mean ± 1.96 σ passes 100 %
    (the experiment report once printed [83.7 %, 102.3 %]); the logit-scale interval does not,
    and it still covers the draws' middle."""
    from chainsim.report.stats import decompose, share_interval

    rng = np.random.default_rng(1)
    draw_means = np.clip(rng.normal(0.95, 0.05, size=(20, 1)), 0, 0.9999)
    y = np.clip(draw_means + rng.normal(0, 0.01, size=(20, 5)), 0, 1)
    assert decompose(y).interval("param")[1] > 1.0  # the normal interval on the share overshoots
    lo, hi = share_interval(y, "param")
    assert 0.0 < lo < np.median(y) < hi < 1.0

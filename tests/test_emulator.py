"""Tests of the emulator calibration (chainsim.calibration: ensemble, emulator, likelihood,
waves, recovery) and of the prior forms it added (balance, a chain's null size).

Quick: the prior forms on the real base scenario; an emulator on a known function; the
likelihood's maximum at the truth. Slow: a tiny calibration end to end through the CLI,
resumed after losing points, and the recovery check's small version (CI's ≤ 5 min one).
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from chainsim.calibration.config import load_calibration
from chainsim.calibration.emulator import Transform, fit_all
from chainsim.calibration.likelihood import EmulatedLikelihood
from chainsim.calibration.params import ParameterSpace
from chainsim.calibration.schema import Target
from chainsim.cli import main
from paths import BASE_FRAGMENT, CALIBRATION_DIR

PRIORS = """fixed_note: a test subset of the Kunming priors
parameters:
  engage_prob: {path: pipeline.engage_prob_per_step, low: 0.01, high: 0.2, scale: log, reason: test}
  realisation_share: {path: pipeline.realisation_share, low: 0.1, high: 0.6, reason: test}
  hk_outreach: {path: events.hk_promotion_2023.outreach_contacts, low: 20, high: 400, scale: log, reason: test}
  construction_days: {path: pipeline.construction_days, low: 100, high: 450, scale: log, reason: test}
"""

CONFIG = """name: tiny
base_scenario: {base}
targets: {targets}
priors: {priors}
fixed: [population.pool_size=20000, calendar.burn_in_steps=10]
method: emulator
waves: {waves}
wave_points: {points}
replicates_per_particle: 2
smc_particles: 300
smc_moves: 20
smc_runs: 2
mcmc_walkers: 16
mcmc_steps: 2000
seed: 7
workers: 2
predictive_draws: 4
check_replications: 2
central_candidates: 3
central_replicates: 2
central_finalists: 2
central_final_replicates: 2
"""


def tiny(tmp, waves=2, points=60, priors=None, extra=""):
    p = tmp / "priors.yaml"
    p.write_text(priors or PRIORS, encoding="utf-8")
    cfg = tmp / "tiny.yaml"
    cfg.write_text(
        CONFIG.format(
            base=BASE_FRAGMENT,
            targets=CALIBRATION_DIR / "targets" / "kunming_2023.yaml",
            priors=p,
            waves=waves,
            points=points,
        )
        + extra,
        encoding="utf-8",
    )
    return cfg


# --------------------------------------------------------------------------- prior forms
FORMS = """fixed_note: the two prior forms of issue 14
parameters:
  registration_share:
    path: pipeline.funds_at_registration_share
    balance: [pipeline.funds_at_land_share, pipeline.funds_construction_share, pipeline.funds_at_production_share]
    low: 0.05
    high: 0.3
    reason: test
  size_median_industrial:
    path: [chains.green_food.project_size.median_yi, chains.new_materials.project_size.median_yi]
    low: 0.05
    high: 3.0
    scale: log
    reason: test
"""


def forms_space(tmp):
    cal = load_calibration(tiny(tmp, priors=FORMS))
    return cal, ParameterSpace(cal.priors, cal.base_data)


def mid(space):
    return {
        n: math.sqrt(p.low * p.high) if p.scale == "log" else (p.low + p.high) / 2
        for n, p in space.priors.items()
    }


def test_balance_prior_keeps_the_shares_summing_to_one(tmp_path):
    _, space = forms_space(tmp_path)
    for share in (0.05, 0.2, 0.3):
        a = space.assignments({**mid(space), "registration_share": share})
        funds = {k: v for k, v in a.items() if k.startswith("pipeline.funds_")}
        assert funds["pipeline.funds_at_registration_share"] == share
        assert math.isclose(sum(funds.values()), 1.0, abs_tol=1e-12), funds
        # the partners keep their base proportions (0.15 : 0.55 : 0.15)
        assert math.isclose(
            funds["pipeline.funds_construction_share"] / funds["pipeline.funds_at_land_share"], 0.55 / 0.15
        )


def test_a_prior_sets_a_field_that_is_null_in_the_base(tmp_path):
    from chainsim.config.schema import Scenario

    _, space = forms_space(tmp_path)
    data = space.scenario_data({**mid(space), "size_median_industrial": 0.7})
    scen = Scenario.model_validate(data)
    assert scen.chains["green_food"].project_size.median_yi == 0.7
    assert scen.chains["flowers"].project_size is None  # a non-industrial chain keeps the population's


# --------------------------------------------------------------------------- emulator, likelihood
def test_emulator_learns_a_noisy_quadratic_and_knows_its_noise():
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(400, 3))
    truth = np.exp(1.0 + 0.5 * X[:, 0] - 0.3 * X[:, 1] ** 2)  # X[:, 2] is a dummy
    reps = 4
    one_rep_var = (0.2 * truth) ** 2
    mean = truth + rng.normal(size=len(X)) * np.sqrt(one_rep_var / reps)
    path = "periods.2023H1.funds_in_place_yi"
    ems = fit_all(X, {path: mean}, {path: one_rep_var}, {path: np.full(len(X), reps)})
    em = ems.paths[path]
    # out-of-fold error ≈ the noise of the design means: nothing left unexplained, noise not fitted
    assert em.loo_sd < 1.3 and em.loo_rmse < 1.3 * math.sqrt(em.noise_var)
    Xt = rng.uniform(-1, 1, size=(200, 3))
    m, v = ems.predict(Xt)[path]
    expected = np.exp(1.0 + 0.5 * Xt[:, 0] - 0.3 * Xt[:, 1] ** 2)
    assert np.max(np.abs(m / expected - 1)) < 0.08
    # the emulator's own variance is far below the noise of one design point's mean
    assert np.median(v) < 0.5 * np.median((0.2 * expected) ** 2 / reps)


def _lognormal_design(rng, X, reps, sigma_log):
    """R replicates per point of a heavy-ish (lognormal) amount with mean exp(1 + 0.5 x0):
    each point's replicate mean, one replicate's sample variance, and R."""
    truth = np.exp(1.0 + 0.5 * X[:, 0])
    draws = truth[:, None] * np.exp(sigma_log * rng.normal(size=(len(X), reps)) - sigma_log**2 / 2)
    return truth, draws.mean(axis=1), draws.var(axis=1, ddof=1), np.full(len(X), reps)


def test_emulator_predicts_the_expected_value_not_the_mean_of_logs():
    """Jensen: log of a 4-replicate mean sits ½ var/R below log E (−10 % here); the emulator
    corrects each point to second order, so it predicts E m, what a many-replicate mean meets."""
    rng = np.random.default_rng(4)
    X = rng.uniform(-1, 1, size=(500, 2))
    _, mean, var, n = _lognormal_design(rng, X, 4, 0.8)
    path = "periods.2023H1.fdi_usd_yi"
    ems = fit_all(X, {path: mean}, {path: var}, {path: n})
    Xt = rng.uniform(-0.8, 0.8, size=(200, 2))
    m, _ = ems.predict(Xt)[path]
    ratio = m / np.exp(1.0 + 0.5 * Xt[:, 0])
    assert abs(np.median(ratio) - 1) < 0.04, np.median(ratio)


def test_emulator_noise_is_per_point_so_quiet_points_keep_a_tight_emulator():
    """Noise 25 × larger on one half of the design: a shared white term would book it as
    the emulator's uncertainty everywhere; given per point, the quiet half stays tight."""
    rng = np.random.default_rng(6)
    X = rng.uniform(-1, 1, size=(600, 2))
    truth = np.exp(1.0 + 0.5 * X[:, 0])
    reps = 4
    one_rep_var = np.where(X[:, 1] > 0, (0.5 * truth) ** 2, (0.1 * truth) ** 2)
    mean = truth + rng.normal(size=len(X)) * np.sqrt(one_rep_var / reps)
    path = "periods.2023H1.funds_in_place_yi"
    ems = fit_all(X, {path: mean}, {path: one_rep_var}, {path: np.full(len(X), reps)})
    em = ems.paths[path]
    quiet = np.column_stack([rng.uniform(-0.8, 0.8, 100), rng.uniform(-0.8, -0.2, 100)])
    m, v = ems.predict(quiet)[path]
    # sd of the emulated log value: well below one quiet point's noise (0.05) and the white
    # term is not the noisy half's noise (0.0625 on the log scale)
    assert np.median(np.sqrt(v) / m) < 0.05 and em.white < 0.01, (np.median(np.sqrt(v) / m), em.white)
    assert np.max(np.abs(m / np.exp(1.0 + 0.5 * quiet[:, 0]) - 1)) < 0.06


def test_fast_gp_prediction_is_sklearns():
    rng = np.random.default_rng(3)
    X = rng.uniform(size=(120, 4))
    path = "periods.2023H1.funds_in_place_yi"
    mean = np.exp(1 + np.sin(4 * X[:, 0]) + X[:, 1])
    em = fit_all(X, {path: mean}, {path: np.full(120, 0.01)}, {path: np.full(120, 4)}).paths[path]
    Z = rng.uniform(size=(30, 4)) * em.weights
    m, sd = em.gp.predict(Z, return_std=True)
    fm, latent = em.gp_predict(Z)
    assert np.allclose(fm, m, atol=1e-8) and np.allclose(latent, sd**2 - em.white, atol=1e-8)


def test_transform_round_trips():
    for t, m in (
        (Transform(False, 0.5), np.array([0.0, 1.0, 300.0])),
        (Transform(True, 0.0), np.array([0.1, 0.87])),
    ):
        assert np.allclose(t.inverse(t.forward(m)), m)


def test_likelihood_is_highest_where_the_emulated_figures_match():
    rng = np.random.default_rng(2)
    X = rng.uniform(0, 1, size=(300, 2))
    paths = {"periods.2023H1.a": 100 * (1 + X[:, 0]), "periods.2022H1.a": 80 * (1 + X[:, 1])}
    ems = fit_all(X, paths, {p: np.full(len(X), 1.0) for p in paths}, {p: np.full(len(X), 4) for p in paths})
    target = Target(
        facts="F2a", label_en="t", label_zh="增长", ratio_of=("periods.2023H1.a", "periods.2022H1.a"),
        value=150 / 120, unit="ratio", rounding=0, discrepancy=0.01, discrepancy_reason="test", tolerance=0.05,
    )  # fmt: skip
    level = Target(
        facts="F2a", label_en="l", label_zh="水平", metric="periods.2023H1.a", value=150, unit="亿元",
        rounding=0, discrepancy=2, discrepancy_reason="test", tolerance=5,
    )  # fmt: skip
    ll = EmulatedLikelihood(ems, {"growth": target, "level": level})
    grid = np.array([[a, b] for a in np.linspace(0, 1, 21) for b in np.linspace(0, 1, 21)])
    best = grid[np.argmax(ll(grid))]
    assert np.allclose(best, [0.5, 0.5], atol=0.051)
    # the expected count of figures met: ≈ 2 at the truth, where the emulators are sure
    assert ll.expected_within(np.array([[0.5, 0.5]]))[0] > 1.9
    assert ll.expected_within(np.array([[0.0, 1.0]]))[0] < 0.1  # level 100, growth 0.625


def test_expected_count_gives_an_unsure_emulator_partial_credit():
    """Ranking the centre's candidates: a figure the emulator cannot resolve (its sd 10 ×
    the tolerance) counts ≈ 0.08 wherever its emulated value lands, not 1 or 0."""

    class Fixed:
        def __init__(self, sd):
            self.sd = sd

        def predict(self, X):
            return {"periods.2023H1.a": (np.full(len(X), 150.0), np.full(len(X), self.sd**2))}

    level = Target(
        facts="F2a", label_en="l", label_zh="水平", metric="periods.2023H1.a", value=150, unit="亿元",
        rounding=0, discrepancy=2, discrepancy_reason="test", tolerance=5,
    )  # fmt: skip
    sure = EmulatedLikelihood(Fixed(0.1), {"level": level}).expected_within(np.zeros((1, 2)))[0]
    unsure = EmulatedLikelihood(Fixed(50.0), {"level": level}).expected_within(np.zeros((1, 2)))[0]
    assert sure > 0.999 and 0.07 < unsure < 0.09


# --------------------------------------------------------------------------- end to end
def read_wave(path):
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_last_wave_chain_runs_until_fifty_autocorrelation_times():
    """mcmc_final_max_steps: the chain goes on until its kept half is 50 τ long, no longer."""
    from chainsim.calibration.mcmc import sample_posterior

    def loglik(X: np.ndarray) -> np.ndarray:  # a correlated Gaussian: slow to mix for emcee
        return -0.5 * (X[:, 0] ** 2 + ((X[:, 1] - 0.9 * X[:, 0]) / 0.1) ** 2)

    box = (np.array([-5.0, -5.0]), np.array([5.0, 5.0]))
    start = np.random.default_rng(0).normal(0, 0.1, (16, 2))
    short = sample_posterior(loglik, None, start, 16, 100, seed=1, box=box)
    assert short.steps == 100 and not short.converged
    long = sample_posterior(loglik, None, start, 16, 100, seed=1, box=box, max_steps=20_000)
    assert long.converged and 100 < long.steps < 20_000
    assert long.steps // 2 >= 50 * np.max(long.tau)
    assert abs(np.std(long.draws[:, 0]) - 1.0) < 0.15  # and it samples the target
    capped = sample_posterior(loglik, None, start, 16, 100, seed=1, box=box, max_steps=300)
    assert capped.steps == 300 and not capped.converged


def test_tiny_emulator_calibration_end_to_end_and_resume(tmp_path, capsys):
    import chainsim
    from chainsim.calibration.posterior import read_posterior

    # the last wave smaller and with more replicates per point, as the default's
    cfg = tiny(tmp_path, extra="final_wave_points: 50\nfinal_wave_replicates: 3\n")
    out = tmp_path / "out"
    assert main(["calibrate", str(cfg), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "emulator: 2 waves, 110 design points, 270 simulated replicates" in printed.out
    draws, w, info = read_posterior(out / "tiny.posterior.csv")
    assert set(draws) == {"engage_prob", "realisation_share", "hk_outreach", "construction_days"}
    assert info["method"] == "emulator" and float(info["ess"]) > 0 and np.allclose(w, w[0])
    assert chainsim.load(out / "tiny.calibrated.yaml").population.pool_size == 20000
    report = (out / "report" / "tiny.md").read_text(encoding="utf-8")
    assert "Emulator calibration" in report and "| wave |" in report and "identified" in report
    assert "| 1 | 60 | 2 |" in report and "| 2 | 50 | 3 |" in report  # points, replicates
    assert "Emulator check at the 3 central candidates" in report
    # Lose the last 10 points of wave 2 (a kill): the rerun simulates exactly those.
    wave2 = out / "tiny.waves" / "wave2.csv"
    rows = read_wave(wave2)
    assert all(float(r["periods.2023H1.funds_in_place_yi:n"]) == 3 for r in rows)
    lines = wave2.read_text(encoding="utf-8").splitlines(keepends=True)
    wave2.write_text("".join(lines[:-10]) + lines[-10][:20], encoding="utf-8")  # and a torn line
    assert main(["calibrate", str(cfg), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "simulating 10 of 50 points" in err and "wave 1/2: simulating" not in err
    assert sorted(r["index"] for r in read_wave(wave2)) == sorted(r["index"] for r in rows)
    # --report-only simulates nothing; other settings are refused rather than mixed
    assert main(["calibrate", str(cfg), "--out", str(out), "--report-only"]) == 0
    assert "simulating" not in capsys.readouterr().err
    # the reused last wave's emulators are refitted for the check, not dropped
    assert "Emulator check" in (out / "report" / "tiny.md").read_text(encoding="utf-8")
    assert main(["calibrate", str(cfg), "--out", str(out), "--set", "wave_points=61"]) == 2
    assert "--fresh" in capsys.readouterr().err


@pytest.mark.slow
def test_calibrate_shows_progress_bars_on_a_terminal(tmp_path):
    """On a terminal (a real pseudo-terminal) `chainsim calibrate` draws a bar with rate and
    ETA for each wave's simulations, the central candidates and the posterior predictive, and
    each moves to 100 %; piped to a log, it writes a line per 10 % instead of redrawing."""
    import re
    import subprocess
    import sys

    from paths import ROOT, src_env
    from relkit import on_a_terminal

    cfg = tiny(tmp_path, waves=1, points=40)
    cmd = [sys.executable, "-m", "chainsim.cli", "calibrate", str(cfg), "--out", str(tmp_path / "out")]
    code, _, text = on_a_terminal(cmd, timeout=600)
    assert code == 0
    for label, unit in (
        ("wave 1/1", "points"),
        ("central candidates", "candidates"),
        ("posterior predictive", "draws"),
    ):
        redraws = [part for part in text.split("\r") if part.startswith(label)]
        shown = [int(m) for part in redraws for m in re.findall(r"(\d+)%\|", part)]
        assert len(shown) >= 2 and shown == sorted(shown) and shown[-1] == 100, (label, shown)
        assert f"{unit}/s" in text or f"s/{unit.rstrip('s')}" in text or "?" in text, (label, text[-500:])
    logged = subprocess.run(
        [*cmd[:-1], str(tmp_path / "out2")],
        capture_output=True,
        text=True,
        env=src_env(),
        cwd=ROOT,
        timeout=600,
    )
    assert logged.returncode == 0 and "\r" not in logged.stderr
    lines = [ln for ln in logged.stderr.splitlines() if ln.startswith("wave 1/1")]
    assert 2 <= len(lines) <= 12 and "100%" in lines[-1], logged.stderr


@pytest.mark.slow
def test_recovery_check_small(tmp_path, capsys):
    """CI's small version of the recovery check (docs/calibration.md has the full one)."""
    import json

    cfg = tiny(tmp_path, waves=1, points=240)
    out = tmp_path / "out"
    assert main(["calibrate", str(cfg), "--out", str(out)]) == 0  # the calibration it is read against
    assert main(["calibrate", str(cfg), "--out", str(out), "--recovery", "20"]) == 0
    result = json.loads((out / "tiny.recovery.json").read_text(encoding="utf-8"))
    assert result["datasets"] == 20
    ident = [p for p in result["parameters"] if p["identified"]]
    assert len(ident) >= 2, result["parameters"]
    assert result["coverage_identified"] >= 0.8, result["parameters"]
    # read against the calibration's own identifiability table: what it calls identified is
    # recovered (the criterion), and each ratio there is the report's
    named = result["calibration_identified"]
    assert named and result["coverage_calibration_identified"] >= 0.8, result["parameters"]
    report = (out / "report" / "tiny.md").read_text(encoding="utf-8")
    for p in result["parameters"]:
        assert (
            f"| {p['calibration_sd_ratio']:.2f} | {'yes' if p['name'] in named else '**no**'} |" in report
        ), p
    assert "identified there" in (out / "report" / "tiny_recovery.md").read_text(encoding="utf-8")


def test_a_design_point_leaves_no_model_behind(tmp_path):
    """Finished models sit in reference cycles (parks and strategies point back at them)
    that the cyclic collector is slow to visit: a calibration worker grew to 7.5 GB. After a
    point nothing of its models remains, without waiting for the collector."""
    import gc

    from chainsim.calibration.ensemble import PointSimulator
    from chainsim.engine.model import ChainModel

    cal = load_calibration(tiny(tmp_path))
    space = ParameterSpace(cal.priors, cal.base_data)
    sim = PointSimulator(space, ["periods.2023H1.signings"], 2)
    natural = space.to_natural({n: float(np.mean(space.internal_bounds(n))) for n in space.names})
    gc.disable()
    try:
        index, row = sim((3, natural, 11))
        alive = [o for o in gc.get_objects() if isinstance(o, ChainModel)]
    finally:
        gc.enable()
    assert index == 3 and row["periods.2023H1.signings:n"] == 2
    assert alive == []


@pytest.mark.slow
def test_interrupted_emulator_calibration_stops_at_once_and_resumes(tmp_path):
    """SIGTERM (a batch system's time limit) in the middle of a wave: the driver stops within
    seconds (the points not yet started are dropped, the running ones finish) with exit 130
    and one message; the finished points are on disk and the rerun simulates only the rest."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from paths import ROOT, src_env

    cfg = tiny(tmp_path, waves=1, points=200)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "chainsim.cli", "calibrate", str(cfg), "--out", str(out)]
    log = tmp_path / "stderr.txt"
    with open(log, "w") as err_file:
        proc = subprocess.Popen(
            cmd, env=src_env(), cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=err_file
        )
        try:
            deadline = time.monotonic() + 240
            rows = out / "tiny.waves" / "wave1.csv"  # a header and one finished point
            while not rows.is_file() or rows.read_text(encoding="utf-8").count("\n") < 2:
                assert proc.poll() is None, log.read_text(encoding="utf-8")
                assert time.monotonic() < deadline, "no design point finished"
                time.sleep(0.2)
            proc.send_signal(signal.SIGTERM)
            sent = time.monotonic()
            code = proc.wait(timeout=120)
            took = time.monotonic() - sent
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    err = log.read_text(encoding="utf-8")
    assert code == 130, err
    assert "Traceback" not in err and "interrupted" in err and "rerun" in err, err
    assert took < 15, f"the driver took {took:.1f} s to stop"
    finished = len(read_wave(out / "tiny.waves" / "wave1.csv"))
    assert 0 < finished < 200
    done = subprocess.run(cmd, env=src_env(), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"simulating {200 - finished} of 200 points" in done.stderr, done.stderr

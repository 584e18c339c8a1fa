"""Tests for ``chainsim calibrate`` and the shipped calibration (chainsim.calibration).

Quick: validation of the config, targets and priors files (exit 2, file and field named,
nothing written); the distance on hand-built summaries (exact); the shipped posterior
and central-parameter scenario (validates, stamped, used by scenarios/kunming_2023.yaml).
Slow: a tiny real ABC-SMC run (local and Dask backends), kill-and-resume of a run in a
subprocess, and ``run_with_posterior`` over the tiny posterior.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from chainsim.calibration.config import load_calibration
from chainsim.calibration.posterior import read_posterior, resample, weighted_quantile
from chainsim.calibration.schema import Target
from chainsim.calibration.targets import MISSING_Z, distance, statistics, z_score
from chainsim.cli import main
from paths import BASE_FRAGMENT, CALIBRATION_DIR, DEFAULT_SCENARIO, ROOT, SCENARIOS_DIR, src_env
from relkit import ctrl_c_reaches

TINY = """name: tiny
base_scenario: {base}
targets: {targets}
priors: {priors}
fixed: [population.pool_size=20000, calendar.burn_in_steps=10]
method: abc_smc
particles: {particles}
generations: {generations}
seed: 7
workers: 2
predictive_draws: 4
check_replications: 2
max_walltime_minutes: 10
epsilon_quantile: {epsilon_quantile}
"""


def tiny_config(
    tmp: Path,
    particles: int = 6,
    generations: int = 2,
    targets: Path | None = None,
    priors: Path | None = None,
    name: str = "tiny.yaml",
    epsilon_quantile: float = 0.5,
) -> Path:
    """A tiny ABC calibration. Runs that must reach four generations use a gentler tolerance
    schedule (``epsilon_quantile`` 0.8): at 0.5 a generation's acceptance can collapse by
    the fourth (measured: ε 2923 → 1996 → 1017, ESS 1, minutes of sampling on one seed in eight)."""
    path = tmp / name
    path.write_text(
        TINY.format(
            base=BASE_FRAGMENT,
            targets=targets or CALIBRATION_DIR / "targets" / "kunming_2023.yaml",
            priors=priors or CALIBRATION_DIR / "priors" / "kunming_2023.yaml",
            particles=particles,
            generations=generations,
            epsilon_quantile=epsilon_quantile,
        ),
        encoding="utf-8",
    )
    return path


def edited(tmp: Path, source: Path, name: str, edit) -> Path:
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    edit(data)
    out = tmp / name
    out.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- validation
def assert_refused(code: int, err: str, out: Path, needles: list[str]) -> None:
    assert code == 2, err
    assert "Traceback" not in err and err.startswith("chainsim: error: "), err
    for n in needles:
        assert n in err, f"{n!r} not in {err}"
    assert not out.exists(), "nothing may be written on bad input"


def test_unknown_metric_is_refused(tmp_path, capsys):
    targets = edited(
        tmp_path,
        CALIBRATION_DIR / "targets" / "kunming_2023.yaml",
        "t.yaml",
        lambda d: d["targets"]["funds_in_place_2023h1"].update(metric="periods.2023H1.funds_in_plaec_yi"),
    )
    code, _, err = run_cli(
        capsys, "calibrate", tiny_config(tmp_path, targets=targets), "--out", tmp_path / "out"
    )
    assert_refused(
        code,
        err,
        tmp_path / "out",
        [
            "t.yaml",
            "targets.funds_in_place_2023h1.metric",
            "funds_in_plaec_yi",
            "periods.2023H1.funds_in_place_yi",
        ],
    )


def test_unknown_period_in_ratio_is_refused(tmp_path, capsys):
    targets = edited(
        tmp_path,
        CALIBRATION_DIR / "targets" / "kunming_2023.yaml",
        "t.yaml",
        lambda d: d["targets"]["fdi_growth"].update(
            ratio_of=["periods.2023H1.fdi_usd_yi", "periods.2021H1.fdi_usd_yi"]
        ),
    )
    code, _, err = run_cli(
        capsys, "calibrate", tiny_config(tmp_path, targets=targets), "--out", tmp_path / "out"
    )
    assert_refused(code, err, tmp_path / "out", ["t.yaml", "targets.fdi_growth.ratio_of.1", "2021H1"])


def test_missing_unit_is_refused(tmp_path, capsys):
    targets = edited(
        tmp_path,
        CALIBRATION_DIR / "targets" / "kunming_2023.yaml",
        "t.yaml",
        lambda d: d["targets"]["major_signings_2023h1"].pop("unit"),
    )
    code, _, err = run_cli(
        capsys, "calibrate", tiny_config(tmp_path, targets=targets), "--out", tmp_path / "out"
    )
    assert_refused(code, err, tmp_path / "out", ["t.yaml", "targets.major_signings_2023h1.unit", "missing"])


def test_prior_low_above_high_is_refused(tmp_path, capsys):
    priors = edited(
        tmp_path,
        CALIBRATION_DIR / "priors" / "kunming_2023.yaml",
        "p.yaml",
        lambda d: d["parameters"]["sign_prob"].update(low=0.5, high=0.1),
    )
    code, _, err = run_cli(
        capsys, "calibrate", tiny_config(tmp_path, priors=priors), "--out", tmp_path / "out"
    )
    assert_refused(
        code, err, tmp_path / "out", ["p.yaml", "parameters.sign_prob", "low (0.5) must be below high (0.1)"]
    )


def test_prior_on_unknown_field_is_refused(tmp_path, capsys):
    priors = edited(
        tmp_path,
        CALIBRATION_DIR / "priors" / "kunming_2023.yaml",
        "p.yaml",
        lambda d: d["parameters"]["sign_prob"].update(path="pipeline.sign_prob_per_week"),
    )
    code, _, err = run_cli(
        capsys, "calibrate", tiny_config(tmp_path, priors=priors), "--out", tmp_path / "out"
    )
    assert_refused(
        code, err, tmp_path / "out", ["p.yaml", "parameters.sign_prob.path", "pipeline.sign_prob_per_week"]
    )


def test_prior_outside_the_schema_bounds_is_refused(tmp_path, capsys):
    priors = edited(
        tmp_path,
        CALIBRATION_DIR / "priors" / "kunming_2023.yaml",
        "p.yaml",
        lambda d: d["parameters"]["event_close_prob"].update(high=1.5),
    )
    code, _, err = run_cli(
        capsys, "calibrate", tiny_config(tmp_path, priors=priors), "--out", tmp_path / "out"
    )
    assert_refused(
        code,
        err,
        tmp_path / "out",
        ["p.yaml", "parameters.event_close_prob.high", "pipeline.event_close_prob"],
    )


def test_bad_config_field_is_refused(tmp_path, capsys):
    cfg = tiny_config(tmp_path)
    cfg.write_text(cfg.read_text() + "particels: 50\n")
    code, _, err = run_cli(capsys, "calibrate", cfg, "--out", tmp_path / "out")
    assert_refused(code, err, tmp_path / "out", ["tiny.yaml", "particels"])
    code, _, err = run_cli(
        capsys, "calibrate", tiny_config(tmp_path), "--set", "generations=0", "--out", tmp_path / "out"
    )
    assert_refused(code, err, tmp_path / "out", ["generations", "--set"])


def test_shipped_files_validate():
    old = load_calibration(CALIBRATION_DIR / "kunming_2023.yaml")  # the ABC-SMC run of 26 November
    assert old.config.method == "abc_smc"
    assert old.config.particles >= 300 and old.config.generations >= 6
    assert 8 <= len(old.priors.parameters) <= len(old.targets.targets)
    cal = load_calibration(CALIBRATION_DIR / "kunming_2023_next.yaml")  # the default's (issue 14)
    assert cal.config.method == "emulator" and cal.config.waves >= 3
    # more parameters than figures is allowed here: the posterior of one the figures do not
    # inform stays its prior, and the report says which are identified
    assert len(cal.priors.parameters) >= 30
    assert cal.config.mcmc_walkers >= 2 * len(cal.priors.parameters)  # emcee's minimum
    oos = load_calibration(CALIBRATION_DIR / "kunming_2023_no_f11.yaml")
    assert {t.facts for t in oos.targets.targets.values()} == {
        t.facts for t in cal.targets.targets.values()
    } - {"F11"}
    for t in cal.targets.targets.values():
        assert t.sigma > 0 and t.unit


# --------------------------------------------------------------------------- distance
def _target(value, discrepancy, rounding=0.0, band=None, metric="periods.2023H1.signings", **kw) -> Target:
    return Target(
        facts="F6",
        label_en="x",
        label_zh="x",
        value=value,
        unit="projects",
        rounding=rounding,
        discrepancy=discrepancy,
        discrepancy_reason="test",
        tolerance=1,
        band=band,
        **({"metric": metric} if "ratio_of" not in kw else kw),
    )


def test_distance_is_the_sum_of_squared_standardised_errors():
    targets = {
        "a": _target(20.0, 4.0, rounding=3.0),  # sigma = 5
        "g": _target(
            1.2,
            0.1,
            metric=None,
            ratio_of=("periods.2023H1.funds_in_place_yi", "periods.2022H1.funds_in_place_yi"),
        ),
        "b": _target(100.0, 10.0, band=(90.0, 120.0), metric="durations.commissioned.signing_to_land_days"),
    }
    summary = {
        "periods": {
            "2023H1": {"signings": {"mean": 30.0}, "funds_in_place_yi": {"mean": 650.0}},
            "2022H1": {"funds_in_place_yi": {"mean": 500.0}},
        },
        "durations": {"commissioned": {"signing_to_land_days": {"mean": 140.0}}},
    }
    sim = statistics(summary, targets)
    assert sim == {"a": 30.0, "g": 1.3, "b": 140.0}
    # z_a = (30-20)/5 = 2; z_g = (1.3-1.2)/0.1 = 1; z_b = (140-120)/10 = 2 (outside the band)
    assert distance(sim, targets) == pytest.approx(4 + 1 + 4, abs=1e-12)
    assert z_score(105.0, targets["b"]) == 0.0  # inside the band: no penalty
    assert z_score(math.nan, targets["a"]) == MISSING_Z
    weighted = {**targets, "a": targets["a"].model_copy(update={"weight": 3.0})}
    assert distance(sim, weighted) == pytest.approx(12 + 1 + 4, abs=1e-12)
    summary["durations"]["commissioned"]["signing_to_land_days"]["mean"] = None
    assert distance(statistics(summary, targets), targets) == pytest.approx(4 + 1 + MISSING_Z**2, abs=1e-12)


def test_weighted_quantile_and_resample():
    v, w = np.array([3.0, 1.0, 2.0]), np.array([0.2, 0.2, 0.6])
    assert weighted_quantile(v, w, 0.5) == pytest.approx(2.0)
    assert weighted_quantile(v, w, [0.1, 0.9]).tolist() == [1.0, 3.0]  # the weights decide, not the count
    picks = resample(np.array([0.0, 1.0, 0.0]), 5, seed=3)
    assert picks.tolist() == [1] * 5
    a, b = resample(w, 50, 11), resample(w, 50, 11)
    assert a.tolist() == b.tolist() and abs(np.mean(a == 2) - 0.6) < 0.05


# --------------------------------------------------------------------------- shipped calibration
def test_default_scenario_builds_on_the_calibrated_yaml():
    import chainsim
    from chainsim.calibration.posterior import find_calibrated

    central = CALIBRATION_DIR / "kunming_2023_next.calibrated.yaml"  # issue 14's emulator calibration
    assert find_calibrated(DEFAULT_SCENARIO).resolve() == central.resolve()
    assert find_calibrated(SCENARIOS_DIR / "kunming_2023_as_2022.yaml").resolve() == central.resolve()
    head = {
        k.strip(): v.strip()
        for k, _, v in (
            line[1:].partition(":") for line in central.read_text().splitlines() if line.startswith("#")
        )
    }
    for key in ("chainsim_version", "targets_sha256", "date", "posterior", "calibration"):
        assert head.get(key), key
    from chainsim.calibration.config import file_sha256

    assert head["targets_sha256"] == file_sha256(CALIBRATION_DIR / "targets" / "kunming_2023.yaml")
    default = chainsim.load(DEFAULT_SCENARIO)
    calibrated = chainsim.load(central)
    assert default == calibrated.model_copy(
        update={"name": default.name}
    )  # the default IS the central scenario
    assert default.name == "kunming_2023"
    draws, w, info = read_posterior(central.parent / head["posterior"])
    assert w.sum() == pytest.approx(1.0) and len(w) >= 300
    assert info["targets_sha256"] == head["targets_sha256"]
    # central: best_fit — the default's parameters are those of one posterior draw
    i = int(np.argmin(np.abs(draws["sign_prob"] - default.pipeline.sign_prob_per_step)))
    assert default.pipeline.sign_prob_per_step == pytest.approx(draws["sign_prob"][i], rel=1e-3)
    assert default.pipeline.realisation_share == pytest.approx(draws["realisation_share"][i], rel=1e-3)
    assert default.pipeline.drop_signed_per_step == pytest.approx(draws["drop_signed"][i], rel=1e-3)


# --------------------------------------------------------------------------- real runs
def populations(db: Path) -> list[int]:
    with sqlite3.connect(db) as con:
        return [t for (t,) in con.execute("SELECT t FROM populations ORDER BY id")]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tiny")
    cfg = tiny_config(tmp)
    code = main(["calibrate", str(cfg), "--out", str(tmp / "out")])
    assert code == 0
    return cfg, tmp / "out"


@pytest.mark.slow
def test_tiny_calibration_end_to_end(tiny_run, capsys):
    import chainsim

    cfg, out = tiny_run
    assert populations(out / "tiny.history.db") == [-1, 0, 1]  # prior calibration sample + 2 generations
    draws, w, info = read_posterior(out / "tiny.posterior.csv")
    assert len(w) == 6 and set(draws) == set(load_calibration(cfg).priors.parameters)
    assert info["generation"] == "2" and "chainsim_version" in info
    central = chainsim.load(out / "tiny.calibrated.yaml")
    assert central.population.pool_size == 20000  # the calibration's fixed overrides carry over
    report = (out / "report" / "tiny.md").read_text()
    assert "| target |" in report and "sd ratio" in report and "F2a" in report
    assert (out / "report" / "tiny_fit.png").stat().st_size > 1000
    # Rerunning a finished run samples nothing more and rewrites the outputs.
    code, _, err = run_cli(capsys, "calibrate", cfg, "--out", out)
    assert code == 0 and "already holds 2 generations" in err
    assert populations(out / "tiny.history.db") == [-1, 0, 1]
    code, _, err = run_cli(capsys, "calibrate", cfg, "--out", out, "--report-only", "--set", "generations=9")
    assert code == 0 and populations(out / "tiny.history.db") == [-1, 0, 1]  # nothing sampled
    assert "holds 2 of the 9 generations requested" in (out / "report" / "tiny.md").read_text()
    code, _, err = run_cli(capsys, "calibrate", cfg, "--out", out.parent / "elsewhere", "--report-only")
    assert code == 2 and "no history" in err and not (out.parent / "elsewhere").exists()
    # A history made from other sampling settings is refused, not silently mixed.
    code, _, err = run_cli(capsys, "calibrate", cfg, "--out", out, "--set", "particles=7")
    assert code == 2 and "--fresh" in err


@pytest.mark.slow
def test_posterior_draws_carry_parameter_uncertainty(tiny_run):
    from chainsim.calibration.posterior import run_with_posterior

    _, out = tiny_run
    res = run_with_posterior(out / "tiny.calibrated.yaml", draws=3, replications=2, seed=5)
    s = res.summary()
    assert s["replications"] == 6 and s["posterior"]["draws"] == 3
    assert set(s["posterior"]["parameters"]) >= {"sign_prob", "realisation_share"}
    again = run_with_posterior(out / "tiny.calibrated.yaml", draws=3, replications=2, seed=5).summary()
    assert again["periods"] == s["periods"]  # reproducible for a seed


@pytest.mark.slow
def test_kill_and_resume(tmp_path):
    cfg = tiny_config(tmp_path, particles=6, generations=4, epsilon_quantile=0.8)
    out, db = tmp_path / "out", tmp_path / "out" / "tiny.history.db"
    env = src_env()
    cmd = [sys.executable, "-m", "chainsim.cli", "calibrate", str(cfg), "--out", str(out)]
    proc = subprocess.Popen(
        cmd, env=env, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if db.exists() and 0 in _safe_populations(db):
                break
            assert proc.poll() is None, "the run ended before it could be killed"
            time.sleep(0.2)
        else:
            pytest.fail("the first generation never completed")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole group, sampler workers too
        proc.wait()
    before = populations(db)
    assert 0 in before and max(before) < 3, before
    done = _run_or_dump(cmd, {**env, "PYTHONFAULTHANDLER": "1"}, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"resuming after generation {max(before) + 1}/4" in done.stderr
    after = populations(db)
    assert after == sorted(set(after)) == [-1, 0, 1, 2, 3]  # continued; no generation twice
    assert after[: len(before)] == before


def _run_or_dump(cmd: list[str], env: dict, timeout: float) -> subprocess.CompletedProcess:
    """Run ``cmd``; if it outlives ``timeout``, abort its whole process group so that
    faulthandler (PYTHONFAULTHANDLER in ``env``) prints every thread's stack of the driver and
    its workers, and fail with that: a hang is diagnosed, not only timed out."""
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGABRT)
        try:
            out, err = proc.communicate(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"{' '.join(cmd[2:])} hung for {timeout} s; the stacks of its processes:\n{err[-8000:]}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _safe_populations(db: Path) -> list[int]:
    try:
        return populations(db)
    except sqlite3.Error:  # table not created yet, or locked
        return []


@pytest.mark.slow
def test_dask_backend(tmp_path, capsys):
    cfg = tiny_config(tmp_path, particles=4, generations=2)
    code, out, err = run_cli(capsys, "calibrate", cfg, "--out", tmp_path / "out", "--backend", "dask")
    assert code == 0, err
    assert "backend dask" in err
    assert populations(tmp_path / "out" / "tiny.history.db") == [-1, 0, 1]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm", "ctrl-c-dask"])
def test_interrupted_calibration_stops_cleanly_and_resumes(tmp_path, how):
    """Issue 17: Ctrl-C (SIGINT to the whole process group, as a terminal sends it) or
    SIGTERM (a batch system, to the driver only) during `calibrate`: one message, exit 130,
    no traceback, no sampler worker left behind, and the same command resumes."""
    cfg = tiny_config(tmp_path, particles=6, generations=4, epsilon_quantile=0.8)
    out, db = tmp_path / "out", tmp_path / "out" / "tiny.history.db"
    cmd = [sys.executable, "-m", "chainsim.cli", "calibrate", str(cfg), "--out", str(out)]
    cmd += ["--backend", "dask"] if how.endswith("dask") else []
    err_file = open(tmp_path / "stderr.txt", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        cmd,
        env=src_env(),
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=err_file,
        preexec_fn=ctrl_c_reaches,
    )
    try:
        deadline = time.monotonic() + 240
        # wait on the log, not the history: a reader's lock on the SQLite file can make the
        # driver's next write fail with "database is locked"
        while "generation 1/4 done" not in (tmp_path / "stderr.txt").read_text(encoding="utf-8"):
            assert proc.poll() is None, "the run ended before it could be interrupted"
            assert time.monotonic() < deadline, "the first generation never completed"
            time.sleep(0.2)
        if how.startswith("ctrl-c"):
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=150)  # closing a LocalCluster under a loaded CI machine can be slow
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        err_file.close()
    err = (tmp_path / "stderr.txt").read_text(encoding="utf-8")
    assert code == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "interrupted" in err and "rerun" in err, err
    assert "WARNING" not in err and "Exception ignored" not in err, err  # Dask's shutdown noise
    gone = time.monotonic() + 10
    while _group_alive(proc.pid) and time.monotonic() < gone:
        time.sleep(0.1)
    assert not _group_alive(proc.pid), "sampler workers outlived the interrupted driver"
    before = populations(db)
    done = subprocess.run(cmd, env=src_env(), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"resuming after generation {max(before) + 1}/4" in done.stderr

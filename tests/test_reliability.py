"""Reliability, round two (issue 17): outputs never cost the user a file or a finished
result. Each test names the group of the issue it checks; every one failed on the parent
commit (cfd7aad) of the change that made it pass (docs/reliability.md).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainsim.cli import main
from chainsim.sweep import read_results, run_sweep
from paths import ROOT, SRC, src_env
from relkit import ctrl_c_reaches, one_message, run_cli, small_scenario, sweep_doc, write_yaml


@pytest.fixture
def base(tmp_path):
    return small_scenario(tmp_path)


def sweep_cli(capsys, *args):
    code = main(["sweep", *map(str, args), "--workers", "1", "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- 1: user files
@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_group1_sweep_into_the_directory_of_its_own_file_deletes_nothing(tmp_path, base, capsys, force):
    proj = tmp_path / "proj"
    proj.mkdir()
    sweep = write_yaml(proj / "sweep.yaml", sweep_doc(base))
    before = sweep.read_bytes()
    code, _, err = sweep_cli(capsys, sweep, "--out", proj, *(["--force"] if force else []))
    one_message(code, err, (2,))
    assert "not written by 'chainsim sweep'" in err
    assert sweep.read_bytes() == before and sorted(os.listdir(proj)) == ["sweep.yaml"]


@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_group1_users_files_named_like_ours_are_never_overwritten(tmp_path, base, capsys, force):
    sweep = write_yaml(tmp_path / "s.yaml", sweep_doc(base))
    out = tmp_path / "out"
    out.mkdir()
    for name in ("base_scenario.yaml", "design.parquet"):
        (out / name).write_text(f"the user's own {name}")
    code, _, err = sweep_cli(capsys, sweep, "--out", out, *(["--force"] if force else []))
    one_message(code, err, (2,))
    for name in ("base_scenario.yaml", "design.parquet"):
        assert (out / name).read_text() == f"the user's own {name}"


def test_group1_force_replaces_only_what_chainsim_wrote(tmp_path, base, capsys):
    out = tmp_path / "out"
    first = write_yaml(tmp_path / "a.yaml", sweep_doc(base))
    assert sweep_cli(capsys, first, "--out", out)[0] == 0
    (out / "notes.txt").write_text("mine")
    (out / "runs" / "mine.txt").write_text("mine too")
    other = write_yaml(tmp_path / "b.yaml", sweep_doc(base, seed=6))
    code, _, err = sweep_cli(capsys, other, "--out", out)
    one_message(code, err, (2,))
    assert "different sweep" in err
    code, _, err = sweep_cli(capsys, other, "--out", out, "--force")
    assert code == 0, err
    assert (out / "notes.txt").read_text() == "mine" and (out / "runs" / "mine.txt").read_text() == "mine too"
    assert (
        read_results(out).num_rows == 4
        and json.loads((out / "manifest.json").read_text())["sweep"]["seed"] == 6
    )


def test_group1_run_force_never_overwrites_a_users_file(tmp_path, base, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("the user's")
    assert main(["run", str(base), "--out", str(out), "--force"]) == 2
    err = capsys.readouterr().err
    one_message(2, err, (2,))
    assert "summary.json" in err and "not written by chainsim" in err
    assert (out / "summary.json").read_text() == "the user's" and sorted(os.listdir(out)) == ["summary.json"]


def test_group10_a_killed_writers_temp_file_is_removed_by_the_next_run(tmp_path, base, capsys):
    out = tmp_path / "out"
    assert main(["run", str(base), "--out", str(out)]) == 0
    (out / ".summary.json.k1ll3d.tmp").write_text("half a file")  # SIGKILL between write and rename
    assert main(["run", str(base), "--out", str(out), "--force"]) == 0
    capsys.readouterr()
    assert not list(out.glob("*.tmp"))


# --------------------------------------------------------------------------- 2: print after write
def _outputs(out):
    return sorted(p.name for p in out.iterdir()) if out.exists() else []


RUN_FILES = [".chainsim-output.json", "scenario.resolved.yaml", "summary.json", "timeseries.parquet"]


def test_group2_run_to_a_full_stdout_keeps_the_files(tmp_path, base):
    out = tmp_path / "o"
    with open("/dev/full", "w") as full:
        proc = run_cli("run", base, "-r", "2", "--out", out, stdout=full)
    one_message(proc.returncode, proc.stderr, (1,))
    assert "standard output" in proc.stderr and "no space left" in proc.stderr
    assert _outputs(out) == RUN_FILES


def test_group2_run_into_a_closed_pipe_keeps_the_files(tmp_path, base):
    out = tmp_path / "o"
    with open(tmp_path / "err.txt", "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "chainsim.cli", "run", str(base), "-r", "2", "--out", str(out)],
            cwd=ROOT,
            env=src_env(),
            stdout=subprocess.PIPE,
            stderr=err,
        )
        proc.stdout.close()  # `| head -0`: the reader has gone before anything is printed
        code = proc.wait(timeout=120)
    text = (tmp_path / "err.txt").read_text()
    one_message(code, text, (1,))
    assert "standard output was closed" in text
    assert _outputs(out) == RUN_FILES


def test_group2_run_on_an_ascii_terminal_prints_and_writes(tmp_path, base):
    out = tmp_path / "o"
    proc = run_cli("run", base, "--out", out, env=src_env(PYTHONIOENCODING="ascii"))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "\\u7b7e\\u7ea6" in proc.stdout  # 签约, escaped
    assert _outputs(out) == RUN_FILES


def test_group2_schema_into_a_closed_pipe(tmp_path):
    with open("/dev/full", "w") as full:
        proc = run_cli("schema", stdout=full)
    one_message(proc.returncode, proc.stderr, (1,))


# --------------------------------------------------------------------------- 3: lost manifest
@pytest.mark.parametrize("damage", ["lost", "truncated", "lost-with-marker"])
def test_group3_a_lost_or_truncated_manifest_is_rebuilt_from_the_parts(tmp_path, base, capsys, damage):
    sweep = write_yaml(tmp_path / "s.yaml", sweep_doc(base))
    out = tmp_path / "out"
    run_sweep(sweep, out, workers=1, batch_rows=2, progress=False)
    full = read_results(out).drop_columns(["wall_time_s", "cpu_time_s"])
    parts = sorted((out / "runs").glob("part-*.parquet"))
    assert len(parts) == 2
    parts[1].unlink()
    if damage == "truncated":
        m = out / "manifest.json"
        m.write_bytes(m.read_bytes()[:200])
    else:
        (out / "manifest.json").unlink()
        if damage == "lost-with-marker":
            (out / ".chainsim-output.json").unlink(missing_ok=True)
    code, stdout, err = sweep_cli(capsys, sweep, "--out", out)
    assert code == 0, err
    assert "(2 this time" in stdout and "rebuilt from the part files" in err
    assert read_results(out).drop_columns(["wall_time_s", "cpu_time_s"]).equals(full)
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and m["runs_done"] == 4 and "rebuilt_from_parts" in m
    assert len(list((out / "runs").glob("part-*.parquet"))) == 2  # the first part kept, not rerun


# --------------------------------------------------------------------------- 4: other code
def test_group4_resume_under_edited_code_is_refused_unless_allowed(tmp_path, base, capsys):
    sweep = write_yaml(tmp_path / "s.yaml", sweep_doc(base))
    out = tmp_path / "out"
    run_sweep(sweep, out, workers=1, batch_rows=2, progress=False)
    first = json.loads((out / "manifest.json").read_text())
    parts = sorted((out / "runs").glob("part-*.parquet"))
    parts[1].unlink()
    kept = parts[0].read_bytes()
    # the same chainsim version, one engine file edited (a copy: the real engine is untouched)
    edited = tmp_path / "edited" / "src"  # a checkout's layout: its scenarios/ beside src/
    shutil.copytree(SRC / "chainsim", edited / "chainsim", ignore=shutil.ignore_patterns("__pycache__"))
    for d in ("scenarios", "calibration"):
        (tmp_path / "edited" / d).symlink_to(ROOT / d)
    model = edited / "chainsim" / "engine" / "model.py"
    model.write_text(model.read_text() + "\n# an edit that changes nothing but the code\n")
    env = {**os.environ, "PYTHONPATH": str(edited), "PYTHONIOENCODING": "utf-8"}
    args = ("sweep", sweep, "--out", out, "--workers", "1", "--no-progress")
    proc = run_cli(*args, env=env)
    one_message(proc.returncode, proc.stderr, (2,))
    assert "made by other code" in proc.stderr and "--allow-version-change" in proc.stderr
    assert sorted(p.name for p in (out / "runs").iterdir()) == [parts[0].name]
    assert parts[0].read_bytes() == kept
    assert json.loads((out / "manifest.json").read_text()) == first  # not even the manifest changed
    proc = run_cli(*args, "--allow-version-change", env=env)
    assert proc.returncode == 0, proc.stderr
    m = json.loads((out / "manifest.json").read_text())
    assert m["environment"] == first["environment"] and m["code_hash"] == first["code_hash"]
    change = m["sessions"][-1]["version_change"]
    assert change["from"] == [first["code_hash"]] and change["to"] != first["code_hash"]
    assert change["allowed_by"] == "--allow-version-change"
    metas = {pq.read_schema(p).metadata[b"chainsim.code_hash"] for p in (out / "runs").glob("part-*.parquet")}
    assert len(metas) == 2  # each part says which code made its rows


# --------------------------------------------------------------------------- 5: sweep files
def _dry(capsys, tmp_path, base, **over):
    sweep = write_yaml(tmp_path / "s.yaml", sweep_doc(base, **over))
    code = main(["sweep", str(sweep), "--dry-run"])
    out, err = capsys.readouterr()
    return code, out, err


SLOTS = "strategies.commissioners.slots"


def test_group5_two_factors_with_the_same_key_are_refused(tmp_path, base, capsys):
    factors = {
        "a": {"kind": "lever", "key": SLOTS, "values": [0, 21]},
        "b": {"kind": "lever", "key": f" {SLOTS}", "values": [1, 2]},
    }
    code, _, err = _dry(capsys, tmp_path, base, factors=factors)
    one_message(code, err, (2,))
    assert "both set strategies.commissioners.slots" in err


def test_group5_every_value_of_a_factor_is_checked(tmp_path, base, capsys):
    factors = {"slots": {"kind": "lever", "key": SLOTS, "values": [*range(100), -1]}}
    code, _, err = _dry(capsys, tmp_path, base, factors=factors)
    one_message(code, err, (2,))
    assert "factors.slots.values" in err and "-1" in err


@pytest.mark.parametrize(
    "over",
    [
        {"factors": {"slots": {"kind": "lever", "key": SLOTS, "values": [0, 21, "40"]}}},
        {
            "factors": {"slots": {"kind": "lever", "key": SLOTS}},
            "design": {"method": "table", "table": [{"slots": 0}, {"slots": "21"}]},
        },
    ],
    ids=["values", "table"],
)
def test_group5_a_factors_values_have_one_type(tmp_path, base, capsys, over):
    code, _, err = _dry(capsys, tmp_path, base, **over)
    one_message(code, err, (2,))
    assert "mix" in err and "numbers and text" in err


# --------------------------------------------------------------------------- 6: bounded work
@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "extra, needle",
    [
        (["-r", "100000000"], "--replications: 100,000,000 is over the limit of 10,000"),
        (["--posterior-draws", "1000000"], "--posterior-draws: 1,000,000 is over the limit"),
        (["-r", "1000", "--posterior-draws", "1000"], "--posterior-draws × --replications"),
    ],
    ids=["replications", "draws", "draws-x-replications"],
)
def test_group6_run_limits(tmp_path, base, capsys, extra, needle):
    code = main(["run", str(base), *extra])
    err = capsys.readouterr().err
    one_message(code, err, (2,))
    assert needle in err


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "over, needle",
    [
        (
            {
                "factors": {
                    f"f{i}": {"kind": "uncertainty", "key": k, "range": r, "levels": 1000}
                    for i, (k, r) in enumerate(
                        [
                            ("pipeline.sign_prob_per_step", [0.01, 0.02]),
                            ("pipeline.event_close_prob", [0.01, 0.02]),
                            ("parks.anning.land_ha", [100, 200]),
                            ("parks.anning.infrastructure_mw", [100, 200]),
                        ]
                    )
                },
            },
            "design points: 1,000,000,000,000 is over the limit",
        ),
        (
            {"design": {"method": "latin_hypercube", "samples": 1_000_000}, "replications": 100},
            "runs (points × replications)",
        ),
    ],
    ids=["full-factorial-points", "runs"],
)
def test_group6_sweep_limits_before_any_point_is_built(tmp_path, base, capsys, over, needle):
    for how in (["--dry-run"], ["--out", str(tmp_path / "out")]):
        sweep = write_yaml(tmp_path / "s.yaml", sweep_doc(base, **over))
        code = main(["sweep", str(sweep), *how])
        err = capsys.readouterr().err
        one_message(code, err, (2,))
        assert needle in err and not (tmp_path / "out").exists()


def test_group6_work_above_the_available_memory_is_refused(tmp_path, base, capsys, monkeypatch):
    monkeypatch.setattr("chainsim.limits.mem_available", lambda: 500_000_000)
    code = main(["run", str(base), "--set", "population.pool_size=20000000", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    one_message(code, err, (2,))
    assert "needs about" in err and "500.0 MB available" in err and "--allow-large" in err
    assert not (tmp_path / "o").exists()
    sweep = write_yaml(tmp_path / "s.yaml", sweep_doc(base, set=["population.pool_size=20000000"]))
    code = main(["sweep", str(sweep), "--out", str(tmp_path / "o"), "--workers", "2"])
    err = capsys.readouterr().err
    one_message(code, err, (2,))
    assert "needs about" in err and not (tmp_path / "o").exists()


def test_group6_large_work_prints_its_estimate_first(tmp_path, base, capsys):
    sweep = write_yaml(
        tmp_path / "s.yaml",
        sweep_doc(base, design={"method": "latin_hypercube", "samples": 500_000}, replications=10),
    )
    assert main(["sweep", str(sweep), "--dry-run", "--workers", "2"]) == 0
    out = capsys.readouterr().out
    assert "5,000,000 runs on 2 worker(s): about" in out and "(estimate)" in out


def _merge_bomb(levels: int = 40) -> str:
    """~3 kB of YAML whose merge keys double a mapping at every level (2**40 values)."""
    lines = ["a0: &a0 {x: [1, 2, 3, 4, 5, 6, 7, 8]}"]
    for i in range(1, levels):
        lines += [
            f"p{i}: &p{i} {{k{i}: *a{i - 1}}}",
            f"q{i}: &q{i} {{j{i}: *a{i - 1}}}",
            f"a{i}: &a{i} {{<<: [*p{i}, *q{i}]}}",
        ]
    return "\n".join([*lines, f"name: *a{levels - 1}"]) + "\n"


@pytest.mark.parametrize("loader", ["default", "pure-python"])
def test_group6_yaml_merge_keys_cannot_expand_without_bound(tmp_path, loader):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_merge_bomb())
    code = (
        "import sys; import chainsim.config.yamlfile as y\n"
        + ("y.LineLoader = y.PyLineLoader\n" if loader == "pure-python" else "")
        + "from chainsim.cli import main; sys.exit(main(['validate', sys.argv[1]]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(bomb)],
        env=src_env(),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: __import__("resource").setrlimit(
            __import__("resource").RLIMIT_AS, (3_000_000_000, 3_000_000_000)
        ),
    )
    one_message(proc.returncode, proc.stderr, (2,))
    assert "too large" in proc.stderr


# --------------------------------------------------------------------------- 7: validate = run
BURN = ["--set", "calendar.burn_in_steps=5000", "--set", "calendar.burn_in_step_days=366"]


@pytest.mark.parametrize("cmd", ["validate", "run"])
def test_group7_a_burn_in_before_year_1_fails_validation(base, capsys, cmd):
    code = main([cmd, str(base), *BURN])
    err = capsys.readouterr().err
    one_message(code, err, (2,))
    assert "calendar" in err and "burn-in" in err and "before year 1" in err


def test_group7_a_burn_in_reaching_too_far_back_in_a_sweep_factor(tmp_path, base, capsys):
    factors = {"burn": {"kind": "uncertainty", "key": "calendar.burn_in_step_days", "values": [28, 366]}}
    code, _, err = _dry(capsys, tmp_path, base, factors=factors, set=["calendar.burn_in_steps=1500"])
    one_message(code, err, (2,))
    assert "factors.burn.values" in err and "burn-in" in err


@pytest.mark.parametrize(
    "where", ["--set", "sweep-set", "sweep-sets", "calibration-fixed"], ids=lambda w: w.replace("-", "_")
)
def test_group7_invalid_dates_by_every_route_are_one_message(tmp_path, base, capsys, where):
    bad = "strategies.leader_led.active_until=2023-02-30"
    if where == "--set":
        args = ["validate", str(base), "--set", bad]
    elif where.startswith("sweep"):
        over = (
            {"set": [bad]}
            if where == "sweep-set"
            else {"factors": {"lv": {"kind": "lever", "sets": {"a": [bad], "b": []}}}}
        )
        args = ["sweep", str(write_yaml(tmp_path / "s.yaml", sweep_doc(base, **over))), "--dry-run"]
    else:
        from paths import CALIBRATION_DIR

        cal = CALIBRATION_DIR / "kunming_2023.yaml"
        args = [
            "calibrate",
            str(cal),
            "--set",
            f"fixed=['{bad}']",
            "--out",
            str(tmp_path / "o"),
            "--report-only",
        ]
    code = main(args)
    err = capsys.readouterr().err
    one_message(code, err, (2,))
    assert "2023-02-30" in err


# --------------------------------------------------------------------------- 9: signals
def _long_sweep(tmp_path, base):
    factors = {"slots": {"kind": "lever", "key": SLOTS, "values": list(range(0, 60, 3))}}
    return write_yaml(tmp_path / "s.yaml", sweep_doc(base, factors=factors, replications=2))


def _start(tmp_path, *args, new_session=True, stdout=None):
    err = open(tmp_path / "stderr.txt", "w")  # noqa: SIM115 - closed by _finish
    proc = subprocess.Popen(
        [sys.executable, "-m", "chainsim.cli", *map(str, args)],
        cwd=ROOT,
        env=src_env(PYTHONIOENCODING="utf-8"),
        stdout=stdout if stdout is not None else subprocess.DEVNULL,
        stderr=err,
        start_new_session=new_session,  # its own process group, as a terminal's job is
        preexec_fn=ctrl_c_reaches,
    )
    proc.err_file = err
    return proc


def _wait_for(cond, proc, seconds=60.0):
    import time

    t0 = time.monotonic()
    while not cond():
        assert proc.poll() is None, "the sweep ended before the signal"
        assert time.monotonic() - t0 < seconds, "timed out"
        time.sleep(0.02)


def _stderr(tmp_path, proc):
    proc.err_file.close()
    return (tmp_path / "stderr.txt").read_text(encoding="utf-8")


@pytest.mark.slow  # ~15 s: the sweep is finished afterwards, to show nothing was lost
@pytest.mark.parametrize("when", ["start-up", "running"])
def test_group9_ctrl_c_stops_workers_cleanly_and_the_manifest_says_stopped(tmp_path, base, when):
    import signal

    sweep, out = _long_sweep(tmp_path, base), tmp_path / "out"
    proc = _start(
        tmp_path, "sweep", sweep, "--out", out, "--workers", "2", "--batch-rows", "1", "--no-progress"
    )
    if when == "start-up":
        _wait_for(lambda: (out / "manifest.json").exists(), proc)
    else:
        _wait_for(
            lambda: any((out / "runs").glob("part-*.parquet")) if (out / "runs").is_dir() else False, proc
        )
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C at a terminal: the whole process group
    code = proc.wait(timeout=60)
    err = _stderr(tmp_path, proc)
    assert code == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "rerun the same command" in err and "nothing was saved" not in err
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "stopped" and "interrupted" in m["stop_reason"]
    proc = run_cli("sweep", sweep, "--out", out, "--workers", "2", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert sorted(read_results(out)["run_id"].to_pylist()) == list(range(40))


def test_group9_sigterm_stops_like_ctrl_c(tmp_path, base):
    import signal

    sweep, out = _long_sweep(tmp_path, base), tmp_path / "out"
    proc = _start(
        tmp_path, "sweep", sweep, "--out", out, "--workers", "2", "--batch-rows", "1", "--no-progress"
    )
    _wait_for(lambda: (out / "runs").is_dir() and any((out / "runs").glob("part-*.parquet")), proc)
    proc.send_signal(signal.SIGTERM)  # a batch system ending the job: the driver only
    code = proc.wait(timeout=60)
    err = _stderr(tmp_path, proc)
    assert code == 130 and "Traceback" not in err, err
    assert json.loads((out / "manifest.json").read_text())["status"] == "stopped"


def test_group9_children_die_with_a_killed_driver(tmp_path, base):
    """SIGKILL of the driver: its fork server and workers exit too, so a caller reading the
    driver's output is not left waiting for them (they held the pipe open for minutes)."""
    import signal
    import time

    sweep, out = _long_sweep(tmp_path, base), tmp_path / "out"
    proc = _start(
        tmp_path,
        "sweep",
        sweep,
        "--out",
        out,
        "--workers",
        "2",
        "--batch-rows",
        "1",
        "--no-progress",
        stdout=subprocess.PIPE,
    )
    _wait_for(lambda: (out / "runs").is_dir() and any((out / "runs").glob("part-*.parquet")), proc)
    proc.send_signal(signal.SIGKILL)
    t0 = time.monotonic()
    proc.communicate(timeout=30)  # EOF only once every process holding the pipe has exited
    assert time.monotonic() - t0 < 15
    _stderr(tmp_path, proc)


# --------------------------------------------------------------------------- 10: extends, terminal
SECRET = "TOPSECRET_TOKEN: hunter2\n"


@pytest.mark.parametrize("target", ["parent-dir", "absolute", "symlink-out"])
def test_group10_extends_outside_the_allowed_places_is_refused_unread(tmp_path, capsys, target):
    secret = tmp_path / "secret.yaml"
    secret.write_text(SECRET)
    (tmp_path / "proj").mkdir()
    if target == "parent-dir":
        ref = "../secret.yaml"
    elif target == "absolute":
        ref = "/etc/passwd"
    else:
        (tmp_path / "proj" / "link.yaml").symlink_to(secret)
        ref = "link.yaml"
    scn = tmp_path / "proj" / "scn.yaml"
    scn.write_text(f"extends: {ref}\nname: x\n")
    code = main(["validate", str(scn)])
    err = capsys.readouterr().err
    one_message(code, err, (2,))
    assert "'extends:' may only name a file" in err and "--allow-extends" in err
    assert "TOPSECRET" not in err and "hunter2" not in err and "root:" not in err


def test_group10_allow_extends_and_no_content_in_errors(tmp_path, capsys):
    secret = tmp_path / "secret.yaml"
    secret.write_text("just: [a, list\nroot:x:0:0:root:/root:/bin/bash\n")  # broken YAML
    (tmp_path / "proj").mkdir()
    scn = tmp_path / "proj" / "scn.yaml"
    scn.write_text("extends: ../secret.yaml\nname: x\n")
    code = main(["--allow-extends", str(tmp_path), "validate", str(scn)])
    err = capsys.readouterr().err
    one_message(code, err, (2,))
    assert "not valid YAML" in err and "root:" not in err and "just" not in err
    code = main(["validate", str(scn)])  # the allowance was for that command only
    assert code == 2 and "may only name" in capsys.readouterr().err


@pytest.mark.parametrize(
    "path", ["scenarios/kunming_2023.yaml", "experiments/strategy_comparison/base_2023_2025.yaml"]
)
def test_group10_the_projects_own_extends_chains_keep_working(capsys, path):
    assert main(["validate", str(ROOT / path)]) == 0, capsys.readouterr().err


def test_group10_terminal_escape_codes_never_reach_the_terminal(tmp_path, capsys):
    scn = tmp_path / "esc.yaml"
    scn.write_text(f'extends: {tmp_path / "small.yaml"}\nname: "evil\\e]0;owned\\a\\e[2J"\n')
    small_scenario(tmp_path)
    code = main(["validate", str(scn)])
    err = capsys.readouterr().err
    one_message(code, err, (2,))
    assert "control character" in err and "\x1b" not in err and "\x07" not in err
    code = main(["validate", str(tmp_path / "missing\x1b[2J.yaml")])  # a file name that is a code
    err = capsys.readouterr().err
    assert code == 2 and "\x1b" not in err


def test_group10_a_sweep_name_cannot_leave_the_experiment_directory(tmp_path, base, capsys):
    code, _, err = _dry(capsys, tmp_path, base, name="../../outside")
    one_message(code, err, (2,))
    assert "name" in err


@pytest.mark.parametrize(
    "flags, cluster",
    [
        (["--queue", "normal\n#SBATCH --wrap=id"], {}),
        (["--memory", "8GB; id"], {}),
        ([], {"python": "python3; curl x | sh"}),
        ([], {"job_extra_directives": ["--qos=high\nid"]}),
        ([], {"local_directory": "$(id)"}),
    ],
    ids=["queue-newline", "memory-shell", "python-shell", "directive-newline", "dir-substitution"],
)
def test_group5_job_script_fields_match_strict_patterns(tmp_path, base, capsys, flags, cluster):
    sweep = write_yaml(tmp_path / "s.yaml", sweep_doc(base, cluster={"kind": "slurm", **cluster}))
    code = main(["sweep", str(sweep), "--cluster", "slurm", *flags, "--dry-run"])
    out, err = capsys.readouterr()
    one_message(code, err, (2,))
    assert "#!/" not in out  # no job script was printed


@pytest.mark.slow  # a Dask LocalCluster starts
def test_group9_ctrl_c_on_dask_stops_without_tracebacks(tmp_path, base):
    import signal

    factors = {"slots": {"kind": "lever", "key": SLOTS, "values": list(range(0, 60, 3))}}
    sweep = write_yaml(tmp_path / "s.yaml", sweep_doc(base, factors=factors, replications=10))
    out = tmp_path / "out"
    proc = _start(
        tmp_path,
        "sweep",
        sweep,
        "--out",
        out,
        "--backend",
        "dask",
        "--workers",
        "2",
        "--batch-rows",
        "1",
        "--no-progress",
    )
    _wait_for(lambda: (out / "runs").is_dir() and any((out / "runs").glob("part-*.parquet")), proc, 120)
    os.killpg(proc.pid, signal.SIGINT)
    code = proc.wait(timeout=60)
    err = _stderr(tmp_path, proc)
    assert code == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert json.loads((out / "manifest.json").read_text())["status"] == "stopped"


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
    steps=st.integers(0, 5000),
    burn_days=st.one_of(st.none(), st.integers(1, 366)),
    settle=st.integers(0, 3660),
    step_days=st.integers(1, 31),
)
def test_group7_validate_accepts_a_burn_in_exactly_when_the_engine_can_lay_it_out(
    start, steps, burn_days, settle, step_days
):
    """The schema's burn-in check computes the first day as the engine's Calendar does."""
    from pydantic import ValidationError

    from chainsim.config.schema import Calendar as CalendarConfig
    from chainsim.engine.calendar import Calendar

    fields = dict(
        start_date=start,
        end_date=start + dt.timedelta(days=400),
        step_days=step_days,
        burn_in_steps=steps,
        burn_in_step_days=burn_days,
        burn_in_settle_days=settle,
    )
    try:
        cfg = CalendarConfig(**fields)
    except ValidationError as exc:
        assert "burn-in" in str(exc)
        with pytest.raises((OverflowError, AssertionError, ValueError)):
            cal = Calendar(CalendarConfig.model_construct(**fields))
            assert cal.sim_start >= dt.date(1900, 1, 1)
        return
    assert Calendar(cfg).sim_start >= dt.date(1900, 1, 1)


@pytest.mark.slow
@pytest.mark.parametrize("cmd", ["run", "compare", "decompose", "targets"])
def test_group9_ctrl_c_stops_the_in_process_commands(tmp_path, base, cmd):
    """The commands that simulate in the driver itself stop on Ctrl-C with one message and
    exit 130, no traceback, and nothing half-written in --out."""
    import signal
    import time

    out = tmp_path / "out"
    long = ["-r", "2000"]  # far longer than the wait below
    args = {
        "run": ["run", base, *long, "--out", out],
        "compare": ["compare", base, base, *long, "--out", out],
        "decompose": ["decompose", base, base, "--seed", "3", *long, "--out", out],
        "targets": ["targets", base, *long, "--out", out],
    }[cmd]
    proc = _start(tmp_path, *args)
    time.sleep(4.0)  # imports and set-up done: simulating
    assert proc.poll() is None, _stderr(tmp_path, proc)
    os.killpg(proc.pid, signal.SIGINT)
    code = proc.wait(timeout=60)
    err = _stderr(tmp_path, proc)
    assert code == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "interrupted" in err
    assert not out.exists() or not [p for p in out.iterdir() if p.suffix in (".json", ".csv", ".parquet")]

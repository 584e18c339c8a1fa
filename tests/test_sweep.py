"""Tests of ``chainsim sweep`` (chainsim.sweep): sweep files, designs, seeds, results,
resuming, backends. Everything runs for real: the model, local process pools, a Dask
LocalCluster, and ``dask scheduler`` / ``dask worker`` processes on 127.0.0.1, killed with
SIGKILL where the test says so. Test sweeps use a 20,000-firm pool and a short burn-in.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

import chainsim
from chainsim.api import replicate_seeds
from chainsim.cli import main
from chainsim.sweep import load_sweep, read_results, run_sweep
from chainsim.sweep.design import design_points
from chainsim.sweep.runner import run_spec
from chainsim.sweep.seeds import model_seed
from chainsim.sweep.settings import point_config
from chainsim.sweep.worker import Run, run_chunk
from paths import DEFAULT_SCENARIO, EXPERIMENTS_DIR, ROOT, src_env

SMALL = ["population.pool_size=20000", "calendar.burn_in_steps=20"]
# ~30 ms a run: for the memory test's hundreds of runs (four months reported, no events)
CHEAP = [
    "population.pool_size=2000",
    "calendar.burn_in_steps=2",
    "calendar.burn_in_settle_days=28",
    "calendar.start_date=2023-05-01",
    "events={}",
    # the periods must start inside the shortened calendar
    "reporting.periods.2022H1=null",
    "reporting.periods.2022H2=null",
    "reporting.periods.2023H1.start=2023-05-01",
    "reporting.periods.2023_to_aug.start=2023-05-01",
]
OUTCOMES = [
    "periods.2023H1.funds_in_place_yi",
    "periods.2023H1.signings",
    "periods.*.fdi_usd_yi",
    "cohorts.2022.landing_rate",
]
ENV = src_env(PYTHONIOENCODING="utf-8")
_base = {"path": DEFAULT_SCENARIO}


@pytest.fixture(scope="module", autouse=True)
def frozen_base(tmp_path_factory):
    """The default scenario, resolved once into a file of its own: the tests compare sweeps
    run minutes apart, and recalibration may rewrite the default in between."""
    from chainsim.results.outputs import resolved_yaml

    path = tmp_path_factory.mktemp("base") / "kunming_2023.resolved.yaml"
    path.write_text(resolved_yaml(chainsim.load(DEFAULT_SCENARIO)), encoding="utf-8")
    _base["path"] = path
    yield path
    _base["path"] = DEFAULT_SCENARIO


def sweep_doc(**over: object) -> dict:
    doc = {
        "name": "test_sweep",
        "base": str(_base["path"]),
        "set": SMALL,
        "seed": 11,
        "replications": 2,
        "factors": {
            "city_trips": {
                "kind": "lever",
                "key": "strategies.leader_led.trips.city_2023h1.trips",
                "range": [5, 30],
                "integer": True,
            },
            "sign_prob": {"kind": "uncertainty", "key": "pipeline.sign_prob_per_step", "range": [0.01, 0.03]},
        },
        "design": {"method": "latin_hypercube", "samples": 4},
        "outcomes": OUTCOMES,
    }
    doc.update(over)
    return doc


def write(path: Path, doc: dict | str) -> Path:
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def table_of(out: Path):
    """The results without the timings (the only columns that may differ between runs)."""
    return read_results(out).drop_columns(["wall_time_s", "cpu_time_s"])


# --------------------------------------------------------------------------- bad sweep files
BAD = [
    (
        "unknown factor key",
        {"factors": {"slots": {"kind": "lever", "key": "strategies.commissioners.slot", "values": [1, 2]}}},
        ["factors.slots.key", "not a scenario field", "did you mean 'slots'"],
    ),
    (
        "unknown factor in a table",
        {"design": {"method": "table", "table": [{"city_trips": 5, "sign_prob": 0.02, "slotz": 3}]}},
        ["design.table.0", "unknown ['slotz']"],
    ),
    (
        "empty range",
        {
            "factors": {
                "p": {"kind": "uncertainty", "key": "pipeline.sign_prob_per_step", "range": [0.02, 0.02]}
            }
        },
        ["factors.p.range", "empty range"],
    ),
    (
        "sobol needs a power of two",
        {"design": {"method": "sobol", "samples": 100}},
        ["design", "power of two", "got 100", "try 64 or 128"],
    ),
    (
        "value outside the scenario's bounds",
        {
            "factors": {
                "p": {"kind": "uncertainty", "key": "pipeline.sign_prob_per_step", "range": [0.5, 1.5]}
            }
        },
        ["factors.p.range", "invalid scenario", "1.5"],
    ),
    (
        "unknown outcome",
        {"outcomes": ["periods.2023H1.funds_in_place"]},
        ["outcomes.0", "names no metric", "did you mean", "periods.2023H1.funds_in_place_yi"],
    ),
    (
        "a range on a switch",
        {"factors": {"on": {"kind": "lever", "key": "strategies.leader_led.enabled", "range": [0, 1]}}},
        ["factors.on.key", "not a number"],
    ),
    (
        "a whole-number field swept without integer: true",
        {"factors": {"slots": {"kind": "lever", "key": "strategies.commissioners.slots", "range": [5, 30]}}},
        ["factors.slots.range", "takes whole numbers", "add `integer: true`"],
    ),
    (
        "reserved factor name",
        {"factors": {"seed": {"kind": "lever", "key": "strategies.commissioners.slots", "values": [1, 2]}}},
        ["reserved"],
    ),
]


@pytest.mark.parametrize("case, over, needles", BAD, ids=[b[0] for b in BAD])
def test_bad_sweep_file_exit_2_nothing_written(tmp_path, capsys, case, over, needles):
    path = write(tmp_path / "bad.yaml", sweep_doc(**over))
    out = tmp_path / "out"
    code = main(["sweep", str(path), "--out", str(out), "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("chainsim: error: ") and "Traceback" not in err
    assert str(path) in err
    for needle in needles:
        assert needle in err, f"{needle!r} not in:\n{err}"
    assert not out.exists()


def test_bad_sweep_file_names_the_line(tmp_path, capsys):
    text = yaml.safe_dump(sweep_doc(), sort_keys=False).replace(
        "pipeline.sign_prob_per_step", "pipeline.sign_prob"
    )
    path = write(tmp_path / "bad.yaml", text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "pipeline.sign_prob" in t)
    assert main(["sweep", str(path), "--out", str(tmp_path / "o")]) == 2
    assert f"line {line}: factors.sign_prob.key" in capsys.readouterr().err


def test_unknown_top_level_key_and_unreachable_scheduler(tmp_path, capsys):
    path = write(tmp_path / "s.yaml", {**sweep_doc(), "replication": 3})
    assert main(["sweep", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "did you mean 'replications'" in capsys.readouterr().err
    good = write(tmp_path / "good.yaml", sweep_doc())
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "out"
    code = main(
        ["sweep", str(good), "--out", str(out), "--scheduler", f"tcp://127.0.0.1:{port}", "--timeout", "1"]
    )
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach the Dask scheduler" in err and "Traceback" not in err
    assert not out.exists()


# --------------------------------------------------------------------------- designs and seeds
def test_designs(tmp_path):
    ff = load_sweep(
        write(
            tmp_path / "ff.yaml",
            sweep_doc(
                design={"method": "full_factorial", "levels": 3},
                factors={
                    **sweep_doc()["factors"],
                    "slots": {"kind": "lever", "key": "strategies.commissioners.slots", "values": [0, 21]},
                },
            ),
        )
    )
    pts = design_points(ff)
    assert len(pts) == 3 * 3 * 2 and len({json.dumps(p, sort_keys=True) for p in pts}) == 18
    assert {p["city_trips"] for p in pts} == {5, 18, 30} and {p["sign_prob"] for p in pts} == {
        0.01,
        0.02,
        0.03,
    }

    lhs = load_sweep(
        write(tmp_path / "lhs.yaml", sweep_doc(design={"method": "latin_hypercube", "samples": 10}))
    )
    pts = design_points(lhs)
    assert pts == design_points(lhs)  # the same file gives the same points
    bins = sorted(int((p["sign_prob"] - 0.01) / 0.002) for p in pts)
    assert bins == list(range(10))  # one point in each tenth of the range: a Latin hypercube
    assert all(isinstance(p["city_trips"], int) and 5 <= p["city_trips"] <= 30 for p in pts)
    other = load_sweep(
        write(tmp_path / "lhs2.yaml", sweep_doc(seed=12, design={"method": "latin_hypercube", "samples": 10}))
    )
    assert design_points(other) != pts

    sob = load_sweep(write(tmp_path / "sob.yaml", sweep_doc(design={"method": "sobol", "samples": 16})))
    pts = design_points(sob)
    assert len(pts) == 16 and all(0.01 <= p["sign_prob"] <= 0.03 for p in pts)

    sal = load_sweep(write(tmp_path / "sal.yaml", sweep_doc(design={"method": "saltelli", "samples": 8})))
    pts = design_points(sal)
    k = 2
    assert len(pts) == 8 * (k + 2)
    for i in range(8):  # A, AB_1, AB_2, B: AB_j is A with column j from B
        a, ab1, ab2, b = pts[i * 4 : (i + 1) * 4]
        assert ab1 == {"city_trips": b["city_trips"], "sign_prob": a["sign_prob"]}
        assert ab2 == {"city_trips": a["city_trips"], "sign_prob": b["sign_prob"]}

    with (tmp_path / "points.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerows([["city_trips", "sign_prob"], [10, 0.015], [20, 0.025]])
    tab = load_sweep(
        write(tmp_path / "tab.yaml", sweep_doc(design={"method": "table", "table_file": "points.csv"}))
    )
    assert design_points(tab) == [
        {"city_trips": 10, "sign_prob": 0.015},
        {"city_trips": 20, "sign_prob": 0.025},
    ]


@pytest.mark.parametrize("path", sorted(EXPERIMENTS_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_experiment_files_are_valid(path, capsys):
    from chainsim.sweep.design import n_points

    sweep = load_sweep(path)
    assert len(design_points(sweep)) == n_points(sweep) > 0
    assert main(["sweep", str(path), "--dry-run"]) == 0
    assert f"{n_points(sweep)} points" in capsys.readouterr().out


def test_seeds_common_random_numbers():
    # replicate r of every point runs on the seed `chainsim run --seed S -r R` gives replicate r
    want = replicate_seeds(11, 3)
    for point in (0, 1, 57):
        assert [model_seed(11, point, r) for r in range(3)] == want
    indep = {model_seed(11, p, r, common_random_numbers=False) for p in range(5) for r in range(3)}
    assert len(indep) == 15 and not indep & set(want)


def test_worker_records_failures_and_keeps_going(tmp_path):
    sweep = load_sweep(write(tmp_path / "s.yaml", sweep_doc()))
    spec = run_spec(sweep)
    ok = Run(run_id=0, point=0, replicate=0, seed=5, values={"city_trips": 10, "sign_prob": 0.02})
    bad = Run(run_id=1, point=1, replicate=0, seed=5, values={"city_trips": 10, "sign_prob": 7.0})
    rows, failures = run_chunk(spec, [bad, ok])
    assert [r["run_id"] for r in rows] == [0] and [f["run_id"] for f in failures] == [1]
    assert "sign_prob_per_step" in failures[0]["error"] and "less than or equal to 1" in failures[0]["error"]


# --------------------------------------------------------------------------- a local sweep end to end
def test_local_sweep_end_to_end(tmp_path, capsys):
    path = write(tmp_path / "s.yaml", sweep_doc())
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "2"]) == 0
    captured = capsys.readouterr()
    assert "sweep complete: 8/8 runs" in captured.out
    assert "sweep test_sweep: 100%" in captured.err and "8/8" in captured.err  # the progress bar

    t = read_results(out)
    sweep = load_sweep(path)
    assert t.column_names == [
        "run_id",
        "point",
        "replicate",
        "seed",
        "city_trips",
        "sign_prob",
        "periods.2023H1.funds_in_place_yi",
        "periods.2023H1.signings",
        "periods.2022H1.fdi_usd_yi",
        "periods.2022H2.fdi_usd_yi",
        "periods.2023H1.fdi_usd_yi",
        "periods.2023_to_aug.fdi_usd_yi",
        "cohorts.2022.landing_rate",
        "wall_time_s",
        "cpu_time_s",
    ]
    assert t["run_id"].to_pylist() == list(range(8))
    rows = t.to_pylist()
    # common random numbers: the seed depends on the replicate only
    assert {r["replicate"]: r["seed"] for r in rows} == dict(enumerate(replicate_seeds(11, 2)))
    assert len({r["seed"] for r in rows}) == 2
    # a row is exactly the model run directly on that point's scenario and seed
    pts = design_points(sweep)
    row = rows[5]
    cfg = point_config(sweep.base_data, {n: f.key for n, f in sweep.spec.factors.items()}, pts[row["point"]])
    direct = chainsim.run(cfg, seed=11, replications=2)
    assert (
        row["periods.2023H1.funds_in_place_yi"]
        == direct.period_values("2023H1", "funds_in_place_yi")[row["replicate"]]
    )
    assert cfg.strategies.leader_led.trips["city_2023h1"].trips == row["city_trips"]

    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and m["runs_done"] == 8 and m["failures"] == []
    assert m["sweep"]["hash"] == sweep.hash and m["sweep"]["file_sha256"] == sweep.file_sha256
    env = m["environment"]
    assert env["chainsim_version"] == chainsim.__version__ and env["python"] == sys.version.split()[0]
    assert env["packages"]["numpy"] == np.__version__ and "pyarrow" in env["packages"]
    assert env["git"] is None or len(env["git"]["commit"]) == 40
    assert m["sessions"][0]["backend"] == "local" and m["sessions"][0]["workers"] == 2
    assert m["started"] <= m["ended"]
    assert pq.read_table(out / "design.parquet").num_rows == 4
    assert chainsim.load(out / "base_scenario.yaml") == sweep.base
    assert not list(out.rglob("*.tmp"))

    # rerun: nothing to do, nothing duplicated
    before = sorted(p.name for p in (out / "runs").iterdir())
    assert main(["sweep", str(path), "--out", str(out), "--workers", "2"]) == 0
    assert "(0 this time" in capsys.readouterr().out
    assert sorted(p.name for p in (out / "runs").iterdir()) == before

    # a different sweep into the same directory is refused; --force replaces the results
    other = write(tmp_path / "other.yaml", sweep_doc(seed=12))
    assert main(["sweep", str(other), "--out", str(out), "--workers", "1"]) == 2
    assert "holds results of a different sweep" in capsys.readouterr().err
    assert sorted(p.name for p in (out / "runs").iterdir()) == before
    assert main(["sweep", str(other), "--out", str(out), "--workers", "1", "--force", "--no-progress"]) == 0
    assert (
        read_results(out).num_rows == 8
        and json.loads((out / "manifest.json").read_text())["sweep"]["seed"] == 12
    )


def test_resume_after_losing_files(tmp_path):
    """Whatever part files survive, a rerun runs exactly the missing runs."""
    path = write(tmp_path / "s.yaml", sweep_doc(replications=3, set=CHEAP))
    out = tmp_path / "out"
    run_sweep(path, out, workers=1, batch_rows=4, progress=False)
    full = table_of(out)
    parts = sorted((out / "runs").glob("part-*.parquet"))
    assert len(parts) == 3
    lost = pq.read_table(parts[1], columns=["run_id"]).column("run_id").to_pylist()
    parts[1].unlink()
    (out / "runs" / ".part-0000-000009.parquet.abc.tmp").write_bytes(b"half a file")  # a killed write
    report = run_sweep(path, out, workers=1, batch_rows=4, progress=False)
    assert report.status == "complete" and report.runs_this_session == len(lost) == 4
    assert table_of(out).equals(full)
    assert not list(out.rglob("*.tmp"))


def test_cluster_dry_run_prints_job_script(tmp_path, capsys):
    doc = sweep_doc(
        cluster={
            "kind": "slurm",
            "queue": "normal",
            "account": "proj42",
            "cores": 8,
            "memory": "16GB",
            "walltime": "02:00:00",
            "jobs": 3,
            "job_script_prologue": ["module load python/3.12"],
        }
    )
    path = write(tmp_path / "s.yaml", doc)
    assert main(["sweep", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "4 points × 2 replicates = 8 runs" in out
    for needle in (
        "#SBATCH -p normal",
        "#SBATCH -A proj42",
        "#SBATCH --cpus-per-task=8",
        "#SBATCH -t 02:00:00",
        "module load python/3.12",
        "--nworkers 8",
        "--nthreads 1",
        "--lifetime 6600s",
        "DASK_INTERNAL_INHERIT_CONFIG=",
        "3 job(s)",
    ):
        assert needle in out, needle
    # flags override the file; PBS works too; nothing is written
    assert (
        main(
            [
                "sweep",
                str(path),
                "--cluster",
                "pbs",
                "--queue",
                "short",
                "--walltime",
                "00:30:00",
                "--dry-run",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "#PBS -q short" in out and "#PBS -l walltime=00:30:00" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]
    # the exported config really is the trim fix
    import dask

    line = next(x for x in out.splitlines() if "DASK_INTERNAL_INHERIT_CONFIG=" in x)
    conf = dask.config.deserialize(line.split("=", 1)[1])
    assert conf["distributed"]["nanny"]["pre-spawn-environ"] == {"MALLOC_TRIM_THRESHOLD_": None}
    assert conf["distributed"]["worker"]["profile"]["enabled"] is False  # the profiler costs every run CPU


# --------------------------------------------------------------------------- slow: backends, kills, memory
@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """A 40-run sweep (20 points × 2 replicates) and its serial results, the reference."""
    d = tmp_path_factory.mktemp("shared")
    path = write(d / "s40.yaml", sweep_doc(design={"method": "latin_hypercube", "samples": 20}))
    report = run_sweep(path, d / "serial", workers=1, progress=False)
    assert report.status == "complete" and report.runs_done == 40
    return path, table_of(d / "serial")


@pytest.mark.slow
def test_same_outcomes_local_1_2_and_dask(shared, tmp_path):
    path, serial = shared
    local2 = run_sweep(path, tmp_path / "local2", workers=2, progress=False)
    dask2 = run_sweep(path, tmp_path / "dask2", backend="dask", workers=2, progress=False)
    assert (local2.backend, local2.workers, dask2.backend, dask2.workers) == ("local", 2, "dask", 2)
    assert table_of(tmp_path / "local2").equals(serial)
    assert table_of(tmp_path / "dask2").equals(serial)


@pytest.mark.slow
def test_dask_housekeeping_off_during_sweeps():
    """chainsim's LocalCluster starts with the profiler off and the trim fix; on a cluster it
    did not start, a worker plugin turns the profiler off for the sweep and back on after."""
    import dask
    from distributed import Client, LocalCluster

    from chainsim.sweep.dask_backend import DaskBackend, _worker_state, connect_dask

    own = connect_dask(None, None, 1)
    try:
        [state] = own.client.run(_worker_state).values()
        assert state == {"profiler": False, "tick_ms": 500.0, "trim": None}
    finally:
        own.close()
    with (
        dask.config.set({"distributed.worker.profile.enabled": True}),
        LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
    ):
        with Client(cluster) as watcher:
            [before] = watcher.run(_worker_state).values()
            assert before["profiler"] and before["tick_ms"] == 20.0
            theirs = DaskBackend(Client(cluster.scheduler_address))  # cluster=None: someone else's workers
            theirs.start(warn=lambda text: None)
            [during] = watcher.run(_worker_state).values()
            theirs.close()
            [after] = watcher.run(_worker_state).values()
    assert (during["profiler"], during["tick_ms"]) == (False, 500.0)
    assert after == before


def _wait_for(cond, timeout: float, what: str) -> None:
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _rows_written(out: Path) -> int:
    return (
        sum(pq.read_metadata(p).num_rows for p in (out / "runs").glob("part-*.parquet"))
        if (out / "runs").exists()
        else 0
    )


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


@pytest.mark.slow
def test_dask_worker_killed_mid_sweep(shared, tmp_path):
    """Real `dask scheduler` + two `dask worker` processes; one is SIGKILLed mid-sweep."""
    path, serial = shared
    sched_file, out = tmp_path / "scheduler.json", tmp_path / "out"
    import dask

    # the workers get the trim fix the way the cluster job scripts pass it
    env = {
        **ENV,
        "DASK_INTERNAL_INHERIT_CONFIG": dask.config.serialize(
            {"distributed": {"nanny": {"pre-spawn-environ": {"MALLOC_TRIM_THRESHOLD_": None}}}}
        ),
    }
    py = sys.executable
    procs: list[subprocess.Popen] = []
    try:
        procs.append(
            subprocess.Popen(
                [
                    py,
                    "-m",
                    "distributed.cli.dask_scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--no-dashboard",
                    "--scheduler-file",
                    str(sched_file),
                ],
                env=env,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        _wait_for(sched_file.exists, 60, "the scheduler file")
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        py,
                        "-m",
                        "distributed.cli.dask_worker",
                        "--scheduler-file",
                        str(sched_file),
                        "--host",
                        "127.0.0.1",
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--memory-limit",
                        "2GiB",
                    ],
                    env=env,
                    start_new_session=True,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        from distributed import Client

        with Client(scheduler_file=str(sched_file), timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        sweep = subprocess.Popen(
            [
                py,
                "-m",
                "chainsim.cli",
                "sweep",
                str(path),
                "--out",
                str(out),
                "--scheduler-file",
                str(sched_file),
                "--batch-rows",
                "2",
                "--chunk",
                "1",
                "--no-progress",
            ],
            env=env,
            cwd=ROOT,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(sweep)
        _wait_for(lambda: _rows_written(out) >= 4 or sweep.poll() is not None, 120, "the first results")
        assert sweep.poll() is None, sweep.communicate()
        _kill_group(procs[1])  # SIGKILL one worker (its nanny and its worker process)
        killed_at = _rows_written(out)
        stdout, stderr = sweep.communicate(timeout=240)
        assert sweep.returncode == 0, stderr
        assert killed_at < 40, "the worker was killed after the sweep had finished"
        assert "MALLOC_TRIM_THRESHOLD_" not in stderr  # the trim fix reached the workers
    finally:
        for p in reversed(procs):
            _kill_group(p)
    t = table_of(out)
    assert t.num_rows == 40 and t["run_id"].to_pylist() == list(range(40))  # every run exactly once
    assert t.equals(serial)


@pytest.mark.slow
def test_sweep_sigkilled_then_resumed(shared, tmp_path):
    path, serial = shared
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "chainsim.cli",
        "sweep",
        str(path),
        "--out",
        str(out),
        "--workers",
        "2",
        "--batch-rows",
        "3",
        "--chunk",
        "1",
        "--no-progress",
    ]
    proc = subprocess.Popen(
        cmd, env=ENV, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for(lambda: _rows_written(out) >= 6 or proc.poll() is not None, 120, "the first results")
        os.kill(proc.pid, signal.SIGKILL)  # the driver only: its pool workers must notice and exit
        proc.wait(timeout=30)
        done = _rows_written(out)
        assert 6 <= done < 40
        # no orphans: the pool workers and the fork server follow the driver
        _wait_for(lambda: not _group_alive(proc.pid), 20, "the pool workers to exit")
    finally:
        _kill_group(proc)
    for part in (out / "runs").glob("part-*.parquet"):
        pq.read_table(part)  # every file that exists is complete
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "running" and m["runs_done"] <= done
    again = subprocess.run(cmd, env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"{done} of 40 runs already done" in again.stderr
    t = table_of(out)
    assert t.num_rows == 40 and len(set(t["run_id"].to_pylist())) == 40
    assert t.equals(serial)
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_memory_flat(tmp_path):
    """The driver's memory does not grow with the number of runs: 80 vs 400 runs of the
    same 10 design points (so the design itself is the same size)."""

    def peak(replications: int) -> tuple[int, int]:
        path = write(
            tmp_path / f"m{replications}.yaml",
            sweep_doc(
                set=CHEAP, replications=replications, design={"method": "latin_hypercube", "samples": 10}
            ),
        )
        tracemalloc.start()
        try:
            report = run_sweep(
                path, tmp_path / f"out{replications}", workers=2, batch_rows=25, progress=False
            )
            _, top = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert report.status == "complete"
        return top, read_results(tmp_path / f"out{replications}").num_rows

    small, n_small = peak(8)
    large, n_large = peak(40)
    assert (n_small, n_large) == (80, 400)
    rows = read_results(tmp_path / "out40").to_pylist()
    tracemalloc.start()
    held = [dict(r) for r in rows[:320]]  # what keeping the extra 320 rows as dicts would cost
    row_cost, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del held
    print(
        f"driver peak: {small / 1024:.0f} KiB for 80 runs, {large / 1024:.0f} KiB for 400 runs; "
        f"holding 320 rows would take {row_cost / 1024:.0f} KiB"
    )
    assert large - small < row_cost / 4


@pytest.mark.slow
def test_local_pool_worker_killed_mid_sweep(shared, tmp_path):
    """The default backend: SIGKILL one process of the local pool mid-sweep; the pool is
    rebuilt, the lost chunks rerun, and the results equal the serial run."""
    import threading

    from chainsim.sweep.backends import LocalBackend

    path, serial = shared
    out = tmp_path / "out"
    backend = LocalBackend(2)
    reports = []
    try:
        backend.start()
        victim = next(iter(backend._pool._processes))  # a worker process of the pool
        thread = threading.Thread(
            target=lambda: reports.append(
                run_sweep(path, out, backend=backend, batch_rows=2, chunk=1, progress=False)
            )
        )
        thread.start()
        _wait_for(lambda: _rows_written(out) >= 4 or not thread.is_alive(), 120, "the first results")
        assert thread.is_alive()
        os.kill(victim, signal.SIGKILL)
        thread.join(timeout=240)
        assert not thread.is_alive()
        assert victim not in backend._pool._processes  # the pool was rebuilt
    finally:
        backend.close()
    assert reports[0].status == "complete"
    assert table_of(out).equals(serial)


def test_dry_run_reads_like_yaml_with_keys_shown(capsys):
    # a multiply factor shows what it multiplies (it has no key: it used to print "None"),
    # points print as name=value with the settings they resolve to, not as Python dicts
    assert main(["sweep", str(EXPERIMENTS_DIR / "strategy_tradeoff.yaml"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "multiplies: strategies.leader_led.trips" in out and " None" not in out
    assert "{'" not in out and "points:\n  0: leader_trips=" in out
    assert "sets strategies.leader_led.trips." in out


# --------------------------------------------------------------------------- the Saltelli design (SALib)
def _hand_written_saltelli(k: int, n: int, seed: int, scramble: bool) -> np.ndarray:
    """The A/B matrices chainsim drew itself before SALib did (design version 1)."""
    from scipy.stats import qmc

    from chainsim.sweep.seeds import design_seed

    rng = np.random.default_rng(design_seed(seed))
    ab = qmc.Sobol(d=2 * k, scramble=scramble, rng=rng).random_base2(int(np.log2(n)))
    a, b = ab[:, :k], ab[:, k:]
    out = np.empty((n, k + 2, k))
    out[:, 0], out[:, k + 1] = a, b
    for j in range(k):
        out[:, j + 1] = a
        out[:, j + 1, j] = b[:, j]
    return out.reshape(n * (k + 2), k)


@pytest.mark.parametrize("k, n, seed, scramble", [(2, 8, 11, True), (5, 64, 1, True), (3, 16, 7, False)])
def test_saltelli_points_come_from_salib_unchanged(k, n, seed, scramble):
    """SALib's sobol.sample, given the design's generator, draws exactly the points the
    hand-written matrices did: results directories written before stay resumable (design
    version 1). Should a SALib or SciPy release change them, this fails: raise the version."""
    from chainsim.sweep.design import unit_sample
    from chainsim.sweep.spec import DESIGN_VERSION

    assert DESIGN_VERSION["saltelli"] == 1
    assert np.array_equal(
        unit_sample("saltelli", k, n, seed, scramble), _hand_written_saltelli(k, n, seed, scramble)
    )


def test_sobol_indices_of_the_ishigami_function_from_the_saltelli_design():
    """analyze's Sobol indices on the design's own points, for a function whose indices are
    known (Ishigami, a = 7, b = 0.1: S1 = .314, .442, 0; ST = .558, .442, .244) and for one
    that depends on a single factor (ST = 1 for it, exactly 0 for the others)."""
    from chainsim.sweep.design import unit_sample
    from chainsim.sweep.importance import sobol

    n = 1024
    x = unit_sample("saltelli", 3, n, seed=3) * 2 * np.pi - np.pi
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    imp = sobol(y, ["x1", "x2", "x3"], n, seed=3)
    expected = {"x1": (0.314, 0.558), "x2": (0.442, 0.442), "x3": (0.0, 0.244)}
    for f, (s1, st) in expected.items():
        for index, true in (("S1", s1), ("ST", st)):
            v, lo, hi = imp.values[f][index]
            assert abs(v - true) < 0.05 and lo - 0.02 <= true <= hi + 0.02, (f, index, v, lo, hi)
    assert imp.ranked() == ["x1", "x2", "x3"] and imp.warnings == []

    only = sobol(x[:, 1] ** 2, ["x1", "x2", "x3"], n, seed=3)
    assert only.values["x2"]["ST"][0] == pytest.approx(1, abs=0.03)
    assert only.values["x1"]["ST"][0] == only.values["x3"]["ST"][0] == 0


def test_saltelli_without_salib_names_the_extra(tmp_path):
    """SALib is in the analysis extra: without it a saltelli sweep stops with exit 2 and says
    what to install, before anything is written; other designs do not need it."""
    sal = write(tmp_path / "sal.yaml", sweep_doc(design={"method": "saltelli", "samples": 8}))
    lhs = write(tmp_path / "lhs.yaml", sweep_doc())
    code = (
        "import sys; sys.modules['SALib'] = None\n"  # as if not installed: importing it fails
        "from chainsim.cli import main\n"
        "sys.exit(main(sys.argv[1:]))"
    )
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-c", code, "sweep", str(sal), "--out", str(out)],
        capture_output=True, text=True, env=ENV, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "saltelli design is drawn by SALib" in proc.stderr and "chainsim[analysis]" in proc.stderr
    assert "Traceback" not in proc.stderr and not out.exists()
    proc = subprocess.run(
        [sys.executable, "-c", code, "sweep", str(lhs), "--dry-run"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr


def test_results_of_another_design_version_are_not_resumed(tmp_path, capsys, monkeypatch):
    """A directory whose manifest records an older version of the design's algorithm is
    refused (exit 2, naming the directory and the way out), not resumed with other points;
    --force replaces it. A manifest from before versions were recorded counts as version 1."""
    from chainsim.sweep import spec

    path = write(
        tmp_path / "s.yaml", sweep_doc(set=CHEAP, replications=1, design={"method": "saltelli", "samples": 2})
    )
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sweep"]["design"] == "saltelli" and manifest["sweep"]["design_version"] == 1
    del manifest["sweep"]["design_version"]  # as written before the version was recorded
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    capsys.readouterr()
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    assert "(0 this time" in capsys.readouterr().out

    before = sorted(p.name for p in (out / "runs").iterdir())
    monkeypatch.setitem(spec.DESIGN_VERSION, "saltelli", 2)  # a chainsim that draws other points
    assert load_sweep(path).hash != manifest["sweep"]["hash"]
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"--out {out}: its results are at the points of version 1 of the saltelli design" in err
    assert "draws version 2" in err and "fresh --out" in err and "--force" in err
    assert sorted(p.name for p in (out / "runs").iterdir()) == before
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--no-progress", "--force"]) == 0
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["sweep"]["design_version"] == 2


def test_other_design_points_are_not_resumed(tmp_path, capsys):
    """Same sweep hash, but design.parquet holds other points than the file gives now (a
    library drawing the design changed under --allow-version-change): refused, then --force."""
    path = write(tmp_path / "s.yaml", sweep_doc(set=CHEAP, replications=1))
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    design = pq.read_table(out / "design.parquet")
    values = design.column("sign_prob").to_pylist()
    moved = design.set_column(
        design.column_names.index("sign_prob"),
        "sign_prob",
        pa.array([values[0], values[1] + 1e-9, *values[2:]]),
    )
    pq.write_table(moved, out / "design.parquet")
    capsys.readouterr()
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"--out {out}: design.parquet holds other design points" in err
    assert (
        f"point 1: sign_prob = {values[1] + 1e-9!r} there, {values[1]!r} now" in err and "fresh --out" in err
    )
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--no-progress", "--force"]) == 0
    assert pq.read_table(out / "design.parquet").column("sign_prob").to_pylist() == values

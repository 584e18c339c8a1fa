"""Benchmark: a 200-run sweep of the default scenario on every backend, the sweep's overhead
over calling the model directly, and the effect of Dask's nanny MALLOC_TRIM_THRESHOLD_ and
of Dask's housekeeping (not a test; it never fails on a slow machine).

Measured in one process, one after another, on the same runs (100 Latin-hypercube points
of two levers × 2 replicates of scenarios/kunming_2023.yaml, its 300,000-firm pool):

* ``direct``        the floor for one process: ``ChainModel(cfg, seed).run()`` and the
                    replicate's ``summary()`` in a plain loop in this process, each point's
                    scenario validated beforehand (untimed; the sweep's validation counts as
                    its overhead). Measured first and again last: the mean is the reference,
                    the difference shows how much the machine drifted meanwhile;
* ``direct_par``    the floor for N processes: the same loop in N worker processes started
                    beforehand, each on every N-th run, all starting at the same instant —
                    what N cores give with no sweep code at all (two busy cores share caches
                    and memory bandwidth, so this is not N × direct);
* ``serial``        ``chainsim sweep --workers 1`` (in this process);
* ``local``         ``--workers N``: a ProcessPoolExecutor (forkserver);
* ``dask``          ``--backend dask --workers N``: the LocalCluster chainsim starts
                    (``dask_backend.DASK_CONFIG``: trim fix, profiler off, slow ticks);
* ``dask_trim_only`` the same LocalCluster with the trim fix only (Dask's profiler and
                    50 Hz ticks on, as chainsim had before);
* ``dask_default``  Dask's defaults (the nanny sets MALLOC_TRIM_THRESHOLD_=65536).

**Time** of a sweep runs from the first run sent to the last result written (cluster and
process start-up excluded, reported apart). **CPU** of a sweep is the user + system time of
every process involved — this one (driver, and for Dask the scheduler and nannies) and all
its child processes (workers, fork server) — over the same interval.

**Overhead per run** (the goal is ≤ 5 %), two ways, both against the floor with the same
number of processes measured in this same benchmark run:

* wall: sweep time / floor time − 1 (serial against ``direct``, N workers against
  ``direct_par``); sensitive to other load on the machine (see loadavg);
* CPU: sweep CPU per run / floor CPU per run − 1; what the sweep machinery costs.

Also reported: speed-up over serial (goal ≥ 1.8 with 2 workers) and over ``direct``.
All sweeps must give identical results. Writes benchmarks/dask_trim.json. Usage::

    PYTHONPATH=src python benchmarks/dask_trim.py [--runs 200] [--workers 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def sweep_file(where: Path, runs: int) -> Path:
    import chainsim
    from chainsim.results.outputs import resolved_yaml

    # the default scenario resolved once: every backend runs the same one even if the
    # default is recalibrated while the benchmark runs
    base = where / "base.yaml"
    base.write_text(resolved_yaml(chainsim.load(ROOT / "scenarios" / "kunming_2023.yaml")), encoding="utf-8")
    doc = {
        "name": "bench_default_scenario",
        "base": str(base),
        "seed": 2023,
        "replications": 2,
        "factors": {
            "city_trips": {
                "kind": "lever",
                "key": "strategies.leader_led.trips.city_2023h1.trips",
                "range": [5, 30],
                "integer": True,
            },
            "slots": {
                "kind": "lever",
                "key": "strategies.commissioners.slots",
                "range": [0, 60],
                "integer": True,
            },
        },
        "design": {"method": "latin_hypercube", "samples": runs // 2},
        "outcomes": [
            "periods.2023H1.funds_in_place_yi",
            "periods.2023H1.signings",
            "cohorts.2022.landing_rate",
        ],
    }
    path = where / "bench.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def _runs(path: Path) -> tuple[list, list[tuple[int, int, int]]]:
    """Each point's validated scenario, and the sweep's runs as (point, replicate, seed)."""
    from chainsim.sweep import load_sweep
    from chainsim.sweep.design import design_points
    from chainsim.sweep.seeds import model_seed
    from chainsim.sweep.settings import point_config

    sweep = load_sweep(path)
    keys = {n: f.key for n, f in sweep.spec.factors.items()}
    cfgs = [point_config(sweep.base_data, keys, p) for p in design_points(sweep)]
    runs = [
        (p, r, model_seed(sweep.seed, p, r, sweep.spec.common_random_numbers))
        for p in range(len(cfgs))
        for r in range(sweep.spec.replications)
    ]
    return cfgs, runs


def _direct_loop(cfgs: list, runs: list[tuple[int, int, int]]) -> tuple[float, float]:
    """The model called directly on ``runs``: (wall seconds, CPU seconds of this process)."""
    import numpy as np

    from chainsim.engine.calendar import Calendar
    from chainsim.engine.model import ChainModel
    from chainsim.results.summary import Replicate, Results

    cals = {}
    t0, c0 = time.perf_counter(), time.process_time()
    for p, _r, seed in runs:
        cfg = cfgs[p]
        cal = cals.get(p) or cals.setdefault(p, Calendar(cfg.calendar))
        model = ChainModel(cfg, rng=seed).run()
        res = Results(config=cfg, seed=seed, replicates=[Replicate(seed, model.recorder)])
        res.date_end, res.burn_in = cal.date_end, cal.burn_in
        with np.errstate(all="ignore"):
            res.summary()
    return time.perf_counter() - t0, time.process_time() - c0


def direct(path: Path) -> dict:
    """The model alone, in this process, on exactly the sweep's runs."""
    cfgs, runs = _runs(path)
    seconds, cpu = _direct_loop(cfgs, runs)
    n = len(runs)
    return {
        "runs": n,
        "seconds": seconds,
        "runs_per_s": n / seconds,
        "s_per_run": seconds / n,
        "cpu_s_per_run": cpu / n,
    }


def _direct_share(path: str, k: int, n: int, start_at: float) -> tuple[float, float, int]:
    """In a worker process: every n-th run from the k-th, started at wall-clock ``start_at``."""
    cfgs, runs = _runs(Path(path))
    while time.time() < start_at:
        time.sleep(0.001)
    seconds, cpu = _direct_loop(cfgs, runs[k::n])
    return seconds, cpu, len(runs[k::n])


def direct_parallel(path: Path, workers: int) -> dict:
    """The model alone in ``workers`` processes at once: the floor of a parallel sweep."""
    import concurrent.futures as cf

    from chainsim.sweep.backends import mp_context

    with cf.ProcessPoolExecutor(workers, mp_context=mp_context()) as pool:
        start_at = time.time() + 3.0 + 0.5 * workers  # after every worker has validated its scenarios
        parts = list(
            pool.map(
                _direct_share,
                [str(path)] * workers,
                range(workers),
                [workers] * workers,
                [start_at] * workers,
            )
        )
    seconds = max(p[0] for p in parts)
    n = sum(p[2] for p in parts)
    return {
        "runs": n,
        "workers": workers,
        "seconds": seconds,
        "runs_per_s": n / seconds,
        "cpu_s_per_run": sum(p[1] for p in parts) / n,
        "worker_seconds": [p[0] for p in parts],
    }


def _tree_cpu() -> float:
    """CPU seconds (user + system) of this process and all its living descendants."""
    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.Error:
            pass
    return total


def sweep(path: Path, out: Path, backend: object, label: str) -> dict:
    from chainsim.sweep import read_results, run_sweep

    t_up = time.monotonic()
    backend.start(lambda text: print(f"  warning: {text}", flush=True))  # processes up before CPU is counted
    startup = time.monotonic() - t_up  # run_sweep starts it again (a no-op by now): its start-up is ~0
    c0, tree0 = time.process_time(), _tree_cpu()
    rep = run_sweep(path, out, backend=backend, progress=False)
    driver_cpu, tree_cpu = time.process_time() - c0, _tree_cpu() - tree0
    assert rep.status == "complete", rep.message
    t = read_results(out)
    cpu = sum(t["cpu_time_s"].to_pylist()) / t.num_rows
    wall = sum(t["wall_time_s"].to_pylist()) / t.num_rows
    n = rep.runs_this_session
    print(
        f"  {label:<14} {rep.seconds:6.1f} s  {n / rep.seconds:5.2f} runs/s  CPU {tree_cpu / n:.3f} s/run "
        f"(in runs {cpu:.3f}; start-up {startup:.1f} s; workers busy "
        f"{100 * wall * n / (rep.seconds * rep.workers):.0f} %)",
        flush=True,
    )
    return {
        "seconds": rep.seconds,
        "startup_seconds": startup,
        "runs": n,
        "runs_per_s": n / rep.seconds,
        "workers": rep.workers,
        "cpu_s_per_run": tree_cpu / n,  # every process of the sweep, per run
        "run_cpu_s_per_run": cpu,  # inside run_one (its worker process, all threads)
        "run_wall_s_per_run": wall,
        "driver_cpu_s": driver_cpu,
        # share of the sweep's time the workers spent inside runs: 1.0 = never waiting for the driver
        "worker_busy_fraction": wall * n / (rep.seconds * rep.workers),
    }


def dask_backend(workers: int, kind: str) -> tuple[object, dict]:
    """kind: "chainsim" (what `--backend dask` starts), "trim_only" or "default"."""
    import dask
    from distributed import Client, LocalCluster

    from chainsim.sweep.dask_backend import TRIM_FIX, DaskBackend, _worker_state, connect_dask

    if kind == "chainsim":
        backend = connect_dask(None, None, workers)
    else:
        with dask.config.set(TRIM_FIX if kind == "trim_only" else {}):
            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
        backend = DaskBackend(Client(cluster), cluster, quiet=False)
    states = list(backend.client.run(_worker_state).values())
    return backend, {k: sorted({str(s[k]) for s in states}) for k in states[0]}


def _ratio(a: float, b: float) -> float:
    return a / b - 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "dask_trim.json")
    args = ap.parse_args()

    from chainsim.sweep import read_results
    from chainsim.sweep.backends import LocalBackend, SerialBackend

    load0 = os.getloadavg()
    res: dict = {}
    w = args.workers
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = sweep_file(tmp, args.runs)
        print(f"{args.runs} runs of the default scenario, {w} workers, {os.cpu_count()} cores", flush=True)

        def show_direct(key: str) -> None:
            d = res[key]
            print(
                f"  {key:<14} {d['seconds']:6.1f} s  {d['runs_per_s']:5.2f} runs/s  CPU {d['cpu_s_per_run']:.3f} s/run",
                flush=True,
            )

        res["direct_first"] = direct(path)
        show_direct("direct_first")
        res["serial"] = sweep(path, tmp / "serial", SerialBackend(), "serial")
        res["direct_par"] = direct_parallel(path, w)
        show_direct("direct_par")
        local = LocalBackend(w)
        try:
            res["local"] = sweep(path, tmp / "local", local, "local")
        finally:
            local.close()
        states = {}
        for kind in ("chainsim", "trim_only", "default"):
            key = "dask" if kind == "chainsim" else f"dask_{kind}"
            backend, states[key] = dask_backend(w, kind)
            try:
                res[key] = sweep(path, tmp / key, backend, key)
            finally:
                backend.close()
        res["direct_last"] = direct(path)
        show_direct("direct_last")
        timing = ["wall_time_s", "cpu_time_s"]
        ref = read_results(tmp / "serial").drop_columns(timing)
        identical = {
            k: read_results(tmp / k).drop_columns(timing).equals(ref)
            for k in ("local", "dask", "dask_trim_only", "dask_default")
        }

    first, last = res["direct_first"], res["direct_last"]
    res["direct"] = {
        "seconds": (first["seconds"] + last["seconds"]) / 2,
        "cpu_s_per_run": (first["cpu_s_per_run"] + last["cpu_s_per_run"]) / 2,
        "drift": last["seconds"] / first["seconds"] - 1,
    }
    d, dp = res["direct"], res["direct_par"]
    serial = res["serial"]
    overhead = {
        "serial": {
            "wall": _ratio(serial["seconds"], d["seconds"]),
            "cpu": _ratio(serial["cpu_s_per_run"], d["cpu_s_per_run"]),
        }
    }
    for k in ("local", "dask", "dask_trim_only", "dask_default"):
        overhead[k] = {
            "wall": _ratio(res[k]["seconds"], dp["seconds"]),
            "cpu": _ratio(res[k]["cpu_s_per_run"], dp["cpu_s_per_run"]),
        }
    speedup = {
        k: serial["seconds"] / res[k]["seconds"] for k in ("local", "dask", "dask_trim_only", "dask_default")
    }
    speedup["direct_par"] = d["seconds"] / dp["seconds"]
    goals = {"two_workers_speedup_min": 1.8, "overhead_max": 0.05}
    met = {f"{k}_speedup": speedup[k] >= goals["two_workers_speedup_min"] for k in ("local", "dask")}
    met |= {
        f"{k}_overhead_{m}": overhead[k][m] <= goals["overhead_max"]
        for k in ("serial", "local", "dask")
        for m in ("wall", "cpu")
    }
    report = {
        "benchmark": "dask_trim",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "command": f"PYTHONPATH=src python benchmarks/dask_trim.py --runs {args.runs} --workers {w}",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "loadavg_before": load0,
            "loadavg_after": os.getloadavg(),
        },
        "runs": args.runs,
        "workers": w,
        "results": res,
        "dask_worker_settings": states,
        "identical_to_serial": identical,
        "speedup_over_serial": speedup,
        "overhead_per_run": overhead,
        "effects": {
            "trim_fix_speedup": res["dask_trim_only"]["runs_per_s"] / res["dask_default"]["runs_per_s"],
            "trim_fix_cpu_ratio": res["dask_default"]["cpu_s_per_run"]
            / res["dask_trim_only"]["cpu_s_per_run"],
            "quiet_speedup": res["dask"]["runs_per_s"] / res["dask_trim_only"]["runs_per_s"],
            "quiet_cpu_ratio": res["dask_trim_only"]["cpu_s_per_run"] / res["dask"]["cpu_s_per_run"],
            "dask_over_local": res["dask"]["runs_per_s"] / res["local"]["runs_per_s"],
        },
        "goals": goals,
        "goals_met": met,
        "notes": "overhead_per_run: wall = sweep time over the floor's time with the same number of processes "
        "(serial vs direct = mean of direct_first and direct_last; N workers vs direct_par), minus 1; "
        "cpu = CPU seconds of every process of the sweep (driver, scheduler, nannies, workers) per run "
        "over the floor's CPU per run, minus 1. speedup_over_serial = serial time / backend time.",
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(
        json.dumps(
            {
                "speedup_over_serial": speedup,
                "overhead_per_run": overhead,
                "effects": report["effects"],
                "direct_drift": d["drift"],
            },
            indent=2,
        )
    )
    print(f"goals met: {met}")
    print(f"results identical to the serial sweep: {identical}; wrote {args.out}")


if __name__ == "__main__":  # required: Dask and forkserver workers must not re-run this script
    main()

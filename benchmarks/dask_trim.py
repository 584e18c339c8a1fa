"""Benchmark: a 200-run sweep of the default scenario on every backend, and the effect of
Dask's nanny MALLOC_TRIM_THRESHOLD_ (not a test; it never fails on a slow machine).

Measured in one process, one after another, on the same runs (100 Latin-hypercube points
of two levers × 2 replicates of scenarios/kunming_2023.yaml, its 300,000-firm pool):

* ``direct``     the model called directly in this process: ``ChainModel(cfg, seed).run()``
                 and the replicate's ``summary()``, for every run — the floor;
* ``serial``     ``chainsim sweep --workers 1`` (in this process): direct + sweep overhead;
* ``local``      ``--workers 2``: a ProcessPoolExecutor (forkserver);
* ``dask_fix``   ``--backend dask --workers 2``: a LocalCluster with
                 ``distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_: None``;
* ``dask_nofix`` the same LocalCluster with Dask's default (the nanny sets 65536).

Each sweep reports wall-clock throughput and the CPU seconds per run measured in the
workers (``cpu_time_s``, user + system), which other load on the machine does not inflate:
the trim threshold's cost is CPU work (page faults), so it shows in both.

Sweep times run from the first run sent to the last result written: cluster and process
start-up (reported separately) are excluded. All sweeps must give identical results.
Writes benchmarks/dask_trim.json. Usage::

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
    from chainsim.outputs import resolved_yaml

    # the default scenario resolved once: every backend runs the same one even if the
    # default is recalibrated while the benchmark runs
    base = where / "base.yaml"
    base.write_text(resolved_yaml(chainsim.load(ROOT / "scenarios" / "kunming_2023.yaml")), encoding="utf-8")
    doc = {
        "name": "bench_default_scenario", "base": str(base),
        "seed": 2023, "replications": 2,
        "factors": {
            "city_trips": {"kind": "lever", "key": "strategies.leader_led.trips.city_2023h1.trips",
                           "range": [5, 30], "integer": True},
            "slots": {"kind": "lever", "key": "strategies.commissioners.slots", "range": [0, 60], "integer": True},
        },
        "design": {"method": "latin_hypercube", "samples": runs // 2},
        "outcomes": ["periods.2023H1.funds_in_place_yi", "periods.2023H1.signings", "cohorts.2022.landing_rate"],
    }
    path = where / "bench.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def direct(path: Path) -> dict:
    """The model alone, in this process, on exactly the sweep's runs."""
    import numpy as np

    from chainsim.calendar import Calendar
    from chainsim.model import ChainModel
    from chainsim.results import Replicate, Results
    from chainsim.sweep import load_sweep
    from chainsim.sweep.config import point_config
    from chainsim.sweep.design import design_points
    from chainsim.sweep.seeds import model_seed

    sweep = load_sweep(path)
    keys = {n: f.key for n, f in sweep.spec.factors.items()}
    cfgs = [point_config(sweep.base_data, keys, p) for p in design_points(sweep)]  # not timed: the sweep caches these too
    t0, c0 = time.perf_counter(), time.process_time()
    n = 0
    for p, cfg in enumerate(cfgs):
        cal = Calendar(cfg.calendar)
        for r in range(sweep.spec.replications):
            seed = model_seed(sweep.seed, p, r)
            model = ChainModel(cfg, rng=seed).run()
            res = Results(config=cfg, seed=seed, replicates=[Replicate(seed, model.recorder)])
            res.date_end, res.burn_in = cal.date_end, cal.burn_in
            with np.errstate(all="ignore"):
                res.summary()
            n += 1
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"runs": n, "seconds": seconds, "runs_per_s": n / seconds, "s_per_run": seconds / n, "cpu_s_per_run": cpu / n}


def sweep(path: Path, out: Path, backend: object, label: str) -> dict:
    from chainsim.sweep import read_results, run_sweep

    c0 = time.process_time()
    rep = run_sweep(path, out, backend=backend, progress=False)
    driver_cpu = time.process_time() - c0
    assert rep.status == "complete", rep.message
    t = read_results(out)
    cpu = sum(t["cpu_time_s"].to_pylist()) / t.num_rows
    wall = sum(t["wall_time_s"].to_pylist()) / t.num_rows
    print(f"  {label:<11} {rep.seconds:7.1f} s  {rep.runs_this_session / rep.seconds:5.2f} runs/s "
          f"(start-up {rep.startup_seconds:.1f} s; CPU {cpu:.3f} s/run in the workers; workers busy "
          f"{100 * wall * rep.runs_this_session / (rep.seconds * rep.workers):.0f} %)", flush=True)
    return {"seconds": rep.seconds, "startup_seconds": rep.startup_seconds, "runs": rep.runs_this_session,
            "runs_per_s": rep.runs_this_session / rep.seconds, "workers": rep.workers,
            "worker_cpu_s_per_run": cpu, "worker_wall_s_per_run": wall, "driver_cpu_s": driver_cpu,
            # share of the sweep's time the workers spent inside runs: 1.0 = never waiting for the driver
            "worker_busy_fraction": wall * rep.runs_this_session / (rep.seconds * rep.workers)}


def dask_backend(workers: int, fix: bool) -> object:
    import dask
    from distributed import Client, LocalCluster

    from chainsim.sweep.backends import TRIM_FIX, DaskBackend

    with dask.config.set(TRIM_FIX if fix else {}):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    trims = set(client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")).values())
    return DaskBackend(client, cluster), sorted(map(str, trims))


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
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = sweep_file(tmp, args.runs)
        print(f"{args.runs} runs of the default scenario, {args.workers} workers, {os.cpu_count()} cores", flush=True)
        res["direct"] = direct(path)
        print(f"  direct      {res['direct']['seconds']:7.1f} s  {res['direct']['runs_per_s']:5.2f} runs/s "
              f"(CPU {res['direct']['cpu_s_per_run']:.3f} s/run)", flush=True)
        res["serial"] = sweep(path, tmp / "serial", SerialBackend(), "serial")
        local = LocalBackend(args.workers)
        try:
            res["local"] = sweep(path, tmp / "local", local, "local")
        finally:
            local.close()
        trims = {}
        for key, fix in (("dask_fix", True), ("dask_nofix", False)):
            backend, trims[key] = dask_backend(args.workers, fix)
            try:
                res[key] = sweep(path, tmp / key, backend, key)
            finally:
                backend.close()
        timing = ["wall_time_s", "cpu_time_s"]
        ref = read_results(tmp / "serial").drop_columns(timing)
        identical = {k: read_results(tmp / k).drop_columns(timing).equals(ref) for k in ("local", "dask_fix", "dask_nofix")}

    d, s = res["direct"]["s_per_run"], res["serial"]["seconds"] / res["serial"]["runs"]
    w = args.workers
    report = {
        "benchmark": "dask_trim", "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "loadavg_before": load0, "loadavg_after": os.getloadavg()},
        "runs": args.runs, "workers": w, "results": res,
        "worker_MALLOC_TRIM_THRESHOLD_": trims,
        "identical_to_serial": identical,
        "ratios": {
            "local_speedup_over_serial": res["local"]["runs_per_s"] / res["serial"]["runs_per_s"],
            "dask_fix_speedup_over_serial": res["dask_fix"]["runs_per_s"] / res["serial"]["runs_per_s"],
            "dask_fix_over_local": res["dask_fix"]["runs_per_s"] / res["local"]["runs_per_s"],
            "dask_nofix_over_local": res["dask_nofix"]["runs_per_s"] / res["local"]["runs_per_s"],
            "trim_fix_speedup": res["dask_fix"]["runs_per_s"] / res["dask_nofix"]["runs_per_s"],
            "trim_fix_cpu_per_run_ratio": res["dask_nofix"]["worker_cpu_s_per_run"] / res["dask_fix"]["worker_cpu_s_per_run"],
            "serial_overhead_per_run": s / d - 1,
            "local_overhead_per_run": (res["local"]["seconds"] * w / args.runs) / d - 1,
            "dask_fix_overhead_per_run": (res["dask_fix"]["seconds"] * w / args.runs) / d - 1,
            # CPU-based, insensitive to other processes on the machine: (worker CPU + driver CPU) per run
            "serial_cpu_overhead_per_run": res["serial"]["driver_cpu_s"] / res["serial"]["runs"] / res["direct"]["cpu_s_per_run"] - 1,
            "local_cpu_overhead_per_run": (res["local"]["worker_cpu_s_per_run"] + res["local"]["driver_cpu_s"] / args.runs)
            / res["direct"]["cpu_s_per_run"] - 1,
            "dask_fix_cpu_overhead_per_run": (res["dask_fix"]["worker_cpu_s_per_run"] + res["dask_fix"]["driver_cpu_s"] / args.runs)
            / res["direct"]["cpu_s_per_run"] - 1,
        },
        "goals": {"two_workers_speedup_min": 1.8, "overhead_max": 0.05},
        "notes": "overhead = time per run in the sweep (× workers for parallel backends) over the direct model "
                 "call, minus 1; parallel overheads include two processes sharing two cores with the OS and with any "
                 "other load (see loadavg). The cpu_ overheads compare CPU seconds (user + system) per run, which "
                 "other processes do not inflate.",
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report["ratios"], indent=2))
    print(f"results identical to the serial sweep: {identical}; wrote {args.out}")


if __name__ == "__main__":  # required: Dask and forkserver workers must not re-run this script
    main()

"""chainsim benchmarks: `./dev bench` (or `.venv/bin/python benchmarks/run.py [--quick]`).

Writes benchmarks/results.json (machine, versions, date) and prints a table. Benchmarks
report; they never fail the test suite. Each measurement that needs a clean peak-memory
reading runs in its own subprocess.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "kunming_2023.yaml"


def _child(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON line; add its peak RSS."""
    wrapper = (
        code
        + "\nimport resource, json, sys\nprint(json.dumps({**RESULT, 'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def default_replicate(repeats: int) -> dict:
    return _child(f"""
import time
from chainsim import load
from chainsim.engine.model import ChainModel
cfg = load({str(SCENARIO)!r})
ChainModel(cfg, rng=0).run()  # warm caches (the pool is cached per process from here on)
times = []
for i in range({repeats}):
    t = time.perf_counter(); m = ChainModel(cfg, rng=i + 1); t1 = time.perf_counter(); m.run(); t2 = time.perf_counter()
    times.append((t1 - t, t2 - t1))
times.sort(key=lambda x: x[0] + x[1])
init, sim = times[len(times) // 2]
RESULT = dict(n_steps=m.calendar.n_steps, pool=m.pool.n, init_s=init, step_s=sim, total_s=init + sim)
""")


def api_run(replications: int, repeats: int) -> dict:
    """``chainsim.run(path, replications=R)`` end to end (YAML, set-up, steps, results):
    the first call in a fresh process (cold: imports done, pool not yet cached) and the
    best of ``repeats`` further calls in the same process (warm: the pool is cached)."""
    return _child(f"""
import time
import chainsim
from chainsim.engine.model import ChainModel
t = time.perf_counter(); chainsim.run({str(SCENARIO)!r}, replications={replications}); cold = time.perf_counter() - t
warm = []
for _ in range({repeats}):
    t = time.perf_counter(); chainsim.run({str(SCENARIO)!r}, replications={replications}); warm.append(time.perf_counter() - t)
load_s = 1e9
for _ in range(5):
    t = time.perf_counter(); cfg = chainsim.load({str(SCENARIO)!r}); load_s = min(load_s, time.perf_counter() - t)
RESULT = dict(replications={replications}, cold_s=cold, warm_best_s=min(warm), warm_median_s=sorted(warm)[len(warm) // 2],
              load_s=load_s)
""")


def batch_ratio(replications: int, repeats: int) -> dict:
    """R replicates stepped as one batch against the same R replicates one by one (the
    numbers are identical: tests/test_batch.py), measured in the same run."""
    return _child(f"""
import time
import chainsim
from chainsim.api import replicate_seeds
from chainsim.engine.model import ChainModel
cfg = chainsim.load({str(SCENARIO)!r})
seeds = replicate_seeds(cfg.seed, {replications})
ChainModel(cfg, rng=seeds[0]).run()  # warm: the pool is cached
batch, single = [], []
for _ in range({repeats}):
    t = time.perf_counter(); ChainModel(cfg, seeds=seeds).run(); batch.append(time.perf_counter() - t)
    t = time.perf_counter()
    for s in seeds:
        ChainModel(cfg, rng=s).run()
    single.append(time.perf_counter() - t)
RESULT = dict(replications={replications}, batch_s=min(batch), one_by_one_s=min(single), speedup=min(single) / min(batch),
              per_replicate_step_us=min(batch) / {replications} / ChainModel(cfg, rng=0).calendar.n_steps * 1e6)
""")


def numpy_calls_per_step(replications: int) -> dict:
    """NumPy work per step: calls into NumPy's C functions and methods, counted with a
    profile hook over the reported steps (ufunc operators such as ``a + b`` are not calls
    the hook sees: the count is a lower bound, comparable between versions)."""
    return _child(f"""
import sys, collections
import chainsim
from chainsim.engine.model import ChainModel
cfg = chainsim.load({str(SCENARIO)!r})
m = ChainModel(cfg, seeds=list(range({replications})))
while m.step_no < m.calendar.burn_in:
    m.step()
count = collections.Counter()
def hook(frame, event, arg):
    if event == "c_call" and (getattr(arg, "__module__", "") or "").startswith("numpy") or (
        event == "c_call" and type(getattr(arg, "__self__", None)).__module__ == "numpy"
    ):
        count[getattr(arg, "__qualname__", str(arg))] += 1
n = m.calendar.n_steps - m.step_no
sys.setprofile(hook)
while m.running:
    m.step()
sys.setprofile(None)
RESULT = dict(replications={replications}, steps=n, calls_per_step=sum(count.values()) / n,
              top=[(k, v / n) for k, v in count.most_common(8)])
""")


#: the reporting periods of a calendar that starts on 1 August 2022 (a period must start inside it)
SHORT_PERIODS = [
    "reporting.periods.2022H1=null",
    "reporting.periods.2022H2.start=2022-08-01",
]


def pool_scaling(pool: int, steps: int) -> dict:
    return _child(f"""
import time, datetime as dt
from chainsim import load
from chainsim.engine.model import ChainModel
start = dt.date(2022, 8, 1)  # 13 months = 52 month-aligned weekly steps, holding all three 2023 events
end = dt.date(2023, 8, 31).isoformat()
cfg = load({str(SCENARIO)!r}, ["population.pool_size={pool}", "calendar.burn_in_steps=0", "calendar.start_date=" + start.isoformat(),
                                "calendar.end_date=" + end, *{SHORT_PERIODS!r}])
t = time.perf_counter(); m = ChainModel(cfg, rng=1); t1 = time.perf_counter(); m.run(); t2 = time.perf_counter()
RESULT = dict(pool=m.pool.n, n_steps=m.calendar.n_steps, init_s=t1 - t, sim_s=t2 - t1,
              firm_steps_per_s=m.pool.n * m.calendar.n_steps / (t2 - t1))
""")


def idle_ratio(pool: int, factor: int = 10) -> dict:
    """Step time with ``factor``× more idle firms at the same promotion activity (contacts
    are counts, so activity does not grow with the pool); CPU time, best of 3, same run."""
    return _child(f"""
import time
from chainsim import load
from chainsim.engine.model import ChainModel
res = {{}}
for pool in ({pool}, {pool * factor}):
    cfg = load({str(SCENARIO)!r}, ["population.pool_size=" + str(pool), "calendar.burn_in_steps=0",
                                    "calendar.start_date=2022-08-01", "calendar.end_date=2023-08-31", *{SHORT_PERIODS!r}])
    best = 1e9
    for i in range(3):
        m = ChainModel(cfg, rng=i); t = time.process_time(); m.run(); best = min(best, time.process_time() - t)
    res[pool] = best / m.calendar.n_steps
RESULT = dict(pool={pool}, factor={factor}, step_s_small=res[{pool}], step_s_large=res[{pool * factor}],
              ratio=res[{pool * factor}] / res[{pool}])
""")


def bandwidth_floor() -> dict:
    """A memory-bandwidth floor for the default scenario, measured in the same run: one
    read-and-write pass over per-firm state for the whole pool (what a step over pool-sized
    arrays would cost at the least) and over the pipeline tables' rows (what ours touches)."""
    return _child(f"""
import time, numpy as np
from chainsim import load
from chainsim.engine.model import ChainModel
cfg = load({str(SCENARIO)!r})
m = ChainModel(cfg, rng=1)
while m.step_no < m.calendar.burn_in + 40:
    m.step()
tables = [m.talks, m.projects]
n = m.pool.n
pool_arrays = [np.zeros(n) for _ in range(sum(len(t.float_cols) for t in tables[:1]))]  # one float a column, pool-sized
def full_pass():
    for a in pool_arrays:
        b = a.copy()  # read + write every byte once
def active_pass():
    for t in tables:
        b = t.F[:, : t.n].copy(); c = t.I[:, : t.n].copy()
def best(fn, k=20):
    out = 1e9
    for _ in range(k):
        t = time.perf_counter(); fn(); out = min(out, time.perf_counter() - t)
    return out
t0 = time.process_time()
for _ in range(40):
    m.step()
step = (time.process_time() - t0) / 40
RESULT = dict(pool=n, active=int(sum(t.n for t in tables)), state_mb=sum(a.nbytes for a in pool_arrays) / 1e6, step_s=step,
              full_pass_s=best(full_pass), active_pass_s=best(active_pass))
""")


def reference_ratio(pool: int) -> dict:
    """Per-firm-step speed of the vectorised engine over the reference engine, same
    scenario and pool, measured in the same run."""
    return _child(f"""
import time
from chainsim import load
from chainsim.engine.model import ChainModel
from chainsim.reference import ReferenceModel
cfg = load({str(SCENARIO)!r}, ["population.pool_size={pool}"])
t = time.process_time(); ref = ReferenceModel(cfg, rng=1); ref.run(); t_ref = time.process_time() - t
best = 1e9
for i in range(3):
    t = time.process_time(); ChainModel(cfg, rng=i).run(); best = min(best, time.process_time() - t)
RESULT = dict(pool={pool}, reference_s=t_ref, vectorised_s=best, ratio=t_ref / best)
""")


def long_horizon(pool: int, years: int) -> dict:
    """A ten-year horizon (weekly steps) on a large pool: time and peak memory."""
    return _child(f"""
import time
from chainsim import load
from chainsim.engine.model import ChainModel
cfg = load({str(SCENARIO)!r}, ["population.pool_size={pool}", "calendar.end_date={2022 + years - 1}-12-31"])
t = time.perf_counter(); m = ChainModel(cfg, rng=1); t1 = time.perf_counter(); m.run(); t2 = time.perf_counter()
RESULT = dict(pool={pool}, years={years}, n_steps=m.calendar.n_steps, init_s=t1 - t, sim_s=t2 - t1)
""")


def cli_wall(replications: int) -> dict:
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "chainsim.cli", "run", str(SCENARIO), "--replications", str(replications)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    return {"replications": replications, "wall_s": time.perf_counter() - t}


def machine() -> dict:
    import mesa
    import numpy
    import scipy

    import chainsim

    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "chainsim": chainsim.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "mesa": mesa.__version__,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="skip the 10^7 pool")
    ap.add_argument(
        "--reference-pool",
        type=int,
        default=300_000,
        help="pool for the reference comparison (default: the scenario's)",
    )
    args = ap.parse_args()
    results: dict = {"machine": machine()}
    print(
        f"chainsim benchmarks · {results['machine']['date']} · Python {results['machine']['python']} · {results['machine']['cpus']} CPUs"
    )
    load_avg = os.getloadavg()
    results["machine"]["loadavg_before"] = load_avg
    for r in (1, 20):
        a = results[f"api_run_{r}"] = api_run(r, 7 if r == 1 else 5)
        goal = {1: 0.080, 20: 0.600}[r]
        print(
            f"chainsim.run(default, replications={r}): cold {a['cold_s'] * 1e3:.0f} ms, warm best {a['warm_best_s'] * 1e3:.0f} ms "
            f"(median {a['warm_median_s'] * 1e3:.0f}; goal ≤ {goal * 1e3:.0f} ms); YAML {a['load_s'] * 1e3:.0f} ms"
        )
    b = results["batch_ratio"] = batch_ratio(20, 3)
    print(
        f"20 replicates as one batch {b['batch_s']:.2f} s vs one by one {b['one_by_one_s']:.2f} s: {b['speedup']:.1f}× "
        f"({b['per_replicate_step_us']:.0f} µs per replicate-step)"
    )
    for r in (1, 20):
        n = results[f"numpy_calls_{r}"] = numpy_calls_per_step(r)
        print(
            f"NumPy calls per step, R = {r}: {n['calls_per_step']:.0f} (a lower bound: operators are not counted)"
        )
    d = results["default_replicate"] = default_replicate(7)
    print(
        f"default scenario, one replicate ({d['n_steps']} steps, pool {d['pool']:,}): simulation {d['step_s'] * 1e3:.0f} ms "
        f"+ set-up {d['init_s'] * 1e3:.0f} ms = {d['total_s'] * 1e3:.0f} ms; peak RSS {d['peak_rss_mb']:.0f} MB"
    )
    c = results["cli_20_replications"] = cli_wall(20)
    print(
        f"`chainsim run scenarios/kunming_2023.yaml --replications 20`: {c['wall_s']:.1f} s wall, process start included"
    )
    results["pool_scaling"] = []
    print(f"{'pool':>12} {'steps':>6} {'set-up s':>9} {'sim s':>7} {'firm-steps/s':>14} {'peak RSS MB':>12}")
    for pool in (10**4, 10**5, 10**6) + (() if args.quick else (10**7,)):  # 52 weekly steps each
        r = pool_scaling(pool, 52)
        results["pool_scaling"].append(r)
        print(
            f"{r['pool']:>12,} {r['n_steps']:>6} {r['init_s']:>9.2f} {r['sim_s']:>7.3f} {r['firm_steps_per_s']:>14.3g} {r['peak_rss_mb']:>12.0f}"
        )
    h = results["long_horizon"] = long_horizon(1_000_000, 10)
    print(
        f"10-year horizon, {h['pool']:,} firms, {h['n_steps']} steps: set-up {h['init_s']:.2f} s, simulation "
        f"{h['sim_s']:.2f} s, peak RSS {h['peak_rss_mb']:.0f} MB"
    )
    r = results["idle_ratio"] = idle_ratio(100_000)
    print(
        f"10× idle firms at the same activity: {r['step_s_small'] * 1e3:.2f} ms/step at {r['pool']:,} → "
        f"{r['step_s_large'] * 1e3:.2f} ms/step at {r['pool'] * r['factor']:,}: ratio {r['ratio']:.2f} (goal ≤ 1.5)"
    )
    b = results["bandwidth_floor"] = bandwidth_floor()
    print(
        f"memory floor (default scenario, pool {b['pool']:,}, {b['active']:,} rows in the tables): step {b['step_s'] * 1e3:.2f} ms; "
        f"one pass over pool-sized state ({b['state_mb']:.0f} MB) {b['full_pass_s'] * 1e3:.2f} ms "
        f"(step = {b['step_s'] / b['full_pass_s']:.2f}×); over the tables' rows {b['active_pass_s'] * 1e6:.0f} µs "
        f"(step = {b['step_s'] / b['active_pass_s']:.0f}×)"
    )
    try:
        import chainsim.reference  # noqa: F401
    except ImportError:
        print("reference engine not available: ratio skipped")
    else:
        q = results["reference_ratio"] = reference_ratio(args.reference_pool)
        print(
            f"vectorised vs reference (default scenario, pool {q['pool']:,}): {q['vectorised_s']:.3f} s vs "
            f"{q['reference_s']:.1f} s per replicate: {q['ratio']:.0f}× per firm-step (goal ≥ 200×)"
        )
    results["machine"]["loadavg_after"] = os.getloadavg()
    out = ROOT / "benchmarks" / "results.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

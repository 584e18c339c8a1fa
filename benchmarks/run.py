"""chainsim benchmarks: `./dev chainsim-bench` or `.venv/bin/python benchmarks/run.py`.

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
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "kunming_2023.yaml"


def _child(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON line; add its peak RSS."""
    wrapper = code + "\nimport resource, json, sys\nprint(json.dumps({**RESULT, 'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))"
    out = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def default_replicate(repeats: int) -> dict:
    return _child(f"""
import time
from chainsim import load
from chainsim.model import ChainModel
cfg = load({str(SCENARIO)!r})
ChainModel(cfg, rng=0).run()  # warm caches
times = []
for i in range({repeats}):
    t = time.perf_counter(); m = ChainModel(cfg, rng=i + 1); t1 = time.perf_counter(); m.run(); t2 = time.perf_counter()
    times.append((t1 - t, t2 - t1))
times.sort(key=lambda x: x[0] + x[1])
init, sim = times[len(times) // 2]
RESULT = dict(n_steps=m.calendar.n_steps, pool=m.firms.n, init_s=init, step_s=sim, total_s=init + sim)
""")


def pool_scaling(pool: int, steps: int) -> dict:
    return _child(f"""
import time, datetime as dt
from chainsim import load
from chainsim.model import ChainModel
start = dt.date(2022, 9, 1)  # 52 weeks that hold all three 2023 events
end = (start + dt.timedelta(days=7 * {steps} - 1)).isoformat()
cfg = load({str(SCENARIO)!r}, ["population.pool_size={pool}", "calendar.burn_in_steps=0", "calendar.start_date=" + start.isoformat(),
                                "calendar.end_date=" + end])
t = time.perf_counter(); m = ChainModel(cfg, rng=1); t1 = time.perf_counter(); m.run(); t2 = time.perf_counter()
RESULT = dict(pool=m.firms.n, n_steps=m.calendar.n_steps, init_s=t1 - t, sim_s=t2 - t1,
              firm_steps_per_s=m.firms.n * m.calendar.n_steps / (t2 - t1))
""")


def cli_wall(replications: int) -> dict:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "chainsim.cli", "run", str(SCENARIO), "--replications", str(replications)],
                   check=True, capture_output=True, cwd=ROOT)
    return {"replications": replications, "wall_s": time.perf_counter() - t}


def machine() -> dict:
    import mesa
    import numpy
    import scipy

    import chainsim

    return {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "python": platform.python_version(),
            "platform": platform.platform(), "cpus": os.cpu_count(), "chainsim": chainsim.__version__,
            "numpy": numpy.__version__, "scipy": scipy.__version__, "mesa": mesa.__version__}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="skip the 10^7 pool")
    args = ap.parse_args()
    results: dict = {"machine": machine()}
    print(f"chainsim benchmarks · {results['machine']['date']} · Python {results['machine']['python']} · {results['machine']['cpus']} CPUs")
    d = results["default_replicate"] = default_replicate(7)
    print(f"default scenario, one replicate ({d['n_steps']} steps, pool {d['pool']:,}): simulation {d['step_s'] * 1e3:.0f} ms "
          f"+ set-up {d['init_s'] * 1e3:.0f} ms = {d['total_s'] * 1e3:.0f} ms (goal ≤ 100 ms); peak RSS {d['peak_rss_mb']:.0f} MB")
    c = results["cli_20_replications"] = cli_wall(20)
    print(f"`chainsim run scenarios/kunming_2023.yaml --replications 20`: {c['wall_s']:.1f} s wall (goal ≤ 10 s)")
    results["pool_scaling"] = []
    print(f"{'pool':>12} {'steps':>6} {'set-up s':>9} {'sim s':>7} {'firm-steps/s':>14} {'peak RSS MB':>12}")
    for pool in (10**4, 10**5, 10**6) + (() if args.quick else (10**7,)):
        r = pool_scaling(pool, 52)
        results["pool_scaling"].append(r)
        print(f"{r['pool']:>12,} {r['n_steps']:>6} {r['init_s']:>9.2f} {r['sim_s']:>7.3f} {r['firm_steps_per_s']:>14.3g} {r['peak_rss_mb']:>12.0f}")
    out = ROOT / "benchmarks" / "results.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

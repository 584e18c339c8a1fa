"""What sharing the candidate pool across replicates leaves out of replicate intervals.

`PYTHONPATH=src python benchmarks/pool_variation.py [--runs 40]` runs the default scenario
(a) as R replicates of one root seed — one pool, the replicates differ in every decision —
and (b) as R runs of R different root seeds, one replicate each — a new pool every run —
and compares the spread of the main outcomes: the standard deviation across runs, and the
share of the total variance that the pool itself adds, 1 − var(a) / var(b). Writes
benchmarks/pool_variation.json. A report, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import numpy as np

import chainsim

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "kunming_2023.yaml"
OUTCOMES = [
    ("2023H1", "signings"),
    ("2023H1", "signings_ge_10yi"),
    ("2023H1", "signing_value_yi"),
    ("2023H1", "funds_in_place_yi"),
    ("2023H1", "fdi_usd_yi"),
    ("2022H1", "funds_in_place_yi"),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()
    cfg = chainsim.load(SCENARIO)
    one_pool = chainsim.run(cfg, replications=args.runs)
    seeds = [int(s) for s in np.random.SeedSequence(cfg.seed).generate_state(args.runs, dtype=np.uint32)]
    many = [chainsim.run(cfg, seed=s, replications=1) for s in seeds]
    rows = {}
    for period, metric in OUTCOMES:
        a = one_pool.period_values(period, metric)
        b = np.array([r.period_values(period, metric)[0] for r in many])
        rows[f"{period}.{metric}"] = {
            "one_pool_mean": float(a.mean()),
            "one_pool_sd": float(a.std(ddof=1)),
            "new_pool_each_run_mean": float(b.mean()),
            "new_pool_each_run_sd": float(b.std(ddof=1)),
            "pool_share_of_variance": float(1 - a.var(ddof=1) / b.var(ddof=1)),
        }
        r = rows[f"{period}.{metric}"]
        print(
            f"{period} {metric:22s} one pool {r['one_pool_mean']:9.2f} ± {r['one_pool_sd']:7.2f}   "
            f"new pool each run {r['new_pool_each_run_mean']:9.2f} ± {r['new_pool_each_run_sd']:7.2f}   "
            f"pool's share of variance {r['pool_share_of_variance']:+.0%}"
        )
    out = ROOT / "benchmarks" / "pool_variation.json"
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "runs": args.runs,
        "outcomes": rows,
    }
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

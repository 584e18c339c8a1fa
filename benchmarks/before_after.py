"""Before/after: ``chainsim.run`` of the default scenario on this checkout against an
earlier commit, measured in the same run on the same machine.

    PYTHONPATH=src python benchmarks/before_after.py --before 5b6dd16 [--repeats 5]

Checks the earlier commit out into a temporary git worktree, then alternates the two
versions (fresh interpreter each) for 1 and 20 replicates: the first call in a process
(cold: imports done, nothing cached) and the best of further calls (warm). Writes
benchmarks/before_after.json with the machine's load average before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "kunming_2023.yaml"
CHILD = """
import json, sys, time
import chainsim
r, repeats = int(sys.argv[1]), int(sys.argv[2])
t = time.perf_counter(); chainsim.run(sys.argv[3], replications=r); cold = time.perf_counter() - t
warm = []
for _ in range(repeats):
    t = time.perf_counter(); chainsim.run(sys.argv[3], replications=r); warm.append(time.perf_counter() - t)
print(json.dumps({"cold_s": cold, "warm_best_s": min(warm), "warm_median_s": sorted(warm)[len(warm) // 2]}))
"""


def measure(src: Path, replications: int, repeats: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(replications), str(repeats), str(SCENARIO)],
        capture_output=True, text=True, check=True, env=env, cwd=ROOT,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True, help="the earlier commit")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    load0 = os.getloadavg()
    report: dict = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "before": args.before}
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", str(old), args.before], cwd=ROOT, check=True,
                       capture_output=True)  # fmt: skip
        try:
            for r in (1, 20):
                rows = {}
                for name, src in (("before", old / "src"), ("after", ROOT / "src")):
                    rows[name] = measure(src, r, args.repeats)
                    m = rows[name]
                    print(
                        f"R={r:2d} {name:6s} cold {m['cold_s'] * 1e3:7.0f} ms  warm best {m['warm_best_s'] * 1e3:7.0f} ms"
                    )
                rows["speedup_warm"] = rows["before"]["warm_best_s"] / rows["after"]["warm_best_s"]
                rows["speedup_cold"] = rows["before"]["cold_s"] / rows["after"]["cold_s"]
                report[f"replications_{r}"] = rows
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, capture_output=True)
    report["loadavg_before"], report["loadavg_after"] = load0, os.getloadavg()
    out = ROOT / "benchmarks" / "before_after.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

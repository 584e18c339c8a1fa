"""The H1 2023 growth decomposition over calibration posterior draws, not only the centre.

``chainsim decompose`` splits the growth of the default (central) scenario; the shares of
climate and strategies depend on parameters the figures leave open (the leader boost
above all), so docs/findings.md reports their range over K weighted posterior draws:
each draw's parameters are set in both scenarios (``--set``), everything else as
``chainsim decompose`` does it.

    .venv/bin/python scripts/decompose_draws.py 10 10     # K draws × R replicates (≈ 2 min)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from chainsim.calibration.config import load_calibration
from chainsim.calibration.params import ParameterSpace
from chainsim.calibration.posterior import resample

ROOT = Path(__file__).resolve().parents[1]


def main(k: int, reps: int, seed: int = 20230414) -> None:
    cal = load_calibration(ROOT / "calibration/kunming_2023_next.yaml")
    space = ParameterSpace(cal.priors, cal.base_data)
    post = pd.read_csv(ROOT / "calibration/kunming_2023_next.posterior.csv", comment="#")
    rows = []
    for i in resample(post.weight.to_numpy() / post.weight.sum(), k, seed):
        natural = {n: float(post[n].iloc[i]) for n in space.names}
        sets = [a for path, v in space.assignments(natural).items() for a in ("--set", f"{path}={v}")]
        cmd = [sys.executable, "-m", "chainsim", "decompose", "-r", str(reps), "--json", *sets]
        out = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout)
        for r in out["rows"]:
            rows.append(
                {"draw": int(i), **{c: r[c] for c in ("metric", "component", "contribution", "share")}}
            )
        print(f"draw {i} done", file=sys.stderr, flush=True)
    df = pd.DataFrame(rows)
    table = df.groupby(["metric", "component"])[["contribution", "share"]].describe(
        percentiles=[0.1, 0.5, 0.9]
    )
    cols = [
        ("contribution", "50%"),
        ("contribution", "10%"),
        ("contribution", "90%"),
        ("share", "50%"),
        ("share", "10%"),
        ("share", "90%"),
    ]
    print(table[cols].round(3).to_string())
    df.to_csv(ROOT / "out/decompose_draws.csv", index=False)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))

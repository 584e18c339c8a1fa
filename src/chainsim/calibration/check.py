"""How close a scenario comes to the reported figures (``chainsim targets``).

Runs the scenario (one batch of replicates) and compares each target of a targets file
(``calibration/targets/kunming_2023.yaml``) with the replicate MEAN, as the calibration
report does: a target is met when |mean − value| ≤ its ``tolerance`` (the acceptance
column of docs/calibration.md, "Targets"); growth targets compare the ratio of two
period means (:func:`chainsim.calibration.targets.statistics`). Each mean carries a 95 %
interval *of the mean* over replicates (Student t; for a ratio of means the delta
method), so a miss can be told from replicate noise.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import t as student_t

from chainsim.calibration.schema import Target, TargetsFile
from chainsim.calibration.targets import check_targets, lookup, statistics

CHECK_FILES = ("targets.json", "targets.csv")


@dataclass
class TargetRow:
    """One reported figure against the model's replicate mean."""

    id: str
    facts: str
    label_en: str
    label_zh: str
    path: str  # the summary.json path, or "numerator / denominator" for a growth ratio
    unit: str
    value: float
    tolerance: float
    mean: float
    ci95_low: float
    ci95_high: float
    difference: float  # mean − value
    within: bool


@dataclass
class TargetCheck:
    scenario: str
    config_hash: str
    seed: int
    replications: int
    targets_file: str
    rows: list[TargetRow] = field(default_factory=list)

    @property
    def within(self) -> int:
        return sum(r.within for r in self.rows)

    def to_dict(self) -> dict[str, Any]:
        def clean(x: Any) -> Any:
            return None if isinstance(x, float) and not math.isfinite(x) else x

        return {
            "scenario": self.scenario,
            "config_hash": self.config_hash,
            "seed": self.seed,
            "replications": self.replications,
            "targets_file": self.targets_file,
            "within": self.within,
            "total": len(self.rows),
            "rule": "within = |replicate mean − value| ≤ tolerance; ci95 = 95 % interval of the mean",
            "targets": [{k: clean(v) for k, v in asdict(r).items()} for r in self.rows],
        }

    def to_csv(self, path: str | Path | None = None) -> str:
        """Tidy CSV (one row a target), UTF-8; written to ``path`` if given."""
        from chainsim.results.runopts import rows_csv

        return rows_csv(self.rows, TargetRow, path)


def interval(values: np.ndarray) -> tuple[float, float]:
    """95 % interval of the mean of replicate values (NaNs dropped; NaN with < 2)."""
    v = values[np.isfinite(values)]
    if v.size < 2:
        return math.nan, math.nan
    half = float(student_t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return float(v.mean()) - half, float(v.mean()) + half


def ratio_interval(num: np.ndarray, den: np.ndarray) -> tuple[float, float]:
    """95 % interval of mean(num)/mean(den) by the delta method."""
    ok = np.isfinite(num) & np.isfinite(den)
    x, y = num[ok], den[ok]
    if x.size < 2 or y.mean() == 0:
        return math.nan, math.nan
    r = x.mean() / y.mean()
    se = math.sqrt(float(np.var(x - r * y, ddof=1)) / x.size) / abs(float(y.mean()))
    half = float(student_t.ppf(0.975, x.size - 1)) * se
    return float(r) - half, float(r) + half


def compare_targets(
    summary: dict[str, Any], per_replicate: list[dict[str, Any]], targets: dict[str, Target]
) -> list[TargetRow]:
    """The rows: each target's mean (from the batch summary) and interval (from each
    replicate's own summary)."""
    means = statistics(summary, targets)
    rows = []
    for tid, tg in targets.items():
        cols = [np.array([lookup(s, p) for s in per_replicate]) for p in tg.paths]
        lo, hi = interval(cols[0]) if tg.metric else ratio_interval(*cols)
        m = means[tid]
        rows.append(
            TargetRow(
                id=tid,
                facts=tg.facts,
                label_en=tg.label_en,
                label_zh=tg.label_zh,
                path=" / ".join(tg.paths),
                unit=tg.unit,
                value=float(tg.value),
                tolerance=float(tg.tolerance),
                mean=m,
                ci95_low=lo,
                ci95_high=hi,
                difference=m - tg.value,
                within=bool(math.isfinite(m) and abs(m - tg.value) <= tg.tolerance),
            )
        )
    return rows


def check(
    scenario: str | Path,
    targets_file: str | Path,
    replications: int = 20,
    seed: int | None = None,
    overrides: list[str] | None = None,
    progress: Any = None,
) -> TargetCheck:
    """Run ``scenario`` (``replications`` replicates as one batch) and check every target
    of ``targets_file`` against the replicate means. Bad input raises ScenarioError."""
    from chainsim import load, run
    from chainsim.config.loader import load_scenario
    from chainsim.results.summary import Results, config_hash

    cfg = load(scenario, overrides or [])
    targets, _ = load_scenario(TargetsFile, targets_file)
    check_targets(targets, cfg, Path(targets_file))
    res = run(cfg, seed=seed, replications=replications, progress=progress)
    summary = res.summary()
    per_replicate = [
        Results(res.config, res.seed, [r], res.date_end, res.burn_in).summary() for r in res.replicates
    ]
    return TargetCheck(
        scenario=cfg.name,
        config_hash=config_hash(res.config),
        seed=res.seed,
        replications=len(res.replicates),
        targets_file=str(targets_file),
        rows=compare_targets(summary, per_replicate, targets.targets),
    )

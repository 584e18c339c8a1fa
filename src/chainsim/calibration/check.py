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
    sd_one_replicate: float  # spread of ONE replicate's value (for a ratio: the delta method)
    noise_ratio: float  # (sd_one_replicate / σ)²: what one replicate's noise adds to a distance Σ z²


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

    @property
    def noise(self) -> float:
        """Σ (sd of one replicate / σ)² over the targets: the distance one replicate's noise
        alone contributes (an R-replicate mean: this / R); cf. ≈ 1 a target for a good fit."""
        return float(sum(r.noise_ratio for r in self.rows if math.isfinite(r.noise_ratio)))

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
            "noise_one_replicate": self.noise,
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


def one_replicate_sd(cols: list[np.ndarray]) -> float:
    """sd of one replicate's value; for a ratio of means, of x − r·y over mean(y) (delta method)."""
    if len(cols) == 1:
        v = cols[0][np.isfinite(cols[0])]
        return float(v.std(ddof=1)) if v.size > 1 else math.nan
    x, y = cols
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2 or y[ok].mean() == 0:
        return math.nan
    r = x[ok].mean() / y[ok].mean()
    return float(np.std(x[ok] - r * y[ok], ddof=1) / abs(y[ok].mean()))


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
        sd1 = one_replicate_sd(cols)
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
                sd_one_replicate=sd1,
                noise_ratio=(sd1 / tg.sigma) ** 2 if math.isfinite(sd1) else math.nan,
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

"""Two scenarios compared: the difference each indicator makes, with its uncertainty.

``chainsim.compare(a, b, replications=R, seed=S)`` runs both scenarios with the same root
seed, so replicate i of B shares every random number with replicate i of A that their
difference does not change (common random numbers, docs/model.md): the paired
differences d_i = B_i − A_i then measure what the change does, not luck. For every
indicator of summary.json (period metrics and sources, cohort rates, event yields,
median durations) it reports A's and B's means and the **95 % confidence interval of the
mean difference** (t with R − 1 degrees of freedom) — not summary.json's ``ci95``, which
is the spread of single replicates. Pairing needs the same candidate pool and chain map:
when the scenarios differ there (population, chains, location), the replicates are not
paired and the interval is Welch's, for two independent samples; the comparison says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from chainsim.config.schema import Scenario
from chainsim.results.summary import PERIOD_METRICS, Results
from chainsim.vocabulary import outcome_term

POOL_FIELDS = ("population", "chains", "location")  # what the candidate pool is drawn from


@dataclass(frozen=True)
class Row:
    """One indicator: A's and B's means, and B − A with its 95 % interval."""

    path: str  # summary.json path, e.g. periods.2023H1.funds_in_place_yi
    label_en: str
    label_zh: str
    a: float
    b: float
    diff: float
    ci95_low: float
    ci95_high: float
    paired: bool


@dataclass
class Comparison:
    a_name: str
    b_name: str
    seed: int
    replications: int
    paired: bool
    why_unpaired: str = ""
    rows: list[Row] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a_name,
            "b": self.b_name,
            "seed": self.seed,
            "replications": self.replications,
            "paired": self.paired,
            "why_unpaired": self.why_unpaired,
            "interval": "95 % confidence interval of the mean difference B − A (t, R − 1 df; Welch if unpaired)",
            "rows": [asdict(r) for r in self.rows],
        }

    def to_csv(self, path: str | Path | None = None) -> str:
        """Tidy CSV (one row an indicator), UTF-8; written to ``path`` if given."""
        from chainsim.results.runopts import rows_csv

        return rows_csv(self.rows, Row, path)

    def row(self, path: str) -> Row:
        return next(r for r in self.rows if r.path == path)


def per_replicate(results: Results) -> dict[str, np.ndarray]:
    """Every summary.json indicator's value in each replicate, by its summary path."""
    cfg = results.config
    out: dict[str, np.ndarray] = {}
    for period in cfg.reporting.periods:
        for m in PERIOD_METRICS:
            out[f"periods.{period}.{m}"] = results.period_values(period, m)
        for s in results.sources:
            out[f"periods.{period}.signings_by_source.{s}"] = results.period_values(
                period, f"signings_by_source.{s}"
            )
    recs = [r.recorder for r in results.replicates]
    for c, name in enumerate(cfg.reporting.cohorts):
        signed = np.array([r.cohort_signed[c] for r in recs], dtype=float)
        landed = np.array([r.cohort_landed[c] for r in recs], dtype=float)
        producing = np.array([r.cohort_producing[c] for r in recs], dtype=float)
        fixed = np.array([r.cohort_fixed_signed[c] for r in recs], dtype=float)
        fixed_producing = np.array([r.cohort_fixed_producing[c] for r in recs], dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"cohorts.{name}.landing_rate"] = np.where(signed > 0, landed / signed, np.nan)
            out[f"cohorts.{name}.producing_rate"] = np.where(signed > 0, producing / signed, np.nan)
            out[f"cohorts.{name}.fixed_asset_producing_rate"] = np.where(
                fixed > 0, fixed_producing / fixed, np.nan
            )
    for eid in cfg.events:
        announced = [r.event_announced(eid) for r in recs]
        for key in ("signings", "signing_value_yi"):  # what the ceremony announced
            out[f"events.{eid}.{key}"] = np.array([a[key] for a in announced], dtype=float)
    medians = [r.median_durations() for r in recs]
    for group in ("commissioned", "other"):
        for name in medians[0][group]:
            out[f"durations.{group}.{name}"] = np.array([m[group][name] for m in medians], dtype=float)
    return out


def pool_differs(a: Scenario, b: Scenario) -> str:
    """Which of the pool's inputs differ ("" if none): then replicates cannot be paired."""
    return ", ".join(f for f in POOL_FIELDS if getattr(a, f) != getattr(b, f))


def interval(x: np.ndarray, y: np.ndarray, paired: bool) -> tuple[float, float, float]:
    """Mean of y − x and its 95 % confidence interval (paired t, or Welch)."""
    if paired:
        keep = ~(np.isnan(x) | np.isnan(y))
        d = y[keep] - x[keep]
        if len(d) == 0:
            return math.nan, math.nan, math.nan
        if len(d) == 1:
            return float(d[0]), math.nan, math.nan
        half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
        return float(d.mean()), float(d.mean() - half), float(d.mean() + half)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    if len(x) < 2 or len(y) < 2:
        return float(np.mean(y) - np.mean(x)) if len(x) and len(y) else math.nan, math.nan, math.nan
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    diff = float(y.mean() - x.mean())
    if vx + vy == 0:
        return diff, diff, diff
    df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    half = stats.t.ppf(0.975, df) * math.sqrt(vx + vy)
    return diff, diff - half, diff + half


def compare_results(a: Results, b: Results, a_name: str = "A", b_name: str = "B") -> Comparison:
    """Compare two finished runs (same root seed and replication count for pairing)."""
    why = pool_differs(a.config, b.config)
    if a.seed != b.seed or len(a.replicates) != len(b.replicates):
        why = why or "root seed or replication count"
    paired = not why
    va, vb = per_replicate(a), per_replicate(b)
    comparison = Comparison(a_name, b_name, a.seed, len(a.replicates), paired, why)
    for path in va:
        if path not in vb:
            continue  # e.g. an event only A has
        x, y = va[path], vb[path]
        diff, lo, hi = interval(x, y, paired)
        t = outcome_term(path)
        with np.errstate(invalid="ignore"):
            comparison.rows.append(
                Row(path, t.text("en", unit=True), t.zh, float(np.nanmean(x)) if not np.isnan(x).all() else math.nan,
                    float(np.nanmean(y)) if not np.isnan(y).all() else math.nan, diff, lo, hi, paired)
            )  # fmt: skip
    return comparison


def compare(
    a: Scenario | str | Path,
    b: Scenario | str | Path,
    replications: int = 20,
    seed: int | None = None,
    overrides_a: Sequence[str] = (),
    overrides_b: Sequence[str] = (),
) -> Comparison:
    """Run scenarios A and B with the same root seed (A's, unless given) and compare them."""
    from chainsim.api import load, run

    cfg_a = a if isinstance(a, Scenario) else load(a, overrides_a)
    cfg_b = b if isinstance(b, Scenario) else load(b, overrides_b)
    root = cfg_a.seed if seed is None else int(seed)
    ra = run(cfg_a, seed=root, replications=replications)
    rb = run(cfg_b, seed=root, replications=replications)
    return compare_results(ra, rb, _name(a, cfg_a), _name(b, cfg_b))


def _name(given: Scenario | str | Path, cfg: Scenario) -> str:
    return cfg.name if isinstance(given, Scenario) else str(given)

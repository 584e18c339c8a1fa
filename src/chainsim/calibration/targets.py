"""Targets against simulated summaries: which paths exist, the statistics, the distance.

The distance between a simulation and the reported figures is a weighted sum of squared
standardised errors,

    d = Σ_i w_i z_i²,   z_i = (s_i − y_i) / σ_i,   σ_i = sqrt(rounding_i² + discrepancy_i²)

where ``s_i`` is the simulated value (the mean over the particle's replicates of the
``summary.json`` path, or the ratio of two period means for growth targets) and ``y_i``
the reported value. For a target with a ``band`` [lo, hi], z_i = (s_i − clip(s_i, lo,
hi)) / σ_i: no penalty inside the band. A simulation that produces no value (e.g. no
commissioned project completed, so no median duration) gets z = ``MISSING_Z``.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from chainsim.calibration.schema import Target, TargetsFile
from chainsim.config.dotted import get
from chainsim.config.loader import ScenarioError

MISSING_Z = 10.0  # z of a metric the simulation could not produce: far outside any tolerance


def summary_paths(scenario: Any) -> set[str]:
    """Every numeric ``summary.json`` path a scenario produces (docs/outputs.md)."""
    from chainsim.results.summary import PERIOD_METRICS
    from chainsim.vocabulary import SOURCE_NAMES

    paths = set()
    for p in scenario.reporting.periods:
        paths |= {f"periods.{p}.{m}" for m in PERIOD_METRICS}
        paths |= {f"periods.{p}.signings_by_source.{s}" for s in SOURCE_NAMES}
    for c in scenario.reporting.cohorts:
        paths |= {
            f"cohorts.{c}.{m}"
            for m in (
                "signed",
                "landed",
                "landing_rate",
                "producing_rate",
                "fixed_asset_signed",
                "fixed_asset_producing_rate",
            )
        }
    for e in scenario.events:
        paths |= {f"events.{e}.signings", f"events.{e}.signing_value_yi"}
    for g in ("commissioned", "other"):
        paths |= {
            f"durations.{g}.{m}"
            for m in ("signing_to_land_days", "signing_to_production_days", "construction_to_production_days")
        }
    return paths


def check_targets(targets: TargetsFile, scenario: Any, file: Path) -> None:
    """Every target's metric must be a path the base scenario's summary has."""
    known = summary_paths(scenario)
    for tid, t in targets.targets.items():
        for i, p in enumerate(t.paths):
            if p not in known:
                field = f"targets.{tid}.{'metric' if t.metric else f'ratio_of.{i}'}"
                near = difflib.get_close_matches(p, sorted(known), n=3)
                hint = (
                    f"; did you mean {', '.join(near)}?"
                    if near
                    else "; see docs/outputs.md for the summary.json paths"
                )
                raise ScenarioError(f"{file}: {field}: unknown metric {p!r}{hint}", file, field)


def lookup(summary: Mapping[str, Any], path: str) -> float:
    """The mean at a dotted summary path (NaN when the summary has no value)."""
    mean = get(summary, path)["mean"]
    return math.nan if mean is None else float(mean)


def statistics(summary: Mapping[str, Any], targets: Mapping[str, Target]) -> dict[str, float]:
    """The simulated value of each target (ratio of means for growth targets)."""
    out = {}
    for tid, t in targets.items():
        if t.metric:
            out[tid] = lookup(summary, t.metric)
        else:
            num, den = (lookup(summary, p) for p in t.paths)
            out[tid] = num / den if den else math.nan
    return out


def z_score(sim: float, t: Target) -> float:
    if sim is None or not math.isfinite(sim):
        return MISSING_Z
    ref = min(max(sim, t.band[0]), t.band[1]) if t.band else t.value
    return (sim - ref) / t.sigma


def distance(sim: Mapping[str, float], targets: Mapping[str, Target]) -> float:
    """Σ w z² over the targets (see the module docstring)."""
    return float(sum(t.weight * z_score(sim.get(tid, math.nan), t) ** 2 for tid, t in targets.items()))


def within_count(sim: Mapping[str, float], targets: Mapping[str, Target]) -> int:
    """How many targets the values meet by the acceptance rule: |value − figure| ≤ tolerance."""
    return sum(
        math.isfinite(v := sim.get(tid, math.nan)) and abs(v - t.value) <= t.tolerance
        for tid, t in targets.items()
    )


def within_probability(offset: Any, tolerance: float, sd: Any) -> Any:
    """P(|offset + e| ≤ tolerance) for e ~ N(0, sd²): how likely a value whose expected
    distance from the figure is ``offset`` meets the acceptance rule when it carries an error
    of ``sd`` (an emulator's, or a replicate mean's noise). Vectorised over arrays."""
    from scipy.special import ndtr

    sd = np.maximum(sd, 1e-300)
    return ndtr((tolerance - offset) / sd) - ndtr((-tolerance - offset) / sd)


def observed(targets: Mapping[str, Target]) -> dict[str, float]:
    """The reported values, keyed like :func:`statistics` (pyabc's observed data)."""
    return {tid: float(t.value) for tid, t in targets.items()}

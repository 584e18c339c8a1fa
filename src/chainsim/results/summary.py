"""Results of R replicates: the ``summary.json`` contract and the time series.

Every metric is ``{"mean": x, "ci95": [lo, hi]}``: the mean over replicates and the
2.5–97.5 percentile range of the replicate values (``[x, x]`` when R = 1). The contract
is documented in ``docs/outputs.md``; keep the two in step.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from chainsim.config.schema import Scenario
from chainsim.engine.records import BASE_FLOWS, FUNDS_FLOWS, SIGNING_FLOWS, Recorder
from chainsim.vocabulary import STAGE_NAMES, source_names

#: the metrics summary.json reports per period, in this order
PERIOD_METRICS = [
    *SIGNING_FLOWS,
    *FUNDS_FLOWS,
    "landed",
    "producing",
    "city_leader_trips",
    "county_leader_trips",
    "contacts",
    "registered",
    "lost",
]
assert set(PERIOD_METRICS) <= set(BASE_FLOWS)


def stat(values: list[float] | np.ndarray) -> dict[str, Any]:
    """Mean and 2.5–97.5 percentile range across replicates (NaN-free values → floats)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return {"mean": None, "ci95": [None, None]}
    if v.size == 1:
        x = float(v[0])
        return {"mean": x, "ci95": [x, x]}
    lo, hi = np.percentile(v, [2.5, 97.5])
    return {"mean": float(v.mean()), "ci95": [float(lo), float(hi)]}


def config_hash(cfg: Scenario) -> str:
    text = json.dumps(cfg.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Replicate:
    seed: int
    recorder: Recorder


@dataclass
class Results:
    config: Scenario
    seed: int
    replicates: list[Replicate] = field(default_factory=list)
    date_end: np.ndarray | None = None
    burn_in: int = 0

    # ----------------------------------------------------------------- per replicate
    @property
    def sources(self) -> list[str]:
        """The run's signing sources, as its recorders list them: the built-ins, then those
        of any other registered strategy (one ``signings_by_source.<key>`` flow each)."""
        return list(self.replicates[0].recorder.sources) if self.replicates else source_names()

    @property
    def flow_names(self) -> list[str]:
        """The run's flow columns (the base flows, then one per signing source)."""
        return list(self.replicates[0].recorder.flow_names) if self.replicates else list(BASE_FLOWS)

    def period_values(self, period: str, metric: str) -> np.ndarray:
        p = self.config.reporting.periods[period]
        mask = (self.date_end >= np.datetime64(p.start, "D")) & (self.date_end <= np.datetime64(p.end, "D"))
        return np.array([r.recorder.flows[mask, r.recorder.F[metric]].sum() for r in self.replicates])

    # ----------------------------------------------------------------- summary
    def summary(self) -> dict[str, Any]:
        from chainsim.version import __version__

        cfg, sources = self.config, self.sources
        periods = {}
        for name in cfg.reporting.periods:
            block = {m: stat(self.period_values(name, m)) for m in PERIOD_METRICS}
            block["signings_by_source"] = {
                s: stat(self.period_values(name, f"signings_by_source.{s}")) for s in sources
            }
            periods[name] = block
        cohorts = {}
        for c, (name, co) in enumerate(cfg.reporting.cohorts.items()):
            signed = np.array([r.recorder.cohort_signed[c] for r in self.replicates], dtype=float)
            landed = np.array([r.recorder.cohort_landed[c] for r in self.replicates], dtype=float)
            producing = np.array([r.recorder.cohort_producing[c] for r in self.replicates], dtype=float)
            fixed = np.array([r.recorder.cohort_fixed_signed[c] for r in self.replicates], dtype=float)
            fixed_producing = np.array(
                [r.recorder.cohort_fixed_producing[c] for r in self.replicates], dtype=float
            )
            with np.errstate(invalid="ignore", divide="ignore"):
                cohorts[name] = {
                    "signed": stat(signed),
                    "landed": stat(landed),
                    "landing_rate": stat(np.where(signed > 0, landed / signed, np.nan)),
                    "producing_rate": stat(np.where(signed > 0, producing / signed, np.nan)),
                    "fixed_asset_signed": stat(fixed),
                    "fixed_asset_producing_rate": stat(np.where(fixed > 0, fixed_producing / fixed, np.nan)),
                    "as_of": co.as_of.isoformat(),
                    "filter": {
                        "signed_from": co.signed_from.isoformat(),
                        "signed_until": co.signed_until.isoformat(),
                        "min_value_yi": co.min_value_yi,
                        "industrial_only": co.industrial_only,
                        "landed_means": "on or before as_of, even if lost later: a fixed-asset project entered construction, any other registered",
                    },
                }
        events: dict[str, Any] = {}
        for eid, e in cfg.events.items():
            announced = [r.recorder.event_announced(eid) for r in self.replicates]
            # signings / signing_value_yi: what the ceremony announced (contracts + framework agreements)
            events[eid] = {"date": e.date.isoformat()} | {
                key: stat([a[key] for a in announced]) for key in announced[0]
            }
        meds = [r.recorder.median_durations() for r in self.replicates]
        durations = {
            g: {k: stat([m[g][k] for m in meds]) for k in meds[0][g]} for g in ("commissioned", "other")
        }
        by_size = [r.recorder.median_durations_by_size() for r in self.replicates]
        durations_by_size = {
            cls: {g: {"signing_to_land_days": stat([b[cls][g] for b in by_size])} for g in by_size[0][cls]}
            for cls in by_size[0]
        }
        return {
            "scenario": cfg.name,
            "config_hash": config_hash(cfg),
            "chainsim_version": __version__,
            "seed": self.seed,
            "replications": len(self.replicates),
            "periods": periods,
            "cohorts": cohorts,
            "events": events,
            "durations": durations,
            "durations_by_size": durations_by_size,
        }

    # ----------------------------------------------------------------- time series
    def timeseries(self) -> pa.Table:
        n = len(self.date_end)
        cols: dict[str, Any] = {
            "replicate": np.repeat(np.arange(len(self.replicates)), n),
            "step": np.tile(np.arange(n), len(self.replicates)),
            "date": np.tile(self.date_end.astype("datetime64[D]"), len(self.replicates)),
            "burn_in": np.tile(np.arange(n) < self.burn_in, len(self.replicates)),
        }
        stages = np.concatenate([r.recorder.stages for r in self.replicates])
        for i, name in enumerate(STAGE_NAMES):
            cols[f"n_{name}"] = stages[:, i]
        flows = np.concatenate([r.recorder.flows for r in self.replicates])
        for i, name in enumerate(self.flow_names):
            cols[name.replace(".", "_")] = flows[:, i]
        return pa.table(cols)

    # ----------------------------------------------------------------- pandas, plot
    def to_pandas(self, kind: str = "replicates") -> Any:
        """A tidy pandas DataFrame: per replicate and indicator (default), ``"summary"``
        (means and intervals) or ``"timeseries"`` (:mod:`chainsim.results.frames`)."""
        from chainsim.results.frames import to_pandas

        return to_pandas(self, kind)  # type: ignore[arg-type]

    def plot(self, metric: str = "funds_in_place_yi", ax: Any = None) -> Any:
        """Quarterly totals of a flow with the replicate band (:func:`chainsim.results.frames.plot`)."""
        from chainsim.results.frames import plot

        return plot(self, metric, ax)


def growth(summary: dict[str, Any], metric: str, period: str, base: str) -> float:
    """Year-on-year growth as the ratio of two periods' means, minus one."""
    a = summary["periods"][period][metric]["mean"]
    b = summary["periods"][base][metric]["mean"]
    return a / b - 1.0 if b else math.nan

"""What one model run records as it goes: per-step flows and stage counts, event yields,
cohort landing, stage durations. Aggregation across replicates lives in
:mod:`chainsim.results.summary`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from chainsim.vocabulary import SOURCE_NAMES, Stage

if TYPE_CHECKING:
    from chainsim.engine.firms import Firms

BASE_FLOWS = [
    "contacts",
    "signings",
    "signing_value_yi",
    "signings_ge_10yi",
    "industrial_signings_ge_1yi",
    "industrial_signing_value_yi",
    "industrial_signings_ge_10yi",
    "registered",
    "landed",
    "producing",
    "lost",
    "funds_in_place_yi",
    "industrial_funds_in_place_yi",
    "fdi_usd_yi",
    "city_leader_trips",
    "county_leader_trips",
]
SOURCE_FLOWS = [f"signings_by_source.{s}" for s in SOURCE_NAMES]
FLOWS = BASE_FLOWS + SOURCE_FLOWS
F = {name: i for i, name in enumerate(FLOWS)}


class Recorder:
    def __init__(
        self, n_steps: int, n_segments: int, event_ids: list[str], cohort_ids: list[str], start_day: float
    ) -> None:
        self.flows = np.zeros((n_steps, len(FLOWS)))
        self.segment_signings = np.zeros((n_steps, n_segments), dtype=np.int32)
        self.missing = np.zeros((n_steps, n_segments), dtype=bool)  # missing links seen by the step
        self.stages = np.zeros((n_steps, len(Stage)), dtype=np.int64)
        self.event_signings = dict.fromkeys(event_ids, 0)
        self.event_value_yi = dict.fromkeys(event_ids, 0.0)
        self.cohort_ids = cohort_ids
        self.cohort_signed = np.zeros(len(cohort_ids), dtype=np.int64)
        self.cohort_landed = np.zeros(len(cohort_ids), dtype=np.int64)
        self.cohort_producing = np.zeros(len(cohort_ids), dtype=np.int64)
        self.start_day = start_day
        # durations of stage completions within the reported horizon: (days, served, value)
        self._durations: dict[str, list[tuple[NDArray, NDArray, NDArray]]] = {
            "signing_to_land_days": [],
            "signing_to_production_days": [],
            "construction_to_production_days": [],
        }

    def add(self, step: int, name: str, value: float) -> None:
        self.flows[step, F[name]] += value

    def signings(self, step: int, firms: Firms, slots: NDArray[np.int64]) -> None:
        v = firms.value_yi[slots]
        ind = firms.industrial[slots]
        row = self.flows[step]
        row[F["signings"]] += len(slots)
        row[F["signing_value_yi"]] += v.sum()
        row[F["signings_ge_10yi"]] += np.count_nonzero(v >= 10)
        big_ind = ind & (v >= 1)
        row[F["industrial_signings_ge_1yi"]] += np.count_nonzero(big_ind)
        row[F["industrial_signing_value_yi"]] += v[big_ind].sum()
        row[F["industrial_signings_ge_10yi"]] += np.count_nonzero(ind & (v >= 10))
        src = np.bincount(firms.source[slots], minlength=len(SOURCE_NAMES))
        row[F[SOURCE_FLOWS[0]] : F[SOURCE_FLOWS[-1]] + 1] += src
        np.add.at(self.segment_signings[step], firms.segment[slots], 1)

    def event(self, eid: str, firms: Firms, slots: NDArray[np.int64]) -> None:
        self.event_signings[eid] += len(slots)
        self.event_value_yi[eid] += float(firms.value_yi[slots].sum())

    def cohort_hits(
        self,
        bits: NDArray[np.uint16],
        day: NDArray[np.float64],
        as_of_day: NDArray[np.float64],
        into: NDArray[np.int64],
    ) -> None:
        """Count firms of each cohort reaching a milestone on or before its as-of day."""
        for c in range(len(self.cohort_ids)):
            into[c] += np.count_nonzero(((bits >> c) & 1).astype(bool) & (day <= as_of_day[c]))

    def durations(
        self,
        name: str,
        days: NDArray[np.float64],
        served: NDArray[np.bool_],
        value_yi: NDArray[np.float64],
        done_day: NDArray[np.float64],
    ) -> None:
        keep = done_day > self.start_day
        if keep.any():
            self._durations[name].append((days[keep], served[keep], value_yi[keep]))

    def duration_samples(
        self, name: str
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.float64]]:
        """All completions of ``name`` in the reported horizon: (days, served, value_yi)."""
        parts = self._durations[name]
        if not parts:
            return np.zeros(0), np.zeros(0, bool), np.zeros(0)
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))  # type: ignore[return-value]

    def median_durations(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {"commissioned": {}, "other": {}}
        for name in self._durations:
            days, served, _ = self.duration_samples(name)
            for group, mask in (("commissioned", served), ("other", ~served)):
                out[group][name] = float(np.median(days[mask])) if mask.any() else float("nan")
        return out

"""What a run records as it goes: per-step flows and stage counts, event yields, cohort
landing, stage durations. :class:`Recorder` holds one replicate (what results, outputs
and the reference engine read and write); :class:`BatchRecorder` holds a batch of
replicates in stacked arrays and hands out one :class:`Recorder` view per replicate.
Aggregation across replicates lives in :mod:`chainsim.results`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from chainsim.vocabulary import SOURCE_NAMES, Stage, source_names

#: the signing flows a signing adds to, in this order (see :meth:`BatchRecorder.signings`)
SIGNING_FLOWS = [
    "signings",
    "signing_value_yi",
    "signings_ge_10yi",
    "industrial_signings_ge_1yi",
    "industrial_signing_value_yi",
    "industrial_signings_ge_10yi",
]
#: money arriving (see funds.pay)
FUNDS_FLOWS = ["funds_in_place_yi", "industrial_funds_in_place_yi", "fdi_usd_yi"]
#: the flow columns every run has, in column order
BASE_FLOWS = [
    "contacts",
    *SIGNING_FLOWS,
    "registered",
    "landed",
    "producing",
    "lost",
    *FUNDS_FLOWS,
    "city_leader_trips",
    "county_leader_trips",
]
#: the built-in sources' flows; a run of registered strategies may add more after them
SOURCE_FLOWS = [f"signings_by_source.{s}" for s in SOURCE_NAMES[:5]]
FLOWS = BASE_FLOWS + SOURCE_FLOWS
F = {name: i for i, name in enumerate(FLOWS)}
DURATIONS = (
    "signing_to_land_days",
    "signing_to_production_days",
    "construction_to_production_days",
    "signing_to_service_days",  # commissioned projects only: when the service began (phase 7)
)
COMMISSIONED_ONLY = ("signing_to_service_days",)
#: project size classes (亿元) within which commissioned and other projects are compared
SIZE_CLASSES = (("lt_1yi", 0.0, 1.0), ("1_to_10yi", 1.0, 10.0), ("ge_10yi", 10.0, np.inf))
type F64 = NDArray[np.float64]
type I64 = NDArray[np.int64]
type Bool = NDArray[np.bool_]


def keep_in_horizon(
    into: list[tuple[NDArray, ...]], start_day: float, done_day: F64, *columns: NDArray
) -> None:
    """Append the rows of ``columns`` whose milestone fell inside the reported horizon."""
    keep = done_day > start_day
    if keep.any():
        into.append(tuple(c[keep] for c in columns))


def flow_names(sources: list[str], extra: list[str] | None = None) -> list[str]:
    """The flow columns of a run whose signing sources are ``sources`` (built-ins first),
    then the ``extra`` flows its strategies tally."""
    names = BASE_FLOWS + [f"signings_by_source.{s}" for s in sources]
    return names + [e for e in dict.fromkeys(extra or []) if e not in names]


class Recorder:
    """One replicate's records: the reference engine writes them, results read them (the
    vectorised engine's are views of a :class:`BatchRecorder`'s arrays)."""

    sources: list[str]
    flow_names: list[str]
    F: dict[str, int]
    flows: F64  # (step, flow)
    segment_signings: NDArray[np.int32]  # (step, segment)
    missing: Bool  # (step, segment): missing links seen by the step
    stages: I64  # (step, stage)
    event_signings: dict[str, int]  # project contracts signed at the ceremony
    event_value_yi: dict[str, float]
    event_framework: dict[str, int]  # framework agreements it announced beside them
    event_framework_value_yi: dict[str, float]
    cohort_ids: list[str]
    cohort_signed: I64
    cohort_landed: I64
    cohort_producing: I64
    cohort_fixed_signed: I64  # the fixed-asset (固投类) part of each cohort (S5)
    cohort_fixed_producing: I64
    start_day: float
    _durations: dict[str, list[tuple[NDArray, ...]]]  # completions in the horizon: (days, served, value)

    def __init__(
        self,
        n_steps: int,
        n_segments: int,
        event_ids: list[str],
        cohort_ids: list[str],
        start_day: float,
        sources: list[str] | None = None,
        extra_flows: list[str] | None = None,
    ) -> None:
        batch = BatchRecorder(
            1, n_steps, n_segments, event_ids, cohort_ids, start_day,
            list(sources) if sources is not None else source_names(), extra_flows,
        )  # fmt: skip
        batch.fill(self, 0)

    def add(self, step: int, name: str, value: float) -> None:
        self.flows[step, self.F[name]] += value

    def event_announced(self, eid: str) -> dict[str, float]:
        """What event ``eid``'s ceremony announced (签约 count and 协议金额): its project
        contracts plus its framework agreements, and the split."""
        n, v = self.event_signings[eid], self.event_value_yi[eid]
        fn, fv = self.event_framework[eid], self.event_framework_value_yi[eid]
        return {
            "signings": n + fn,
            "signing_value_yi": v + fv,
            "project_signings": n,
            "project_value_yi": v,
            "framework_agreements": fn,
            "framework_value_yi": fv,
        }

    def durations(self, name: str, days: F64, served: Bool, value_yi: F64, done_day: F64) -> None:
        keep_in_horizon(self._durations[name], self.start_day, done_day, days, served, value_yi)

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
                if group == "other" and name in COMMISSIONED_ONLY:
                    continue
                out[group][name] = float(np.median(days[mask])) if mask.any() else float("nan")
        return out

    def median_durations_by_size(self, name: str = "signing_to_land_days") -> dict[str, dict[str, float]]:
        """Medians of ``name`` for commissioned and other projects within each size class
        (:data:`SIZE_CLASSES`): service goes to the largest projects, which also need the
        most land, so only like-sized projects compare."""
        days, served, value = self.duration_samples(name)
        out: dict[str, dict[str, float]] = {}
        for cls, low, high in SIZE_CLASSES:
            size = (value >= low) & (value < high)
            out[cls] = {
                group: float(np.median(days[m])) if (m := size & mask).any() else float("nan")
                for group, mask in (("commissioned", served), ("other", ~served))
            }
        return out


class BatchRecorder:
    """The records of R replicates, stacked along a first axis. Every per-replicate sum is
    a ``bincount`` over rows in table order, the same additions in the same order as for
    the replicate alone."""

    def __init__(
        self,
        n_reps: int,
        n_steps: int,
        n_segments: int,
        event_ids: list[str],
        cohort_ids: list[str],
        start_day: float,
        sources: list[str],
        extra_flows: list[str] | None = None,
    ) -> None:
        self.R = n_reps
        self.sources = list(sources)
        self.flow_names = flow_names(self.sources, extra_flows)
        self.F = {name: i for i, name in enumerate(self.flow_names)}
        self.flows = np.zeros((n_reps, n_steps, len(self.flow_names)))
        self.segment_signings = np.zeros((n_reps, n_steps, n_segments), dtype=np.int32)
        self.missing = np.zeros((n_reps, n_steps, n_segments), dtype=bool)
        self.stages = np.zeros((n_reps, n_steps, len(Stage)), dtype=np.int64)
        self.event_ids = list(event_ids)
        self.event_signings = np.zeros((n_reps, len(event_ids)), dtype=np.int64)
        self.event_value_yi = np.zeros((n_reps, len(event_ids)))
        self.event_framework = np.zeros((n_reps, len(event_ids)), dtype=np.int64)
        self.event_framework_value_yi = np.zeros((n_reps, len(event_ids)))
        self.cohort_ids = list(cohort_ids)
        self.cohort_signed = np.zeros((n_reps, len(cohort_ids)), dtype=np.int64)
        self.cohort_landed = np.zeros((n_reps, len(cohort_ids)), dtype=np.int64)
        self.cohort_producing = np.zeros((n_reps, len(cohort_ids)), dtype=np.int64)
        self.cohort_fixed_signed = np.zeros((n_reps, len(cohort_ids)), dtype=np.int64)
        self.cohort_fixed_producing = np.zeros((n_reps, len(cohort_ids)), dtype=np.int64)
        self.start_day = start_day
        self._durations: dict[str, list[tuple[NDArray, ...]]] = {k: [] for k in DURATIONS}
        self._signing_cols = np.array([self.F[n] for n in SIGNING_FLOWS])
        self._k = np.arange(len(SIGNING_FLOWS))
        self._funds_cols, self._kf = np.array([self.F[n] for n in FUNDS_FLOWS]), np.arange(len(FUNDS_FLOWS))
        self._source0 = self.F[f"signings_by_source.{self.sources[0]}"]

    # -------------------------------------------------------------- writing
    def count(self, step: int, name: str, rep: NDArray[np.int64]) -> None:
        """Add one to ``name`` for each row, in its replicate."""
        if len(rep):
            self.flows[:, step, self.F[name]] += np.bincount(rep, minlength=self.R)

    def add(self, step: int, name: str, rep: NDArray[np.int64], values: NDArray[np.float64]) -> None:
        """Add each row's value to ``name`` in its replicate."""
        if len(rep):
            self.flows[:, step, self.F[name]] += np.bincount(rep, weights=values, minlength=self.R)

    def add_all(self, step: int, name: str, value: float) -> None:
        """Add the same value to every replicate (a schedule, e.g. leader trips)."""
        self.flows[:, step, self.F[name]] += value

    def signings(
        self,
        step: int,
        rep: NDArray[np.int64],
        value: NDArray[np.float64],
        industrial: NDArray[np.bool_],
        source: NDArray[np.int64],
        segment: NDArray[np.int64],
    ) -> None:
        """Signing counts and values (F6, F12a's industrial ≥ 1 亿 and ≥ 10 亿) and sources."""
        big_ind = industrial & (value >= 1)
        k, R = len(SIGNING_FLOWS), self.R
        contrib = np.empty((len(rep), k))
        contrib[:, 0] = 1.0
        contrib[:, 1] = value
        contrib[:, 2] = value >= 10
        contrib[:, 3] = big_ind
        contrib[:, 4] = np.where(big_ind, value, 0.0)
        contrib[:, 5] = industrial & (value >= 10)
        sums = np.bincount((rep[:, None] * k + self._k).ravel(), weights=contrib.ravel(), minlength=R * k)
        row = self.flows[:, step]
        row[:, self._signing_cols] += sums.reshape(R, k)
        n_src = len(self.sources)
        row[:, self._source0 : self._source0 + n_src] += np.bincount(
            rep * n_src + source, minlength=R * n_src
        ).reshape(R, n_src)
        S = self.segment_signings.shape[2]
        self.segment_signings[:, step] += (
            np.bincount(rep * S + segment, minlength=R * S).reshape(R, S).astype(np.int32)
        )

    def funds(self, step: int, rep: I64, domestic: F64, industrial: F64, fdi: F64) -> None:
        """Money arriving, per replicate: FUNDS_FLOWS in one bincount (row order kept)."""
        k, R = len(FUNDS_FLOWS), self.R
        sums = np.bincount(
            (rep[:, None] * k + self._kf).ravel(),
            weights=np.stack([domestic, industrial, fdi], axis=1).ravel(),
            minlength=R * k,
        )
        self.flows[:, step, self._funds_cols] += sums.reshape(R, k)

    def event(self, e: int, rep: NDArray[np.int64], value: NDArray[np.float64]) -> None:
        self.event_signings[:, e] += np.bincount(rep, minlength=self.R)
        self.event_value_yi[:, e] += np.bincount(rep, weights=value, minlength=self.R)

    def framework(self, e: int, count: I64, value: F64) -> None:
        """Framework agreements event ``e`` announced, per replicate."""
        self.event_framework[:, e] += count
        self.event_framework_value_yi[:, e] += value

    def cohorts(
        self,
        into: NDArray[np.int64],
        rep: NDArray[np.int64],
        bits: NDArray[np.int64],
        day: NDArray[np.float64] | None = None,
        as_of: NDArray[np.float64] | None = None,
    ) -> None:
        """Count rows of each reporting cohort (bit c of ``bits``), reaching a milestone
        on ``day`` on or before the cohort's as-of day when given."""
        for c in range(len(self.cohort_ids)):
            hit = ((bits >> c) & 1).astype(bool)
            if day is not None and as_of is not None:
                hit &= day <= as_of[c]
            into[:, c] += np.bincount(rep[hit], minlength=self.R)

    def durations(self, name: str, rep: I64, days: F64, served: Bool, value_yi: F64, done_day: F64) -> None:
        keep_in_horizon(self._durations[name], self.start_day, done_day, rep, days, served, value_yi)

    # -------------------------------------------------------------- reading
    def replicate(self, r: int) -> Recorder:
        """Replicate ``r``'s records as a :class:`Recorder` (arrays are views)."""
        rec = Recorder.__new__(Recorder)
        self.fill(rec, r)
        return rec

    def fill(self, rec: Recorder, r: int) -> None:
        """Make ``rec`` replicate ``r``'s records (arrays are views, the rest copies)."""
        rec.sources, rec.flow_names, rec.F = self.sources, self.flow_names, self.F
        rec.flows, rec.segment_signings = self.flows[r], self.segment_signings[r]
        rec.missing, rec.stages = self.missing[r], self.stages[r]
        rec.event_signings = {e: int(self.event_signings[r, i]) for i, e in enumerate(self.event_ids)}
        rec.event_value_yi = {e: float(self.event_value_yi[r, i]) for i, e in enumerate(self.event_ids)}
        rec.event_framework = {e: int(self.event_framework[r, i]) for i, e in enumerate(self.event_ids)}
        rec.event_framework_value_yi = {
            e: float(self.event_framework_value_yi[r, i]) for i, e in enumerate(self.event_ids)
        }
        rec.cohort_ids = self.cohort_ids
        rec.cohort_signed = self.cohort_signed[r]
        rec.cohort_landed = self.cohort_landed[r]
        rec.cohort_producing = self.cohort_producing[r]
        rec.cohort_fixed_signed = self.cohort_fixed_signed[r]
        rec.cohort_fixed_producing = self.cohort_fixed_producing[r]
        rec.start_day = self.start_day
        rec._durations = {}
        for name, parts in self._durations.items():
            mine: list[tuple[NDArray, ...]] = []
            for rep, days, served, value in parts:
                k = rep == r
                if k.any():
                    mine.append((days[k], served[k], value[k]))
            rec._durations[name] = mine

"""The model the dashboard steps: :class:`ChainModel`, warmed up, with a few extra records.

The class watches the reported weeks (from the scenario's ``start_date``), so the model
runs its burn-in when it is built: step 1 on the page is the first week of 2022, and the
pipeline already holds the projects of earlier years. Beyond what the model's recorder
keeps, the page needs the signing *value* by source and each signing's fate by signing
quarter; :meth:`ClassroomModel.on_signed` notes both as signings happen, and each step
the stages and signing and construction days of the firms signed so far are copied from
the pipeline tables (a table forgets a firm once it produces or is lost).

The page's model is a batch of replicates (``runs``, :data:`ENSEMBLE_RUNS` on the page):
replicate 0 is the run the page draws, the others give the spread that the ensemble view
shows around it. Nothing here changes the model's behaviour: the seeds are the replicate
seeds of ``chainsim run --seed S -r N``, and replicate r of the batch is replicate r of
that command (replicate 0 alone is ``chainsim run SCENARIO --seed S -r 1 --set …``),
step for step.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from chainsim.api import replicate_seeds
from chainsim.config.loader import resolve_scenario, validate
from chainsim.config.schema import Scenario
from chainsim.dashboard.controls import Levers, load_base, overrides
from chainsim.engine.calendar import NEVER
from chainsim.engine.model import ChainModel
from chainsim.vocabulary import Stage, source_names

ENSEMBLE_RUNS = 20  # replicates the page runs together: its own and 19 more for the spread
SPREAD_DROP = 2  # the spread shown leaves out this many lowest and highest runs: the middle 16 of 20
DEFAULT_MAJOR_YI = 1.0  # "major project" size when the scenario has no reporting cohort (F16's stated ≥ 1 亿)


class ClassroomModel(ChainModel):
    """A ChainModel past its burn-in, recording what the dashboard's views show.

    ``seeds``: a batch of replicates (see :class:`ChainModel`); replicate 0 is the page's run.
    """

    def __init__(self, config: Scenario, rng: int | None = None, *, seeds: list[int] | None = None) -> None:
        super().__init__(config, rng=rng, seeds=seeds)
        cal = self.calendar
        n, k = cal.n_steps, len(source_names())
        self.value_by_source = np.zeros((self.n_reps, n, k))  # 亿元 signed per replicate, step and source
        # (firm ids, day, quarter) per step; a firm's id in the batch is replicate × pool size + slot
        self._signed: list[tuple[NDArray[np.int64], float, int]] = []
        # the last stage and milestone days seen of each firm signed so far, by sorted id
        self._ids = np.zeros(0, dtype=np.int64)
        self._stage = np.zeros(0, dtype=np.int64)
        self._signed_day, self._construction_day = np.zeros(0), np.zeros(0)
        # signing quarters of the reported period, all known from the start (a fixed axis)
        labels = [f"{d.year}Q{(d.month - 1) // 3 + 1}" for d in cal.date_end[cal.burn_in :].astype(dt.date)]
        self.quarters: list[str] = list(dict.fromkeys(labels))
        self._quarter_of_step = np.array([-1] * cal.burn_in + [self.quarters.index(q) for q in labels])
        cohorts = list(config.reporting.cohorts.values())
        self.major_yi = cohorts[0].min_value_yi if cohorts else DEFAULT_MAJOR_YI
        for _ in range(cal.burn_in):  # warm-up: the class starts in a steady-state pipeline
            self.step()
        # what was there on the first reported day, to show what is new since
        self.producing_at_start = self.producing_by_segment[0].copy()
        self.park_producing_at_start = self.parks.producing[0].copy()
        self.land_used_at_start = self.parks.land_used[0].copy()

    # ------------------------------------------------------------------ stepping
    def on_signed(self, t: int, rows: NDArray[np.int64]) -> None:
        if len(rows) == 0 or t < self.calendar.burn_in:
            return
        a, R, k = self.projects, self.n_reps, self.value_by_source.shape[2]
        rep = a.i("rep")[rows]
        self.value_by_source[:, t] += np.bincount(
            rep * k + a.i("source")[rows], weights=a.f("value_yi")[rows], minlength=R * k
        ).reshape(R, k)
        ids = rep * self.pool.n + a.i("slot")[rows]
        self._signed.append((ids, self.day, int(self._quarter_of_step[t])))
        self._track(ids)

    def _track(self, ids: NDArray[np.int64]) -> None:
        """Start following the fate of firms not followed yet."""
        new = np.setdiff1d(ids, self._ids)
        if not len(new):
            return
        merged = np.union1d(self._ids, new)
        old = np.searchsorted(merged, self._ids)
        stage, signed, built = (
            np.zeros(len(merged), dtype=np.int64),
            np.full(len(merged), NEVER),
            np.full(len(merged), NEVER),
        )
        stage[old], signed[old], built[old] = self._stage, self._signed_day, self._construction_day
        self._ids, self._stage, self._signed_day, self._construction_day = merged, stage, signed, built

    def record(self, t: int) -> None:
        """Copy the stage and milestone days of each followed firm from the tables before the
        model drops finished rows (finished rows first, so a firm's live row has the last word)."""
        if len(self._ids):
            for table, first, last in (
                (self.talks, Stage.CONTACTED, Stage.NEGOTIATING),
                (self.projects, Stage.SIGNED, Stage.CONSTRUCTION),
            ):
                stage = table.i("stage")
                ids = table.i("rep") * self.pool.n + table.i("slot")
                pos = np.minimum(np.searchsorted(self._ids, ids), len(self._ids) - 1)
                followed = self._ids[pos] == ids
                if table is self.talks:  # a talks row left at SIGNED moved to the projects,
                    followed &= stage != Stage.SIGNED  # whose row has the word (even once dropped)
                live = (stage >= first) & (stage <= last)
                for rows in (followed & ~live, followed & live):
                    p = pos[rows]
                    self._stage[p] = stage[rows]
                    if table is self.projects:
                        self._signed_day[p] = table.f("signed_day")[rows]
                        self._construction_day[p] = np.maximum(
                            self._construction_day[p], table.f("construction_day")[rows]
                        )
        super().record(t)

    # ------------------------------------------------------------------ what the page reads
    @property
    def week(self) -> int:
        """Reported steps done (0 right after the burn-in)."""
        return self.step_no - self.calendar.burn_in

    @property
    def n_weeks(self) -> int:
        return self.calendar.n_steps - self.calendar.burn_in

    @property
    def reported(self) -> slice:
        """Step indices of the reported steps done so far."""
        return slice(self.calendar.burn_in, self.step_no)

    def date(self) -> dt.date:
        """Last day of the latest step (the day before the start while at week 0)."""
        if self.week == 0:
            return self.config.calendar.start_date - dt.timedelta(days=1)
        return self.calendar.date_end[self.step_no - 1].astype(dt.date)

    def _fates(self) -> tuple[NDArray[np.int64], NDArray[np.int64], dict[str, NDArray[np.bool_]]]:
        """Replicate, signing quarter and fate (landed, pending, major) of every signing so far."""
        ids = np.concatenate([s for s, _, _ in self._signed])
        day = np.concatenate([np.full(len(s), d) for s, d, _ in self._signed])
        q = np.concatenate([np.full(len(s), qi) for s, _, qi in self._signed])
        pos, slots = np.searchsorted(self._ids, ids), ids % self.pool.n
        same_project = self._signed_day[pos] == day  # not lost, recycled and signed again since
        stage = self._stage[pos]
        # 落地: a fixed-asset project broke ground; any other registered (docs/model.md; one
        # lost after registering is not seen here: the table keeps no registration day)
        registered = (
            ~self.pool.fixed_asset[slots]
            & same_project
            & (stage >= Stage.REGISTERED)
            & (stage <= Stage.PRODUCING)
        )
        landed = (self._construction_day[pos] >= day) | registered
        pending = ~landed & same_project & (stage >= Stage.SIGNED) & (stage < Stage.CONSTRUCTION)
        major = self.pool.value_yi[slots] >= self.major_yi
        return ids // self.pool.n, q, {"landed": landed, "pending": pending, "major": major}

    def cohort_status(self, rep: int = 0) -> Cohorts:
        """The fate of each signing quarter's projects so far (of replicate ``rep``)."""
        nq = len(self.quarters)
        if not self._signed:
            zero = np.zeros(nq, dtype=np.int64)
            return Cohorts(list(self.quarters), zero, zero, zero, zero, zero, zero)
        reps, q, fate = self._fates()
        mine = reps == rep
        q, landed, pending, major = q[mine], fate["landed"][mine], fate["pending"][mine], fate["major"][mine]

        def count(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
            return np.bincount(q[mask], minlength=nq)

        signed = np.bincount(q, minlength=nq)
        return Cohorts(
            list(self.quarters),
            signed,
            count(landed),
            count(pending),
            signed - count(landed) - count(pending),
            count(major),
            count(landed & major),
        )

    def landed_shares(self) -> NDArray[np.float64]:
        """Share of each signing quarter's signings landed so far, per replicate
        (replicates × quarters; NaN where a replicate signed nothing that quarter)."""
        R, nq = self.n_reps, len(self.quarters)
        if not self._signed:
            return np.full((R, nq), np.nan)
        reps, q, fate = self._fates()
        cell = reps * nq + q
        signed = np.bincount(cell, minlength=R * nq).reshape(R, nq)
        landed = np.bincount(cell[fate["landed"]], minlength=R * nq).reshape(R, nq)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(signed > 0, landed / np.maximum(signed, 1), np.nan)

    def in_service(self) -> int:
        """Projects of the page's run holding a commissioner slot now."""
        a = self.projects
        return int(
            np.count_nonzero(a.b("serving") & (a.i("stage") <= Stage.CONSTRUCTION) & (a.i("rep") == 0))
        )


@dataclass(frozen=True)
class Cohorts:
    """Signings of each signing quarter and what became of them (counts per quarter)."""

    quarters: list[str]
    signed: NDArray[np.int64]
    landed: NDArray[np.int64]  # broke ground (落地 = 开工)
    pending: NDArray[np.int64]  # signed, registered or holding land
    dropped: NDArray[np.int64]
    major_signed: NDArray[np.int64]
    major_landed: NDArray[np.int64]


@dataclass(frozen=True)
class Built:
    """A model with the levers and files it was built from."""

    model: ClassroomModel
    levers: Levers
    base: Scenario
    calibrated: bool
    overrides: list[str]


def build(levers: Levers, runs: int = 1) -> Built:
    """Load the scenario with the levers' overrides and build the model (burn-in included):
    ``runs`` replicates, the first of which is the page's run.

    Raises :class:`chainsim.config.loader.ScenarioError` for a bad file or value.
    """
    base, calibrated = load_base(levers.scenario)
    sets = overrides(levers, base)
    data, source = resolve_scenario(levers.scenario, sets)
    cfg = validate(Scenario, data, source)
    cfg = cfg.model_copy(update={"seed": levers.seed})
    model = ClassroomModel(cfg, seeds=replicate_seeds(levers.seed, runs))
    return Built(model, levers, base, calibrated, sets)


@dataclass
class Session:
    """One tab's model, and the lock that keeps stepping and drawing apart."""

    built: Built
    lock: threading.RLock = field(default_factory=threading.RLock)

    def step(self) -> bool:
        with self.lock:
            m = self.built.model
            if m.running:
                m.step()
            return m.running

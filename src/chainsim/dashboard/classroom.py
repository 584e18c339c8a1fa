"""The model the dashboard steps: :class:`ChainModel`, warmed up, with a few extra records.

The class watches the reported weeks (from the scenario's ``start_date``), so the model
runs its burn-in when it is built: step 1 on the page is the first week of 2022, and the
pipeline already holds the projects of earlier years. Beyond what the model's recorder
keeps, the page needs the signing *value* by source and each signing's fate by signing
quarter; :meth:`ClassroomModel.on_signed` notes both as signings happen, and each step
the firms' stages and signing and construction days are copied from the pipeline tables
into per-firm arrays (a table forgets a firm once it produces or is lost).

Nothing here changes the model's behaviour: the seed is the first replicate seed of
``chainsim run --seed S``, so a run on the page matches ``chainsim run SCENARIO --seed S
-r 1 --set …`` step for step.
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

DEFAULT_MAJOR_YI = 1.0  # "major project" size when the scenario has no reporting cohort (F16's stated ≥ 1 亿)


class ClassroomModel(ChainModel):
    """A ChainModel past its burn-in, recording what the dashboard's views show."""

    def __init__(self, config: Scenario, rng: int | None = None) -> None:
        super().__init__(config, rng=rng)
        cal = self.calendar
        n, k = cal.n_steps, len(source_names())
        self.value_by_source = np.zeros((n, k))  # 亿元 signed per step and source
        self._signed: list[tuple[NDArray[np.int64], float, int]] = []  # (slots, day, quarter) per step
        n_pool = self.pool.n
        self.signed_day, self.construction_day = np.full(n_pool, NEVER), np.full(n_pool, NEVER)
        self.stage_of = np.zeros(n_pool, dtype=np.int64)  # last pipeline stage seen
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
        a = self.projects
        self.value_by_source[t] += np.bincount(
            a.i("source")[rows], weights=a.f("value_yi")[rows], minlength=self.value_by_source.shape[1]
        )
        self._signed.append((a.i("slot")[rows].copy(), self.day, int(self._quarter_of_step[t])))

    def record(self, t: int) -> None:
        """Copy each firm's stage and milestone days from the tables before the model drops
        finished rows (finished rows first, so a firm's live row has the last word)."""
        for table, first, last in (
            (self.talks, Stage.CONTACTED, Stage.NEGOTIATING),
            (self.projects, Stage.SIGNED, Stage.CONSTRUCTION),
        ):
            stage, slot = table.i("stage"), table.i("slot")
            live = (stage >= first) & (stage <= last)
            for rows in (~live, live):
                s = slot[rows]
                self.stage_of[s] = stage[rows]
                if table is self.projects:
                    self.signed_day[s] = table.f("signed_day")[rows]
                    self.construction_day[s] = np.maximum(
                        self.construction_day[s], table.f("construction_day")[rows]
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

    def cohort_status(self) -> Cohorts:
        """The fate of each signing quarter's projects so far."""
        nq = len(self.quarters)
        if not self._signed:
            zero = np.zeros(nq, dtype=np.int64)
            return Cohorts(list(self.quarters), zero, zero, zero, zero, zero, zero)
        slots = np.concatenate([s for s, _, _ in self._signed])
        day = np.concatenate([np.full(len(s), d) for s, d, _ in self._signed])
        q = np.concatenate([np.full(len(s), qi) for s, _, qi in self._signed])
        same_project = self.signed_day[slots] == day  # not lost, recycled and signed again since
        stage = self.stage_of[slots]
        # 落地: a fixed-asset project broke ground; any other registered (docs/model.md; one
        # lost after registering is not seen here: the table keeps no registration day)
        registered = (
            ~self.pool.fixed_asset[slots]
            & same_project
            & (stage >= Stage.REGISTERED)
            & (stage <= Stage.PRODUCING)
        )
        landed = (self.construction_day[slots] >= day) | registered
        pending = ~landed & same_project & (stage >= Stage.SIGNED) & (stage < Stage.CONSTRUCTION)
        major = self.pool.value_yi[slots] >= self.major_yi

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

    def in_service(self) -> int:
        """Projects holding a commissioner slot now."""
        a = self.projects
        return int(np.count_nonzero(a.b("serving") & (a.i("stage") <= Stage.CONSTRUCTION)))


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


def build(levers: Levers) -> Built:
    """Load the scenario with the levers' overrides and build the model (burn-in included).

    Raises :class:`chainsim.config.loader.ScenarioError` for a bad file or value.
    """
    base, calibrated = load_base(levers.scenario)
    sets = overrides(levers, base)
    data, source = resolve_scenario(levers.scenario, sets)
    cfg = validate(Scenario, data, source)
    cfg = cfg.model_copy(update={"seed": levers.seed})
    model = ClassroomModel(cfg, rng=replicate_seeds(levers.seed, 1)[0])
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

"""ChainModel: firms, parks and promotion strategies wired into one Mesa model, for a
batch of replicates at once."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass

import mesa
import numpy as np
from numpy.typing import NDArray

from chainsim.config.schema import Scenario
from chainsim.engine import funds, pipeline, talks
from chainsim.engine.active import Active
from chainsim.engine.calendar import Calendar
from chainsim.engine.chains import ChainIndex
from chainsim.engine.climate import ClimateSteps
from chainsim.engine.contact import draw
from chainsim.engine.measure import Measure
from chainsim.engine.parks import ParkSystem
from chainsim.engine.pool import cached_pool
from chainsim.engine.records import BatchRecorder, Recorder
from chainsim.engine.rng import BatchStreams
from chainsim.engine.strategies import Ceremony, Service, StageFactors, Strategy, registered
from chainsim.vocabulary import Stage, source_names


@dataclass
class StepOrders:
    """What the strategies decided for this step, beyond contacts."""

    ceremonies: list[Ceremony]
    service: Service | None
    factors: StageFactors


def release_models() -> None:
    """Free finished models now, in a worker that builds one model after another.

    A ChainModel sits in reference cycles (its parks and strategies point back at it, as Mesa
    agents do), holding the firm arrays; the few Python objects it allocates never trigger
    the cyclic collector, so a worker grew by ≈ 50 MB a model until a full collection ran
    (16 runs of the default: 1 GB, flat at 480 MB with a collection after each; the
    calibration's workers reached 7.5 GB). One full collection costs ≈ 60 ms."""
    gc.collect()


class ChainModel(mesa.Model):
    """Industry-chain investment promotion in one city, for R replicates at once.

    ``ChainModel(config, rng=seed)`` runs one replicate; ``seeds=[s0, s1, …]`` runs a batch
    whose replicate r gives exactly what ``ChainModel(config, rng=s_r)`` gives. The
    candidate pool is drawn once from the scenario's seed and shared by the batch.

    One step (a week by default; 4-week steps in the coarse part of the burn-in) runs the
    phases of docs/model.md in order; strategies (:mod:`chainsim.engine.strategies`) hand
    in orders and multipliers, the talks (:mod:`chainsim.engine.talks`) and the pipeline
    (:mod:`chainsim.engine.pipeline`) apply them to the rows of the pipeline tables:

    1. ``recycle``      lost firms whose cool-down has ended return to the pool; parks'
       land banks refill.
    2. ``chain_state``  local producers per segment → missing links (缺链) and supplier
       access. No randomness.
    3. ``contact``      each strategy's contact orders; the pool draws those firms →
       contacted (event invitees: negotiating). Streams: contact_sampling, and the
       strategies' own (trip_destination, poisson_counts, target_choice, referral_target).
    4. ``ceremonies``   an event on this step signs its invitees still negotiating and
       announces framework agreements. Streams: event_close, framework.
    5. ``negotiate``    contacted → negotiating or lost; negotiating → signed or lost.
       Streams: engage, negotiate.
    6. ``sign``         park choice (logit), registration date, cohorts. Streams: park_choice, duration.
    7. ``serve``        free service slots go to the largest unserved projects.
    8. ``build``        signed → registered → land → construction → producing (without fixed
       assets: registered → producing); drop-outs. Streams: duration, divert, park_choice,
       after_signing.
    9. ``funds``        construction instalments arrive (registration, land, production and
       paid-in capital arrive in 8); :mod:`.measure` says which statistic counts them.
    10. ``record``      stage counts of the step.
    """

    def __init__(
        self, config: Scenario, rng: int | None = None, *, seeds: Sequence[int] | None = None
    ) -> None:
        seeds = [config.seed if rng is None else int(rng)] if seeds is None else [int(s) for s in seeds]
        super().__init__(rng=seeds[0])
        self.config = cfg = config
        self.seeds, self.n_reps = seeds, len(seeds)
        self.seed = seeds[0]
        self.calendar = cal = Calendar(cfg.calendar)
        self.streams = BatchStreams(seeds, cal.n_steps)
        self.climate = ClimateSteps(cfg, cal)
        self.chains = ChainIndex(cfg.chains)
        self.region_ids = list(cfg.population.regions)
        self.pool = cached_pool(cfg, self.chains, cfg.seed)
        self.measure = Measure(cfg, cal)  # what each statistic counts (F2a, F12b, F2b)
        R, S = self.n_reps, self.chains.n_segments
        self.step_no, self.day = 0, 0.0
        self.idle = np.full(R * self.pool.n, True)  # replicate r's firm i is in the pool: [r × n + i]
        self.lost_queue: dict[int, list[NDArray[np.int64]]] = {}
        self.n_producing = np.zeros(R, dtype=np.int64)
        self.n_lost = np.zeros(R, dtype=np.int64)
        self.producing_by_segment = np.zeros((R, S), dtype=np.int64)
        self.producing_anchors = np.zeros((R, S), dtype=np.int64)
        self.missing = np.zeros((R, S), dtype=bool)
        self.anchors = np.zeros((R, S), dtype=np.int64)
        self.access = np.zeros((R, S))
        self.parks = ParkSystem(self, cfg.parks, self.chains.chain_ids, cfg.location, R)
        self.strategies: list[Strategy] = [s for cls in registered() if (s := cls.build(self)) is not None]
        self.marking = [s for s in self.strategies if s.marks_contacts]
        self.catalog = self.pool.catalog([way for s in self.strategies for way in s.sampling()])
        marks = [s.key for s in self.marking]
        self.talks, self.projects = Active(self.pool, marks), Active(self.pool, marks)
        self.step_orders = StepOrders([], None, StageFactors())
        rep = cfg.reporting
        self.event_index = {eid: i for i, eid in enumerate(cfg.events)}
        self.recorder_batch = BatchRecorder(
            R, cal.n_steps, S, list(cfg.events), list(rep.cohorts),
            float(cal.day_of(cfg.calendar.start_date) - 1), source_names(),
            [name for s in self.strategies for name in s.tallies],
        )  # fmt: skip
        self.cohorts = list(rep.cohorts.values())
        self.cohort_as_of = np.array([cal.day_of(c.as_of) for c in self.cohorts], dtype=np.float64)
        self.cohort_open = np.array(
            [cal.steps_between(c.signed_from, c.signed_until) for c in self.cohorts]
        ).reshape(len(self.cohorts), cal.n_steps)

    # ------------------------------------------------------------------ stepping
    def step(self) -> None:
        t = self.step_no
        self.day = float(self.calendar.day_end[t])
        self.recycle(t)
        self.chain_state(t)
        self.plan_step(t)
        self.contact(t)
        signed = talks.hold_ceremonies(self, t)
        signed = np.concatenate([signed, talks.negotiate(self, t)])
        pipeline.sign(self, t, signed)
        pipeline.serve(self, t)
        pipeline.build(self, t)
        funds.pay_construction(self, t)
        self.record(t)
        self.step_no += 1
        if self.step_no >= self.calendar.n_steps:
            self.running = False

    def run(self) -> ChainModel:
        while self.running:
            self.step()
        return self

    # ------------------------------------------------------------------ phases
    def recycle(self, t: int) -> None:
        """Phase 1: lost firms whose cool-down ends return to the pool; land banks refill."""
        back = self.lost_queue.pop(t, None)
        if back:
            flat = np.concatenate(back)
            self.idle[flat] = True
            self.n_lost -= np.bincount(flat // self.pool.n, minlength=self.n_reps)
        self.parks.refill(float(self.calendar.step_len[t]))

    def chain_state(self, t: int) -> None:
        """Phase 2: missing links (缺链) and supplier access from the local producers."""
        local = self.chains.incumbents + self.producing_by_segment
        self.missing = self.chains.missing(local, self.config.strategies.chain_based.missing_link_ratio)
        self.access = self.chains.supplier_access(~self.missing)
        self.anchors = self.chains.anchor_incumbents + self.producing_anchors
        self.recorder_batch.missing[:, t] = self.missing

    def plan_step(self, t: int) -> None:
        """The strategies' ceremonies, service and stage factors for this step."""
        factors, service, ceremonies = StageFactors(), None, []
        if (f := self.climate.stage_factors(t)) is not None:
            factors = f  # the climate's pace of progress (docs/model.md, "Business climate")
        for s in self.strategies:
            ceremonies += s.ceremonies(t)
            if (f := s.stage_factors(t)) is not None:
                factors = factors * f
            if (svc := s.service(t)) is not None:
                if service is not None:
                    raise ValueError(f"two strategies offer a service at step {t}; only one may ({s.key})")
                service = svc
            for name, value in s.tally(t).items():
                self.recorder_batch.add_all(t, name, value)
        self.step_orders = StepOrders(ceremonies, service, factors)

    def contact(self, t: int) -> None:
        """Phase 3: every strategy's contact orders, drawn from the pool in one pass."""
        marks = {s.key: i for i, s in enumerate(self.marking)}
        thin = self.climate.thin
        orders = [
            (o, marks.get(s.key, -1))
            for s in self.strategies
            for o0 in s.contacts(t)
            if len(o := thin(t, o0, self.streams))
        ]
        if not orders:
            return
        # a way no strategy declared gets its block now, in a catalog of this run's own
        self.catalog = self.catalog.with_ways([(o.by, o.size_bias) for o, _ in orders])
        got = draw(self.catalog, self.idle, self.streams.contact_sampling, t, orders)
        first = self.talks.n
        self.talks.add(
            got.rep, got.slot, got.stage, got.source, self.day, got.hold_day, got.mark, got.invited
        )
        talks.schedule_replies(self, t, np.arange(first, self.talks.n))
        self.recorder_batch.count(t, "contacts", got.rep)

    def record(self, t: int) -> None:
        """Phase 10: count the stages (a table's finished rows are left out: moved or lost
        talks; producing and lost projects, which the producing and lost counts replace),
        and drop finished rows from time to time."""
        R, k = self.n_reps, len(Stage)
        counts = np.zeros((R, k), dtype=np.int64)
        for table, first, last in (
            (self.talks, Stage.CONTACTED, Stage.NEGOTIATING),
            (self.projects, Stage.SIGNED, Stage.CONSTRUCTION),
        ):
            stage = table.i("stage")
            by_stage = np.bincount(table.i("rep") * k + stage, minlength=R * k).reshape(R, k)
            counts[:, first : last + 1] = by_stage[:, first : last + 1]
            # talks: dead rows cost a mask or two a step; projects are scanned by four phases
            table.drop_finished(
                (stage >= first) & (stage <= last), slack=0.5 if table is self.talks else 0.25
            )
        counts[:, Stage.PRODUCING] = self.n_producing
        counts[:, Stage.LOST] = self.n_lost
        counts[:, Stage.POOL] = self.pool.n - counts.sum(axis=1)
        self.recorder_batch.stages[:, t] = counts

    def on_signed(self, t: int, rows: NDArray[np.int64]) -> None:
        """Called at the end of phase 6 with the table rows that signed (for subclasses
        that keep extra records, such as the classroom dashboard's)."""

    # ------------------------------------------------------------------ results
    @property
    def recorders(self) -> list[Recorder]:
        """One :class:`Recorder` per replicate (views of the batch's arrays)."""
        return [self.recorder_batch.replicate(r) for r in range(self.n_reps)]

    @property
    def recorder(self) -> Recorder:
        """The first (for ``rng=`` runs, the only) replicate's records."""
        return self.recorder_batch.replicate(0)

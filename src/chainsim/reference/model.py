"""ReferenceModel: the model of docs/model.md written for reading, one Mesa agent per firm.

It is the teaching version of :class:`chainsim.engine.model.ChainModel` ("this is what the
fast code computes") and its yardstick. The promotion strategies are shared: the model
builds every registered strategy (:mod:`chainsim.engine.strategies`) with itself as their
:class:`~chainsim.engine.strategies.Context` (one replicate) and, phase by phase, carries
out what they order, firm by firm — contact orders, signing ceremonies, sign multipliers,
the service order, stage factors and tallies. The pipeline is its own, written from the
specification: negotiation, signing, park choice, the land queue, building, funds and
drop-outs; tests/test_reference.py checks the two engines agree *in distribution* (they
share the strategies' plans but not a random number of the pipeline, all of which comes
from ``self.rng``). It never imports the fast pipeline (model, pipeline, contact, active,
pool, parks). :meth:`ReferenceModel.step` runs the ten phases in the spec's order; each
firm's own rules are in :mod:`.agents`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import mesa
import numpy as np

from chainsim.config.schema import Scenario
from chainsim.engine.calendar import NEVER, Calendar
from chainsim.engine.chains import ChainIndex
from chainsim.engine.climate import ClimateSteps
from chainsim.engine.measure import Measure
from chainsim.engine.records import DURATIONS, Recorder
from chainsim.engine.rng import BatchStreams
from chainsim.engine.strategies import Ceremony, Service, StageFactors, Strategy, Within, registered
from chainsim.reference.agents import FirmAgent, Group, Park
from chainsim.reference.population import draw_firms
from chainsim.vocabulary import Stage, source_names

TALKING = (Stage.CONTACTED, Stage.NEGOTIATING)


@dataclass
class StepOrders:
    """What the strategies ordered for this step beyond contacts (asked once, after phase 2)."""

    ceremonies: list[Ceremony] = field(default_factory=list)  # phase 4
    service: Service | None = None  # phases 7 and 8 (at most one strategy offers one)
    factors: StageFactors = field(default_factory=StageFactors)  # phases 6 and 8 (they multiply)


class ReferenceModel(mesa.Model):
    """Industry-chain investment promotion, one :class:`FirmAgent` per candidate firm.

    The attributes ``config``, ``calendar``, ``chains``, ``region_ids``, ``n_reps`` (1),
    ``streams``, ``missing`` and ``anchors`` (1 × segments) are the context the strategies
    read; the last two are kept up to date by :meth:`chain_state`.
    """

    def __init__(self, config: Scenario, rng: int | None = None) -> None:
        seed = config.seed if rng is None else int(rng)
        super().__init__(rng=seed)
        # --- the strategies' context (chainsim.engine.strategies.Context), one replicate
        self.config = cfg = config
        self.calendar = cal = Calendar(cfg.calendar)
        self.chains = ChainIndex(cfg.chains)  # segment numbering and neighbours (the chain maps)
        self.measure = Measure(cfg, cal)  # what each statistic counts (F2a, F12b, F2b)
        self.region_ids = list(cfg.population.regions)
        self.n_reps = 1
        self.streams = BatchStreams([seed])  # the strategies plan with these; the firms use self.rng
        self.climate = ClimateSteps(cfg, cal)  # business climate per step (docs/model.md)
        n_seg = self.chains.n_segments
        self.missing = np.zeros((1, n_seg), dtype=bool)
        self.anchors = np.zeros((1, n_seg), dtype=np.int64)
        # --- the world
        self.t, self.day, self.step_len, self.s = 0, 0.0, 0.0, 1.0
        self.producing_by_segment = [0] * n_seg
        self.producing_anchors = [0] * n_seg
        self.access = [0.0] * n_seg
        self._make_firms()
        self.parks = [
            Park(
                self,
                pid,
                p.land_ha,
                p.infrastructure_mw,
                p.land_added_ha_per_year,
                {self.chains.chain_ids.index(c) for c in p.specialisations},
            )
            for pid, p in cfg.parks.items()
        ]
        # --- the strategies, in the order they act
        self.strategies: list[Strategy] = [s for cls in registered() if (s := cls.build(self)) is not None]
        self.marking = [s for s in self.strategies if s.marks_contacts]
        self.sources = source_names()  # a contact order's source code → its name
        self.orders = StepOrders()
        # --- the pipeline, as two short lists: only these firms step
        self.talks: list[FirmAgent] = []  # contacted or negotiating
        self.projects: list[FirmAgent] = []  # signed … construction
        self.returns: dict[int, list[FirmAgent]] = {}  # step → lost firms coming back
        self.n_producing = self.n_lost = 0
        self.new_signings: list[FirmAgent] = []
        self.refused: list[FirmAgent] = []
        self.flow: defaultdict[str, float] = defaultdict(float)
        rep = cfg.reporting
        self.rec = self.recorder = Recorder(
            cal.n_steps,
            n_seg,
            list(cfg.events),
            list(rep.cohorts),
            float(cal.day_of(cfg.calendar.start_date) - 1),
            sources=self.sources,
            extra_flows=[name for s in self.strategies for name in s.tallies],
        )
        self.cohorts = list(rep.cohorts.values())
        self.as_of_day = [cal.day_of(c.as_of) for c in self.cohorts]
        self._durations: dict[str, list[tuple[float, bool, float, float]]] = {k: [] for k in DURATIONS}

    # ------------------------------------------------------------------ set-up
    def _make_firms(self) -> None:
        """Draw every firm's fixed attributes once (docs/model.md, "Agents and state")."""
        idx = self.chains
        columns = draw_firms(self.config, idx, self.rng)
        regions = self.config.population.regions
        self.firms = [FirmAgent(self, *a) for a in zip(*(c.tolist() for c in columns))]
        self.in_region: list[list[FirmAgent]] = [[] for _ in regions]
        self.in_segment: list[list[FirmAgent]] = [[] for _ in range(idx.n_segments)]
        for f in self.firms:
            self.in_region[f.region].append(f)
            self.in_segment[f.segment].append(f)
        self.groups: dict[tuple[str | Within, int, float], Group] = {}

    def group(self, by: str | Within, g: int, size_bias: float) -> Group:
        """The group a contact order's row draws from: region ``g``, segment ``g``, or the
        firms of a :class:`Within` set (regions ∩ chains; empty = all), weighted ∝ size^bias."""
        key = (by, g, size_bias)
        if key not in self.groups:
            if by == "region":
                members = self.in_region[g]
            elif by == "segment":
                members = self.in_segment[g]
            elif isinstance(by, Within):
                members = [f for f in self.firms if within(f, by)]
            else:
                raise ValueError(f"a contact order draws by 'region', 'segment' or a Within set, not {by!r}")
            self.groups[key] = Group(members, size_bias)
        return self.groups[key]

    # ------------------------------------------------------------------ one step
    def step(self) -> None:
        cal, t = self.calendar, self.t
        self.day, self.step_len, self.s = float(cal.day_end[t]), float(cal.step_len[t]), float(cal.scale[t])
        self.new_signings, self.refused = [], []
        self.flow = defaultdict(float)  # this step's flows by name, recorded in phase 10
        self.recycle()  # 1
        self.chain_state()  # 2
        self.plan()  # the strategies' ceremonies, service, stage factors and tallies of this step
        self.contact()  # 3
        self.hold_ceremonies()  # 4
        self.negotiate()  # 5
        for firm in self.new_signings:  # 6 sign
            firm.sign()
        self.projects.extend(self.new_signings)
        self.serve()  # 7
        self.build()  # 8
        for firm in self.projects:  # 9 funds
            if firm.stage == Stage.CONSTRUCTION:
                firm.build_instalment()
        self.record()  # 10
        self.t += 1
        if self.t >= cal.n_steps:
            self.running = False

    def run(self) -> ReferenceModel:
        while self.running:
            self.step()
        return self

    # ------------------------------------------------------------------ phases
    def recycle(self) -> None:
        """Phase 1: lost firms whose cool-down ends return to the pool; land banks refill."""
        for firm in self.returns.pop(self.t, []):
            firm.stage = Stage.POOL
            self.n_lost -= 1
        for park in self.parks:
            park.refill(self.step_len)

    def chain_state(self) -> None:
        """Phase 2: missing links (缺链) and supplier access from the local producers; the
        producing anchors per segment (the strategies read ``missing`` and ``anchors``)."""
        idx, ratio = self.chains, self.config.strategies.chain_based.missing_link_ratio
        local = [a + b for a, b in zip(idx.incumbents.tolist(), self.producing_by_segment)]
        for c in range(len(idx.chain_ids)):
            segs = np.flatnonzero(idx.segment_chain == c).tolist()
            mean = sum(local[i] for i in segs) / len(segs)
            for i in segs:
                self.missing[0, i] = local[i] < ratio * mean
        for i, nb in enumerate(idx.neighbours):
            self.access[i] = sum(not self.missing[0, j] for j in nb) / len(nb) if len(nb) else 0.0
            self.anchors[0, i] = idx.anchor_incumbents[i] + self.producing_anchors[i]
        self.rec.missing[self.t] = self.missing[0]

    def plan(self) -> None:
        """Ask every strategy for this step's ceremonies (phase 4), service order (7), stage
        factors (6, 8; they multiply) and tallies (counted in phase 10)."""
        t, orders = self.t, StepOrders()
        if (f := self.climate.stage_factors(t)) is not None:
            orders.factors = f  # the climate's pace of progress: mean durations ÷ progress
        for s in self.strategies:
            orders.ceremonies += s.ceremonies(t)
            if (f := s.stage_factors(t)) is not None:
                orders.factors = orders.factors * f
            if (svc := s.service(t)) is not None:
                if orders.service is not None:
                    raise ValueError(f"two strategies offer a service at step {t}; only one may ({s.key})")
                orders.service = svc
            for name, value in s.tally(t).items():
                self.flow[name] += value
        self.orders = orders

    def contact(self) -> None:
        """Phase 3: each strategy's contact orders, strategy by strategy in registry order,
        row by row. A row draws one firm still in the pool from its group (``self.rng``); the
        firm records the order's source, the contact day for a marking strategy, and, for an
        event invitee (``hold_until``), negotiates at once. A group with nobody left in the
        pool yields nobody. The travel climate first thins the orders that need travel."""
        for strategy in self.strategies:
            marked_by = strategy.key if strategy.marks_contacts else None
            for order in strategy.contacts(self.t):
                order = self.climate.thin(self.t, order, self.streams)  # travel: some contacts do not happen
                source = self.sources[order.source]
                hold = float(order.hold_until) if order.hold_until > NEVER else None
                for g in order.groups.tolist():  # one replicate: every row's rep is 0
                    firm = self.group(order.by, g, order.size_bias).draw(self.rng)
                    if firm is not None:
                        firm.contact(source, marked_by, hold, order.invited)
                        self.talks.append(firm)
                        self.flow["contacts"] += 1

    def hold_ceremonies(self) -> None:
        """Phase 4 (*Events*): at each of this step's ceremonies, its invitees still
        negotiating sign with its close probability; a negotiating firm of its targets on no
        pending list (invited nowhere, or its event's day has passed) with its open close
        probability; a firm held for another event does not sign. The signers' source
        becomes the ceremony's. The ceremony then announces its framework agreements."""
        for c in self.orders.ceremonies:
            signed, signed_value = 0, 0.0
            for firm in self.talks:
                if firm.stage != Stage.NEGOTIATING:
                    continue
                if c.invited >= 0 and firm.invited == c.invited:
                    p = c.close_prob
                elif c.open_prob > 0 and not firm.held(self.day) and within(firm, c.within):
                    p = c.open_prob
                else:
                    continue
                if self.rng.random() < p:
                    firm.stage, firm.source = Stage.SIGNED, self.sources[c.source]
                    self.new_signings.append(firm)
                    signed += 1
                    signed_value += firm.value_yi
                    if c.name in self.rec.event_signings:
                        self.rec.event_signings[c.name] += 1
                        self.rec.event_value_yi[c.name] += firm.value_yi
            if c.name in self.rec.event_signings:
                count, value = c.framework(self.streams, self.t, np.array([signed]), np.array([signed_value]))
                self.rec.event_framework[c.name] += int(count[0])
                self.rec.event_framework_value_yi[c.name] += float(value[0])
        self.talks = [f for f in self.talks if f.stage in TALKING]

    def negotiate(self) -> None:
        """Phase 5: each firm in talks weighs its competing risks (:meth:`FirmAgent.negotiate`).
        A negotiating firm's signing hazard is × its ``boost``: the product of the sign
        multipliers of the strategies that mark their contacts, asked once for all."""
        talking = [f for f in self.talks if f.stage == Stage.NEGOTIATING]
        boost = np.ones(len(talking))
        for strategy in self.marking:
            mark_day = np.array([f.marks.get(strategy.key, NEVER) for f in talking], dtype=np.float64)
            multiplier = strategy.sign_multiplier(self.t, self.day, mark_day)
            if multiplier is not None:
                boost *= multiplier
        for firm, b in zip(talking, boost.tolist()):
            firm.boost = b
        for firm in self.talks:
            firm.step()
        self.talks = [f for f in self.talks if f.stage in TALKING]

    def serve(self) -> None:
        """Phase 7 (*Serve*): free service slots go to the largest never-served projects;
        a new one's remaining time in its stage × the service's duration factor."""
        service = self.orders.service
        if service is None or service.slots <= 0:
            return
        free = service.slots - sum(f.serving for f in self.projects)
        if free <= 0:
            return
        wanting = sorted(
            (f for f in self.projects if not f.served and f.value_yi >= service.min_value_yi),
            key=lambda f: -f.value_yi,
        )
        for firm in wanting[:free]:
            firm.served = firm.serving = True
            firm.due_day = self.day + max(firm.due_day - self.day, 0.0) * service.duration_factor
            self.note_duration("signing_to_service_days", self.day - firm.signed_day, firm, self.day)

    def build(self) -> None:
        """Phase 8 (*Build*): scheduled transitions in stage order; land first come, first
        served; then drop-outs."""
        for stage in (Stage.SIGNED, Stage.REGISTERED, Stage.LAND, Stage.CONSTRUCTION):
            due = [f for f in self.projects if f.stage == stage and f.due_day <= self.day]
            if stage == Stage.REGISTERED:
                due.sort(key=lambda f: f.due_day)
            for firm in due:
                firm.step()
            if stage == Stage.REGISTERED:
                for firm in self.refused:
                    firm.wait_or_divert()
        self.projects = [f for f in self.projects if f.stage <= Stage.CONSTRUCTION]
        for firm in self.projects:
            firm.survive()
        self.projects = [f for f in self.projects if f.stage != Stage.LOST]

    def record(self) -> None:
        """Phase 10: the stage counts, this step's flows and the durations completed."""
        counts = [0] * len(Stage)
        for firm in self.talks + self.projects:
            counts[firm.stage] += 1
        counts[Stage.PRODUCING], counts[Stage.LOST] = self.n_producing, self.n_lost
        counts[Stage.POOL] = len(self.firms) - sum(counts)
        self.rec.stages[self.t] = counts
        for name, value in self.flow.items():
            self.rec.add(self.t, name, value)
        for name, rows in self._durations.items():
            if rows:
                days, served, value, done = (np.array(col) for col in zip(*rows))
                self.rec.durations(name, days, served.astype(bool), value, done)
                rows.clear()

    # ------------------------------------------------------------------ services for the firms
    def choose_park(self, firm: FirmAgent) -> int | None:
        """Multinomial logit by Gumbel-max over the parks whose free land covers the need."""
        best, best_score = None, -math.inf
        for i, park in enumerate(self.parks):
            if park.has_room(firm.land_need_ha):
                score = park.utility(firm.chain) - math.log(-math.log(max(self.rng.random(), 1e-300)))
                if score > best_score:
                    best, best_score = i, score
        return best

    def cohorts_of(self, firm: FirmAgent) -> list[int]:
        date = self.calendar.date(self.t)
        return [
            c
            for c, co in enumerate(self.cohorts)
            if co.signed_from <= date <= co.signed_until
            and firm.value_yi >= co.min_value_yi
            and (firm.industrial or not co.industrial_only)
        ]

    def note_signing(self, firm: FirmAgent) -> None:
        t, v, flow = self.t, firm.value_yi, self.flow
        flow["signings"] += 1
        flow["signing_value_yi"] += v
        flow["signings_ge_10yi"] += v >= 10
        if firm.industrial and v >= 1:
            flow["industrial_signings_ge_1yi"] += 1
            flow["industrial_signing_value_yi"] += v
            flow["industrial_signings_ge_10yi"] += v >= 10
        flow[f"signings_by_source.{firm.source}"] += 1
        self.rec.segment_signings[t, firm.segment] += 1
        for c in firm.cohorts:
            self.rec.cohort_signed[c] += 1
            self.rec.cohort_fixed_signed[c] += firm.fixed_asset

    def note_cohort(self, firm: FirmAgent, day: float, into: np.ndarray) -> None:
        for c in firm.cohorts:
            if day <= self.as_of_day[c]:
                into[c] += 1

    def note_duration(self, name: str, days: float, firm: FirmAgent, done_day: float) -> None:
        self._durations[name].append((days, firm.served, firm.value_yi, done_day))

    def pay(self, firm: FirmAgent, amount_yi: float) -> None:
        """Funds declared in place, counted by the measurement layer: F2a (and its
        industrial part F12b) and F2b (亿美元)."""
        firm.funds_left_yi -= amount_yi
        domestic, industrial, fdi = self.measure.split(
            self.t, np.array([amount_yi]), np.array([firm.foreign]), np.array([firm.region]),
            np.array([firm.industrial]),
        )  # fmt: skip
        self.flow["funds_in_place_yi"] += float(domestic[0])
        self.flow["industrial_funds_in_place_yi"] += float(industrial[0])
        self.flow["fdi_usd_yi"] += float(fdi[0])

    def pay_capital(self, firm: FirmAgent, at_registration: bool) -> None:
        """Foreign investors pay in registered capital (F2b) when the statistics count it."""
        if self.measure.paid_in and firm.foreign:
            self.flow["fdi_usd_yi"] += float(
                self.measure.capital_usd(
                    self.t, np.array([firm.value_yi]), np.array([True]), np.array([firm.region]),
                    at_registration,
                )[0]
            )  # fmt: skip

    def add_producer(self, firm: FirmAgent) -> None:
        self.n_producing += 1
        self.producing_by_segment[firm.segment] += 1
        self.producing_anchors[firm.segment] += firm.anchor
        park = self.parks[firm.park]
        park.producers[firm.chain] = park.producers.get(firm.chain, 0) + 1

    def lose(self, firm: FirmAgent) -> None:
        """Lost: back in the pool recontact_after_days later, as a new candidate."""
        firm.stage, firm.serving = Stage.LOST, False
        self.n_lost += 1
        self.flow["lost"] += 1
        back = self.calendar.step_at_day(self.day + self.config.population.recontact_after_days)
        self.returns.setdefault(back, []).append(firm)


def within(firm: FirmAgent, w: Within) -> bool:
    """Is the firm in the set: one of its regions and one of its chains (empty = any)?"""
    return (not w.regions or firm.region in w.regions) and (not w.chains or firm.chain in w.chains)

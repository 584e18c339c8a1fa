"""The agents of the reference engine: one :class:`FirmAgent` per candidate firm, one
:class:`Park` per industrial park, and the :class:`Group` of firms a contact draws from.

A firm's rules for its current stage live in :meth:`FirmAgent.step` (docs/model.md,
phases 5 and 8): a firm in talks weighs its competing risks, a signed project moves on
when its due day has passed. The model decides *when* each firm steps (phase order,
first-come-first-served land queue) and hands the firm what the strategies ordered this
step (``model.orders``: stage factors, the service order; ``boost``: the signing-hazard
multiplier of the strategies that contacted it); the firm decides *what* happens to it.
Every random number comes from the model's generator ``model.rng``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from chainsim.vocabulary import Stage

if TYPE_CHECKING:
    from chainsim.reference.model import ReferenceModel


def per_step(p: float, s: float) -> float:
    """A per-step probability over a step ``s`` times the nominal length."""
    return p if s == 1.0 else 1.0 - (1.0 - p) ** s


def competing(a: float, b: float, s: float) -> tuple[float, float]:
    """Two competing per-step risks over ``s`` nominal steps: leave with probability
    1 − (1 − a − b)^s, split a : b (docs/model.md, phase 5)."""
    if s == 1.0:
        return a, b
    total = min(a + b, 1.0)
    if total <= 0.0:
        return 0.0, 0.0
    leave = 1.0 - (1.0 - total) ** s
    return leave * a / (a + b), leave * b / (a + b)


class Park(mesa.Agent):
    """An industrial park: free land and grid, specialisations, producers by chain."""

    def __init__(
        self,
        model: ReferenceModel,
        pid: str,
        land_ha: float,
        grid_mw: float,
        added_ha_per_year: float,
        specialised_chains: set[int],
    ) -> None:
        super().__init__(model)
        self.pid = pid
        self.land_total, self.grid_total = land_ha, grid_mw
        self.land_free, self.grid_free = land_ha, grid_mw
        self.added_per_day = added_ha_per_year / 365.0
        self.specialised = specialised_chains
        self.producers: dict[int, int] = {}  # chain → model firms producing here
        self.closed = False  # refused a land request this step: refuses every later one

    def refill(self, days: float) -> None:
        self.land_free = max(min(self.land_free + self.added_per_day * days, self.land_total), self.land_free)
        self.closed = False

    def has_room(self, need_ha: float) -> bool:
        return need_ha <= self.land_free + 1e-12

    def utility(self, chain: int) -> float:
        """Logit utility of this park for a firm of ``chain`` (docs/model.md, phase 6)."""
        w = self.model.config.location
        return (
            w.specialisation * (chain in self.specialised)
            + w.agglomeration * math.log1p(self.producers.get(chain, 0))
            + w.free_land * self.land_free / max(self.land_total, 1e-9)
            + w.infrastructure * self.grid_free / max(self.grid_total, 1e-9)
        )

    def admit(self, need_ha: float, need_mw: float) -> bool:
        """First come, first served: grant the land if it fits and no earlier request
        of this step was refused; otherwise refuse (and close for the step)."""
        if self.closed or not self.has_room(need_ha):
            self.closed = True
            return False
        self.land_free -= need_ha
        self.grid_free = max(self.grid_free - need_mw, 0.0)
        return True


class FirmAgent(mesa.Agent):
    """A candidate firm (project): fixed attributes plus its pipeline state (days are
    simulation days; ``None`` = never)."""

    # Pipeline state of a firm still in the pool (class defaults: a firm gets its own
    # values when it first moves, which keeps creating 10⁵ agents cheap).
    stage: Stage = Stage.POOL
    source: str | None = None  # what brought it: a name of chainsim.vocabulary.source_names()
    contact_day: float | None = None
    marks: dict[str, float] = {}  # strategy key → day it contacted this project (replaced, never mutated)
    boost: float = 1.0  # the marking strategies' signing-hazard multiplier this step (phase 5)
    hold_day: float | None = None  # an event invitee: signs no earlier than this day
    engage_factor: float = 1.0  # the climate's engagement multiplier on its contact step
    invited: int = -1  # the event whose signing list it is on (index in config.events), or −1
    signed_day: float | None = None
    land_day: float | None = None
    construction_day: float | None = None
    due_day: float = 0.0  # day the current scheduled stage ends
    park: int = 0  # index of the chosen park
    served: bool = False  # this project has (had) a commissioner
    serving: bool = False  # holds a commissioner slot now
    funds_left_yi: float = 0.0  # realised value still to arrive
    rate_yi_per_day: float = 0.0  # construction instalment
    cohorts: list[int] = []  # reporting cohorts of this signing (replaced, never mutated)

    def __init__(
        self,
        model: ReferenceModel,
        chain: int,
        segment: int,
        region: int,
        foreign: bool,
        anchor: bool,
        industrial: bool,
        value_yi: float,
        land_need_ha: float,
        mw_need: float,
        fixed_asset: bool = True,
    ) -> None:
        super().__init__(model)
        self.chain, self.segment, self.region = chain, segment, region
        self.foreign, self.anchor, self.industrial = foreign, anchor, industrial
        self.fixed_asset = fixed_asset  # a fixed-asset (固投类) project: acquires land and builds
        self.value_yi, self.land_need_ha, self.mw_need = value_yi, land_need_ha, mw_need

    # ------------------------------------------------------------------ one step
    def step(self) -> None:
        """Apply this firm's rule for its current stage."""
        if self.stage in (Stage.CONTACTED, Stage.NEGOTIATING):
            self.negotiate()
        elif self.stage == Stage.SIGNED:
            self.register()
        elif self.stage == Stage.REGISTERED:
            if self.fixed_asset:
                self.take_land()
            else:  # no land, no construction: it starts operating
                self.model.pay_capital(self, at_registration=False)
                self.start_production()
        elif self.stage == Stage.LAND:
            self.break_ground()
        elif self.stage == Stage.CONSTRUCTION:
            self.start_production()

    # ------------------------------------------------------------------ talks
    def contact(
        self, source: str, marked_by: str | None, hold_until: float | None, invited: int = -1
    ) -> None:
        """Phase 3: contacted by ``source``; a strategy that marks its contacts keeps the
        day (its sign multiplier reads it); an event invitee (``hold_until``) negotiates at
        once and signs no earlier than that day, at the event it is ``invited`` to."""
        m = self.model
        self.stage, self.source, self.contact_day = Stage.CONTACTED, source, m.day
        self.marks = {marked_by: m.day} if marked_by else {}  # a recycled firm starts afresh:
        self.signed_day = self.land_day = self.construction_day = None  # a new project, no old dates
        self.served, self.cohorts = False, []
        self.hold_day, self.invited = hold_until, invited
        self.engage_factor = float(m.climate.engagement[m.t])  # its reply follows the contact's climate
        if hold_until is not None:
            self.stage = Stage.NEGOTIATING

    def held(self, day: float) -> bool:
        """Held for an event still to come (it signs there, not before)."""
        return self.hold_day is not None and day < self.hold_day

    def negotiate(self) -> None:
        """Competing risks with one uniform: move on if u < a, drop if a ≤ u < a + b."""
        m, p = self.model, self.model.config.pipeline
        if self.stage == Stage.CONTACTED:
            a, b = min(p.engage_prob_per_step * self.engage_factor, 1.0), p.drop_contacted_per_step
        else:
            a = min(
                1.0,
                p.sign_prob_per_step
                * float(m.climate.engagement[m.t])
                * math.exp(p.supplier_access_beta * m.access[self.segment])
                * self.boost,
            )
            if self.hold_day is not None and m.day < self.hold_day:
                a = 0.0  # an event invitee signs at the ceremony, not before
            b = p.drop_negotiating_per_step
        a, b = competing(a, b, m.s)
        u = m.rng.random()
        if u < a:
            if self.stage == Stage.CONTACTED:
                self.stage = Stage.NEGOTIATING
            else:
                self.stage = Stage.SIGNED  # the sign phase does the rest
                m.new_signings.append(self)
        elif u < a + b:
            m.lose(self)

    def sign(self) -> None:
        """A new signing: choose a park, schedule registration, join reporting cohorts."""
        m = self.model
        self.stage, self.signed_day = Stage.SIGNED, m.day
        self.served = self.serving = False  # a recycled firm starts a new project
        choice = m.choose_park(self)
        self.park = 0 if choice is None else choice  # no park with room: wait at the first
        self.due_day = m.day + self.duration(m.config.pipeline.register_days * self.factor("register"))
        self.cohorts = m.cohorts_of(self)
        m.note_signing(self)

    # ------------------------------------------------------------------ build
    def duration(self, mean_days: float) -> float:
        """A stage duration: log-normal with this mean; × the service's factor while served."""
        m = self.model
        sd = m.config.pipeline.duration_sigma_log
        d = mean_days * math.exp(sd * m.rng.standard_normal() - 0.5 * sd * sd)
        service = m.orders.service
        return d * service.duration_factor if self.serving and service is not None else d

    def factor(self, name: str) -> float:
        """This step's stage factor ``name`` for this project: a reform's only if it is for
        the project (its eligibility: industrial flag, value)."""
        return self.model.orders.factors.one(name, self.industrial, self.value_yi)

    def register(self) -> None:
        """Registered: a fixed-asset project's land is due ``land_days`` later; any other
        project has landed (落地) and starts operating ``operation_days`` later."""
        m, p = self.model, self.model.config.pipeline
        entered = self.due_day
        self.stage = Stage.REGISTERED
        self.funds_left_yi = self.value_yi * p.realisation_share
        m.pay(self, self.funds_left_yi * p.funds_at_registration_share)
        m.pay_capital(self, at_registration=True)
        m.flow["registered"] += 1
        if self.fixed_asset:
            self.due_day = entered + self.duration(p.land_days * self.factor("land"))
            return
        # no land: no land-stage factor; the climate's pace applies as to construction (fit-out)
        self.due_day = entered + self.duration(p.operation_days * self.factor("construction"))
        m.flow["landed"] += 1
        m.note_cohort(self, entered, m.rec.cohort_landed)

    def take_land(self) -> None:
        """Ask the chosen park for land; a refusal puts the firm on the model's list of
        refused requests (it waits or diverts once every request of the step is heard)."""
        m = self.model
        if not m.parks[self.park].admit(self.land_need_ha, self.mw_need):
            m.refused.append(self)
            return
        day = max(self.due_day, m.day - m.step_len)  # a firm that waited gets land this step
        self.stage, self.land_day = Stage.LAND, day
        p = m.config.pipeline
        if p.funds_at_land_share:  # land price and fees declared in place (申报纳统)
            m.pay(self, self.value_yi * (p.realisation_share * p.funds_at_land_share))
        m.note_duration("signing_to_land_days", day - self.signed_day, self, day)
        factor = self.factor("land_to_construction")  # 0 (拿地即开工): construction starts at once
        mean = m.config.pipeline.land_to_construction_days * factor
        self.due_day = day + self.duration(mean) if factor else day

    def wait_or_divert(self) -> None:
        """Refused: with probability divert_prob_per_step re-choose among parks with room."""
        m = self.model
        if m.rng.random() < per_step(m.config.location.divert_prob_per_step, m.s):
            choice = m.choose_park(self)
            if choice is not None:
                self.park = choice

    def break_ground(self) -> None:
        """Landed (落地): ``funds_construction_share`` of the realised value arrives evenly
        over construction."""
        m, p = self.model, self.model.config.pipeline
        day = self.due_day
        self.stage, self.construction_day = Stage.CONSTRUCTION, day
        mean = m.config.pipeline.construction_days * self.factor("construction")
        build_days = max(self.duration(mean), 1.0)  # at least one day
        self.due_day = day + build_days
        building = self.value_yi * (p.realisation_share * p.funds_construction_share)
        self.rate_yi_per_day = min(building, self.funds_left_yi) / build_days
        m.pay_capital(self, at_registration=False)
        m.flow["landed"] += 1
        m.note_cohort(self, day, m.rec.cohort_landed)

    def start_production(self) -> None:
        m = self.model
        day = self.due_day
        m.pay(self, self.funds_left_yi)  # what is left: equipment, or all but registration
        self.stage, self.serving = Stage.PRODUCING, False
        m.add_producer(self)
        m.flow["producing"] += 1
        m.note_cohort(self, day, m.rec.cohort_producing)
        m.note_duration("signing_to_production_days", day - self.signed_day, self, day)
        if self.fixed_asset:
            m.note_cohort(self, day, m.rec.cohort_fixed_producing)
            m.note_duration("construction_to_production_days", day - self.construction_day, self, day)

    def build_instalment(self) -> None:
        """Phase 9: pay the daily instalment for the days of this step spent building."""
        m = self.model
        days = m.day - max(self.construction_day, m.day - m.step_len)
        m.pay(self, min(self.funds_left_yi, self.rate_yi_per_day * days))

    def survive(self) -> None:
        """Drop-out after signing (phase 8, last rule): × the service's drop factor while
        served, × the stage factor before land (全程代办) while signed or registered."""
        m, service = self.model, self.model.orders.service
        hazard = m.config.pipeline.drop_signed_per_step
        if self.serving and service is not None:
            hazard *= service.drop_factor
        if self.stage <= Stage.REGISTERED:
            hazard *= self.factor("drop_before_land")
        if m.rng.random() < per_step(hazard, m.s):
            m.lose(self)


def pick(cum: np.ndarray, u: float) -> int:
    """Index drawn from an inclusive cumulative weight array with a uniform ``u``."""
    return min(int(np.searchsorted(cum, u * cum[-1], side="right")), len(cum) - 1)


class Group:
    """The firms of one group (a region, a segment, a set of regions × chains), for
    drawing one firm *still in the pool*, uniformly or ∝ size^bias. Draws members until one is idle
    (rejection: exactly the distribution over idle members), and after a few misses
    lists the idle members and draws among them."""

    TRIES = 32

    def __init__(self, members: list[FirmAgent], bias: float = 0.0) -> None:
        self.members = members
        self.weights = np.array([f.value_yi for f in members]) ** bias if bias else None
        self.cum = np.cumsum(self.weights) if bias and members else None

    def draw(self, rng: np.random.Generator) -> FirmAgent | None:
        n = len(self.members)
        if n == 0:
            return None
        for _ in range(self.TRIES):
            i = min(int(rng.random() * n), n - 1) if self.cum is None else pick(self.cum, rng.random())
            if self.members[i].stage == Stage.POOL:
                return self.members[i]
        idle = [i for i, f in enumerate(self.members) if f.stage == Stage.POOL]
        if not idle:
            return None  # nobody of this group is left in the pool: the contact fails
        if self.cum is None:
            return self.members[idle[min(int(rng.random() * len(idle)), len(idle) - 1)]]
        return self.members[idle[pick(np.cumsum(self.weights[idle]), rng.random())]]

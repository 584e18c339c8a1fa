"""The scenario schema: every input of a chainsim run, validated.

A scenario is data. Each pydantic model below forbids unknown keys, is frozen, rejects
NaN and infinities, puts units in field names (``_yi`` = 亿元, ``_days``, ``_per_step``,
``_ha``, ``_mw``) and says in its description where its default comes from: a FACTS ID
(``../shared/reference/FACTS.md``), a PRIORS row, or "Assumption" with the reason.
Parks, chains, events, regions, groups, trip windows, periods and cohorts are mappings
keyed by id, so that ``extends:`` overlays and ``--set parks.anning.land_ha=900`` reach
one item. Cross-references (a chain named by an event, a region named by a trip …) are
checked in :class:`Scenario`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import networkx as nx
from pydantic import Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from chainsim.config.base import Strict

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Factor = Annotated[float, Field(ge=0.0, le=10.0)]
Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class Labelled(Strict):
    name_en: str = Field("", max_length=80, description="English label.")
    name_zh: str = Field("", max_length=40, description="Chinese label (中文名).")


class Window(Strict):
    """An optional active window; ``None`` means unbounded on that side."""

    active_from: dt.date | None = Field(None, description="First day the lever acts (lever date).")
    active_until: dt.date | None = Field(None, description="Last day the lever acts (lever date).")

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.active_from and self.active_until and self.active_until < self.active_from:
            raise ValueError("active_until must not be before active_from")
        return self


# --------------------------------------------------------------------------- calendar
class Calendar(Strict):
    start_date: dt.date = Field(
        dt.date(2022, 1, 1), description="First reported day. Steps before it are burn-in."
    )
    end_date: dt.date = Field(
        dt.date(2023, 8, 31), description="Last simulated day (≥ 2023-08-31 so F5 and F11 fall inside)."
    )
    step_days: int = Field(7, ge=1, le=31, description="Days per step (a week by default).")
    burn_in_steps: int = Field(
        65,
        ge=0,
        le=5000,
        description="Steps run before start_date on the levers in force at start_date, so the pipeline is in steady state when reporting starts. Assumption: 5 years, enough for funds and production flows to level off.",
    )
    burn_in_step_days: int | None = Field(
        28,
        ge=1,
        le=366,
        description="Length of a burn-in step in days (None: step_days). A coarser spin-up reaches the steady state in fewer steps; hazards and counts are scaled to the step length.",
    )
    burn_in_settle_days: int = Field(
        91,
        ge=0,
        le=3660,
        description="After the coarse burn-in steps, this many days run at step_days before start_date, so that the stocks that depend on the step length settle before reporting starts.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Calendar:
        if self.end_date <= self.start_date:
            raise ValueError(f"end_date ({self.end_date}) must be after start_date ({self.start_date})")
        if (self.end_date - self.start_date).days > 366 * 60:
            raise ValueError("the horizon start_date→end_date must be at most 60 years")
        # the burn-in's first day, exactly as the engine's Calendar lays out its steps
        burn = self.burn_in_steps * (self.burn_in_step_days or self.step_days)
        settle = (self.burn_in_settle_days // self.step_days) * self.step_days if self.burn_in_steps else 0
        try:
            first = self.start_date - dt.timedelta(days=burn + settle)
        except OverflowError:
            first = None
        if first is None or first < dt.date(1900, 1, 1):
            raise ValueError(
                f"the burn-in ({self.burn_in_steps} steps of {self.burn_in_step_days or self.step_days} days"
                f" + {settle} settling days before start_date {self.start_date}) would start "
                f"{'before year 1' if first is None else f'on {first}'}; it must start in 1900 or later "
                "(fewer or shorter burn-in steps, or a later start_date)"
            )
        return self


# --------------------------------------------------------------------------- population
class Region(Labelled):
    pool_share: float = Field(
        gt=0.0, le=1.0, description="Share of the candidate pool from this origin. Assumption."
    )
    foreign_entity_share: Share = Field(
        0.0,
        description="Share of this origin's firms that invest through foreign/HK/Macau entities, so their funds count as foreign capital (F2b, 亿美元) rather than domestic funds from outside Yunnan (F2a, 亿元). Assumption (FACTS 'Reading the statistics').",
    )


class ProjectSize(Strict):
    median_yi: float = Field(
        1.0,
        gt=0.0,
        le=1000.0,
        description="Median planned project size, 亿元. Assumption: most projects are small; F12a's 22 industrial signings ≥ 1 亿 in H1 bound it.",
    )
    sigma_log: float = Field(
        1.6, gt=0.0, le=5.0, description="Log-normal shape (heavy tail: a few ≥ 10 亿, F6). Assumption."
    )
    max_yi: float = Field(
        400.0,
        gt=0.0,
        le=10000.0,
        description="Cap on planned size, 亿元. Assumption (largest single signings reported are ~120 亿, F1).",
    )
    anchor_share: Share = Field(
        0.03, description="Share of candidate firms that are anchor firms (龙头企业). Assumption."
    )
    anchor_size_factor: float = Field(
        4.0, ge=1.0, le=100.0, description="Anchor firms' projects are this many times larger. Assumption."
    )


class Population(Strict):
    pool_size: int = Field(
        60_000,
        ge=10,
        le=50_000_000,
        description="Candidate investors outside Kunming. Assumption: large enough that promotion never exhausts it.",
    )
    regions: dict[Id, Region] = Field(default_factory=dict, description="Origin regions (keyed by id).")
    project_size: ProjectSize = ProjectSize()
    recontact_after_days: int = Field(
        730,
        ge=1,
        le=36500,
        description="A lost firm returns to the pool after this long. Assumption (keeps the pool stationary).",
    )

    @model_validator(mode="after")
    def _shares(self) -> Population:
        if not self.regions:
            raise ValueError("population.regions must name at least one origin region")
        total = sum(r.pool_share for r in self.regions.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"population.regions pool_share values must sum to 1 (they sum to {total:.6f})")
        return self


# --------------------------------------------------------------------------- chains
class Segment(Labelled):
    pool_weight: float = Field(
        1.0,
        gt=0.0,
        le=100.0,
        description="Relative share of the chain's candidate firms in this segment. Missing links (缺链) are thin segments: few firms nationally would come, so untargeted promotion rarely reaches them. Assumption.",
    )
    incumbents: int = Field(
        0,
        ge=0,
        le=100_000,
        description="Firms already producing locally in this segment at the start. Assumption.",
    )
    anchor_incumbents: int = Field(
        0, ge=0, le=100_000, description="Anchor firms (龙头企业) among the incumbents. Assumption."
    )


class Chain(Labelled):
    industrial: bool = Field(
        description="Counted as 工业和信息化 (F12) or not; ≈ 56 % of F2a is non-industrial (F12b)."
    )
    pool_share: float = Field(
        gt=0.0, le=1.0, description="Share of the candidate pool in this chain. Assumption."
    )
    segments: dict[Id, Segment] = Field(
        min_length=6, description="Segments of the chain map (产业链图谱), ≥ 6."
    )
    edges: list[tuple[Id, Id]] = Field(
        min_length=1, description="Supplier → buyer links between segments; must form a DAG."
    )

    @model_validator(mode="after")
    def _graph(self) -> Chain:
        for a, b in self.edges:
            for s in (a, b):
                if s not in self.segments:
                    raise ValueError(
                        f"edge [{a}, {b}] names unknown segment '{s}'; segments are: {', '.join(self.segments)}"
                    )
        g = nx.DiGraph(self.edges)
        if not nx.is_directed_acyclic_graph(g):
            raise ValueError(f"edges contain a cycle: {nx.find_cycle(g)}; a chain map must be acyclic")
        for sid, seg in self.segments.items():
            if seg.anchor_incumbents > seg.incumbents:
                raise ValueError(
                    f"segment {sid}: anchor_incumbents ({seg.anchor_incumbents}) exceeds incumbents ({seg.incumbents})"
                )
        return self


# --------------------------------------------------------------------------- parks
class Park(Labelled):
    land_ha: float = Field(
        ge=0.0, le=1e6, description="Free land for new projects, hectares. Assumption (range ±50 %)."
    )
    infrastructure_mw: float = Field(
        ge=0.0, le=1e6, description="Spare grid capacity, MW. Assumption (range ±50 %)."
    )
    land_added_ha_per_year: float = Field(
        0.0,
        ge=0.0,
        le=1e6,
        description="Land newly serviced each year, refilling the land bank up to land_ha. Assumption.",
    )
    specialisations: list[Id] = Field(
        default_factory=list, description="Chains the park specialises in (PRIORS 'Kunming's parks')."
    )


class Location(Strict):
    """Multinomial-logit weights of the park choice (PRIORS: Head, Ries & Swenson 1995)."""

    specialisation: float = Field(
        1.5, ge=-20, le=20, description="Utility of a park specialised in the firm's chain. Assumption."
    )
    agglomeration: float = Field(
        0.5, ge=-20, le=20, description="Per log(1 + same-chain producers in the park). Assumption."
    )
    free_land: float = Field(
        1.0, ge=-20, le=20, description="Per share of the park's land still free. Assumption."
    )
    infrastructure: float = Field(
        0.5, ge=-20, le=20, description="Per share of grid capacity still free. Assumption."
    )
    divert_prob_per_step: Probability = Field(
        0.3,
        description="Chance per step that a firm whose park is full re-chooses among parks with room instead of waiting. Assumption.",
    )
    land_ha_per_yi_industrial: float = Field(
        0.5,
        ge=0,
        le=100,
        description="Land per 亿元 of an industrial project (F1: 120 亿 on ~60 ha). Assumption.",
    )
    land_ha_per_yi_other: float = Field(
        0.1,
        ge=0,
        le=100,
        description="Land per 亿元 of a non-industrial project (offices, logistics). Assumption.",
    )
    mw_per_yi_industrial: float = Field(
        0.8, ge=0, le=100, description="Grid demand per 亿元 of an industrial project. Assumption."
    )


# --------------------------------------------------------------------------- pipeline
class Pipeline(Strict):
    """Behaviour of a project between contact and production: the model's main assumptions."""

    engage_prob_per_step: Probability = Field(
        0.06, description="contacted → negotiating hazard. Assumption (PRIORS: ~10 % of leads convert)."
    )
    sign_prob_per_step: Probability = Field(0.02, description="negotiating → signed base hazard. Assumption.")
    drop_contacted_per_step: Probability = Field(
        0.04, description="Drop-out hazard while contacted. Assumption."
    )
    drop_negotiating_per_step: Probability = Field(
        0.015, description="Drop-out hazard while negotiating. Assumption."
    )
    drop_signed_per_step: Probability = Field(
        0.003,
        description="Drop-out hazard per step in signed … construction (PRIORS: 82–99 % of contracts honoured). Assumption.",
    )
    supplier_access_beta: float = Field(
        1.0,
        ge=0,
        le=10,
        description="Signing hazard × exp(beta·access), access = share of linked segments present locally (PRIORS: Amiti & Javorcik 2008). Assumption.",
    )
    leader_boost: float = Field(
        2.0,
        ge=0,
        le=50,
        description="Extra signing hazard right after a leader contact (× (1 + boost·decay)). Assumption (PRIORS: leader visits, a boost that decays).",
    )
    leader_boost_decay_days: float = Field(
        120.0, gt=0, le=3650, description="e-folding time of the leader boost. Assumption."
    )
    event_close_prob: Probability = Field(
        0.5,
        description="Chance that a targeted ready negotiation signs at an event. Assumption (calibrated on F3, F9, F11).",
    )
    register_days: float = Field(
        45.0, gt=0, le=3650, description="Mean signing → registration time. Assumption."
    )
    land_days: float = Field(
        150.0,
        gt=0,
        le=3650,
        description="Mean registration → land time (F1: 100 days with a commissioner). Assumption.",
    )
    land_to_construction_days: float = Field(
        120.0,
        ge=0,
        le=3650,
        description="Mean land → groundbreaking time (PRIORS: 4–6 months before 拿地即开工). Assumption.",
    )
    construction_days: float = Field(
        330.0,
        gt=0,
        le=3650,
        description="Mean groundbreaking → production time (F13: 110 days with service). Assumption.",
    )
    duration_sigma_log: float = Field(
        0.55,
        ge=0.0,
        le=3.0,
        description="Log-normal spread of stage durations (0.55 ≈ a coefficient of variation of 0.6). Assumption.",
    )
    realisation_share: Share = Field(
        0.35,
        description="Share of the agreement value that ever arrives as funds (PRIORS: 10–35 % within a year). Assumption.",
    )
    funds_at_registration_share: Share = Field(
        0.1,
        description="Share of the realised value paid in at registration; the rest over construction. Assumption.",
    )
    fx_cny_per_usd: float = Field(
        7.0, gt=0, le=100, description="Exchange rate for foreign capital (亿美元). 2023 H1 average ≈ 6.9."
    )


# --------------------------------------------------------------------------- strategies
Level = Literal["city", "county"]


class TripWindow(Strict):
    level: Level = Field(
        description="city: municipal top leaders (F4); county: county/district/zone leaders (F5)."
    )
    start: dt.date
    end: dt.date
    trips: int = Field(
        ge=0, le=100_000, description="Outbound trips in the window, spread evenly over its steps."
    )
    destinations: dict[Id, float] = Field(min_length=1, description="Destination region id → share of trips.")

    @model_validator(mode="after")
    def _check(self) -> TripWindow:
        if self.end < self.start:
            raise ValueError(f"trip window end ({self.end}) is before start ({self.start})")
        if any(v < 0 for v in self.destinations.values()) or sum(self.destinations.values()) <= 0:
            raise ValueError("destinations shares must be ≥ 0 and not all zero")
        return self


class LeaderLed(Window):
    """“一把手”招商: leader trips (F4, F5) and the leader-led events (F3)."""

    enabled: bool = True
    trips: dict[Id, TripWindow] = Field(
        default_factory=dict, description="Dated schedule of trips per level and period."
    )
    firms_per_city_trip: int = Field(
        6, ge=0, le=1000, description="Firms a city-leader trip contacts. Assumption."
    )
    firms_per_county_trip: int = Field(
        3, ge=0, le=1000, description="Firms a county-leader trip contacts. Assumption."
    )
    size_bias: float = Field(
        1.0,
        ge=0,
        le=3,
        description="Leaders contact firms with probability ∝ size^bias (they pull bigger projects). Assumption.",
    )


class SectorGroup(Labelled):
    chains: list[Id] = Field(
        min_length=1,
        description="Chains the group covers (F10 says groups are by sector; the mapping is an assumption).",
    )
    contacts_per_step: float = Field(
        2.0, ge=0, le=10_000, description="Expected firms contacted per step. Assumption."
    )


class ChainBased(Window):
    """产业链招商 / 精准招商: sector groups target missing links; anchors refer partners (F8, F10)."""

    enabled: bool = True
    groups: dict[Id, SectorGroup] = Field(
        default_factory=dict, description="The 8 sector groups + 1 support group (F10)."
    )
    targeting_precision: Share = Field(
        0.6, description="Share of group contacts aimed at missing segments (0 = untargeted). Assumption."
    )
    missing_link_ratio: float = Field(
        0.25,
        ge=0.0,
        le=10.0,
        description="A segment is a missing link (缺链) while its local producers are fewer than this share of its chain's mean per segment: the gap is relative, so it persists as the chain grows. Assumption.",
    )
    anchor_referral_prob_per_step: Probability = Field(
        0.01,
        description="Chance per step that a producing anchor firm refers an upstream/downstream partner. Assumption.",
    )


class Reform(Window):
    enabled: bool = True


class Reforms(Strict):
    """F15. Each reform is a switch acting on specific stages."""

    land_and_build: Reform = Field(
        Reform(), description="拿地即开工: construction starts the day land is acquired."
    )
    missing_docs: Reform = Field(
        Reform(),
        description="容缺办理: approvals proceed with non-essential documents missing (registration and land faster).",
    )
    full_agency: Reform = Field(
        Reform(),
        description="全程代办: the government does the paperwork (registration faster, fewer drop-outs before land).",
    )
    missing_docs_factor: Factor = Field(
        0.7,
        description="Duration multiplier of 容缺办理 on registration and land. Assumption (PRIORS: approval cuts of up to 80 %).",
    )
    full_agency_factor: Factor = Field(
        0.6, description="Duration multiplier of 全程代办 on registration. Assumption."
    )
    full_agency_drop_factor: Factor = Field(
        0.7, description="Drop-out multiplier of 全程代办 on signed and registered projects. Assumption."
    )


class Commissioners(Window):
    """The service strategy: 首席服务专员 (F14), slots assigned to the largest signed
    projects, and the three reforms (F15). ``enabled: false`` switches off all of it;
    ``slots: 0`` or a reform's own ``enabled: false`` switches off one part."""

    enabled: bool = True
    slots: int = Field(21, ge=0, le=100_000, description="Commissioner slots (F14: 21 large group projects).")
    min_value_yi: float = Field(
        10.0, ge=0, le=10000, description="Only projects at least this large get one. Assumption."
    )
    duration_factor: Factor = Field(
        0.5,
        description="Stage-duration multiplier while served. Assumption (F1: 100 days to land, 247 to production).",
    )
    drop_factor: Factor = Field(0.3, description="Drop-out multiplier while served. Assumption.")
    reforms: Reforms = Reforms()


class Strategies(Strict):
    leader_led: LeaderLed = LeaderLed()
    chain_based: ChainBased = ChainBased()
    commissioners: Commissioners = Commissioners()


class Event(Labelled):
    enabled: bool = Field(True, description="Switch the event off (e.g. in a counterfactual overlay).")
    date: dt.date
    lever: Literal["leader_led", "chain_based"] = Field(
        description="Strategy the event belongs to; it runs only while that strategy is on."
    )
    target_regions: list[Id] = Field(default_factory=list, description="Origins invited (empty = all).")
    target_chains: list[Id] = Field(default_factory=list, description="Chains targeted (empty = all).")
    outreach_contacts: int = Field(
        0,
        ge=0,
        le=1_000_000,
        description="Firms invited in the outreach_days before the event (an effort, not a yield). Assumption.",
    )
    outreach_days: int = Field(90, ge=0, le=3650)
    size_bias: float = Field(1.0, ge=0, le=3, description="Invitations ∝ size^bias. Assumption.")
    invitees_negotiate: bool = Field(
        True,
        description=(
            "Invitees enter talks at once: a signing ceremony's invitations go to firms that have agreed to "
            "negotiate a project for it (项目储备, projects prepared for the ceremony); false: they start as "
            "contacted, like any other lead. Assumption (an event signs only negotiating firms, and F3's 33 "
            "signings from one promotion cannot come from cold contacts in 90 days)."
        ),
    )


class Organic(Strict):
    arrivals_per_step: float = Field(
        6.0,
        ge=0,
        le=1_000_000,
        description="Expected firms per step that come with no promotion. Assumption.",
    )


# --------------------------------------------------------------------------- reporting
class Period(Strict):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"period end ({self.end}) is before start ({self.start})")
        return self


class Cohort(Strict):
    signed_from: dt.date
    signed_until: dt.date
    as_of: dt.date
    min_value_yi: float = Field(
        0.0,
        ge=0,
        description="Only signings at least this large (F16 does not state the threshold for 'major'; assumption).",
    )
    industrial_only: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Cohort:
        if self.signed_until < self.signed_from:
            raise ValueError("signed_until is before signed_from")
        if self.as_of < self.signed_from:
            raise ValueError("as_of is before signed_from")
        return self


class Reporting(Strict):
    periods: dict[str, Period] = Field(default_factory=dict)
    cohorts: dict[str, Cohort] = Field(default_factory=dict)


# --------------------------------------------------------------------------- scenario
class Scenario(Strict):
    """A complete chainsim scenario."""

    name: str = Field("unnamed", max_length=120)
    description: str = Field("", max_length=4000)
    seed: int = Field(20230414, ge=0, le=2**63 - 1, description="Root seed of every random stream.")
    calendar: Calendar = Calendar()
    population: Population
    chains: dict[Id, Chain] = Field(min_length=1)
    parks: dict[Id, Park] = Field(min_length=1)
    location: Location = Location()
    pipeline: Pipeline = Pipeline()
    strategies: Strategies = Strategies()
    events: dict[Id, Event] = Field(default_factory=dict)
    organic: Organic = Organic()
    reporting: Reporting = Reporting()

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        """Names used in one place must exist in another; each error keeps its field path
        so that the loader can point at the file and line."""
        regions, chains = set(self.population.regions), set(self.chains)
        errors: list[tuple[tuple, str]] = []

        def need(kind: str, loc: tuple, names: list[str] | dict, known: set[str]) -> None:
            for i, name in enumerate(names):
                if name not in known:
                    where = loc + ((name,) if isinstance(names, dict) else (i,))
                    errors.append((where, f"unknown {kind} '{name}'; known: {', '.join(sorted(known))}"))

        total = sum(c.pool_share for c in self.chains.values())
        if abs(total - 1.0) > 1e-6:
            errors.append(
                (("chains",), f"pool_share values of the chains must sum to 1 (they sum to {total:.6f})")
            )
        for pid, park in self.parks.items():
            need("chain", ("parks", pid, "specialisations"), park.specialisations, chains)
        windows = sorted(self.strategies.leader_led.trips.items(), key=lambda kv: (kv[1].level, kv[1].start))
        for (aid, a), (bid, b) in zip(windows, windows[1:]):
            if a.level == b.level and b.start <= a.end:
                errors.append(
                    (
                        ("strategies", "leader_led", "trips", bid, "start"),
                        f"{b.level} trip windows '{aid}' and '{bid}' overlap; a level's windows must not overlap",
                    )
                )
        for wid, w in self.strategies.leader_led.trips.items():
            need(
                "region", ("strategies", "leader_led", "trips", wid, "destinations"), w.destinations, regions
            )
        for gid, g in self.strategies.chain_based.groups.items():
            need("chain", ("strategies", "chain_based", "groups", gid, "chains"), g.chains, chains)
        cal = self.calendar
        for eid, e in self.events.items():
            need("region", ("events", eid, "target_regions"), e.target_regions, regions)
            need("chain", ("events", eid, "target_chains"), e.target_chains, chains)
            if e.enabled and not (cal.start_date <= e.date <= cal.end_date):
                errors.append(
                    (
                        ("events", eid, "date"),
                        f"{e.date} is outside the calendar {cal.start_date} … {cal.end_date}",
                    )
                )
        for name, c in self.reporting.cohorts.items():
            if c.as_of > cal.end_date:
                errors.append(
                    (
                        ("reporting", "cohorts", name, "as_of"),
                        f"{c.as_of} is after calendar.end_date {cal.end_date}",
                    )
                )
        if errors:
            raise ValidationError.from_exception_data(
                "Scenario",
                [
                    InitErrorDetails(type=PydanticCustomError("reference", msg), loc=loc, input=None)
                    for loc, msg in errors
                ],
            )
        return self

"""The scenario schema: every input of a chainsim run, validated.

A scenario is data. Each pydantic model forbids unknown keys, is frozen, rejects
NaN and infinities, puts units in field names (``_yi`` = 亿元, ``_days``, ``_per_step``,
``_ha``, ``_mw``) and says in its description where its default comes from: a FACTS ID
(``../shared/reference/FACTS.md``), a PRIORS row, or "Assumption" with the reason.
Parks, chains, events, regions, groups, trip windows, periods and cohorts are mappings
keyed by id, so that ``extends:`` overlays and ``--set parks.anning.land_ha=900`` reach
one item. Cross-references (a chain named by an event, a region named by a trip …) are
checked in :class:`Scenario` (the rules: :mod:`chainsim.config.references`).

This module holds the economy's sections (population, chains, parks, location choice)
and the :class:`Scenario`; the pipeline's behaviour is in :mod:`chainsim.config.pipeline`,
the statistics' definitions in :mod:`chainsim.config.measure`, the time sections (calendar, reporting) are in
:mod:`chainsim.config.periods`, the levers (strategies, events, organic arrivals) in
:mod:`chainsim.config.strategies`, the business climate in :mod:`chainsim.config.climate`,
shared types in :mod:`chainsim.config.common`. All are re-exported here: import any section from ``chainsim.config.schema``.
"""

from __future__ import annotations

import networkx as nx
from pydantic import Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from chainsim.config.base import Strict
from chainsim.config.climate import Climate, ClimatePeriod  # noqa: F401
from chainsim.config.common import (  # noqa: F401
    Count,
    Days,
    Factor,
    Id,
    Labelled,
    PerYi,
    Probability,
    Share,
    Weight,
    Window,
)
from chainsim.config.events import Event, EventKind  # noqa: F401
from chainsim.config.measure import Statistics
from chainsim.config.periods import Calendar, Cohort, Period, Reporting  # noqa: F401
from chainsim.config.pipeline import Pipeline
from chainsim.config.references import reference_errors
from chainsim.config.strategies import (  # noqa: F401
    ChainBased,
    Commissioners,
    LeaderLed,
    Level,
    Organic,
    Reform,
    Reforms,
    SectorGroup,
    Strategies,
    TripWindow,
)


# --------------------------------------------------------------------------- population
class Region(Labelled):
    pool_share: float = Field(
        gt=0.0, le=1.0, description="Share of the candidate pool from this origin. Assumption."
    )
    foreign_entity_share: Share = Field(
        0.0,
        title="Share investing through foreign entities",
        description="Share of this origin's firms that invest through foreign/HK/Macau entities, so their funds count as foreign capital (F2b, 亿美元) rather than domestic funds from outside Yunnan (F2a, 亿元); for a mainland origin, foreign-invested enterprises already in China (see statistics.fie_reinvestment_fdi_share). Assumption (FACTS 'Reading the statistics').",
    )
    mainland: bool = Field(
        False,
        description="An origin in mainland China: its foreign-channel firms are foreign-invested enterprises already in China, whose money counts in F2b only as statistics.fie_reinvestment_fdi_share says. Default false (every foreign-channel firm invests from abroad).",
    )


class ProjectSize(Strict):
    median_yi: float = Field(
        1.0,
        gt=0.0,
        le=1000.0,
        title="Median project size (亿元)",
        description="Median planned project size, 亿元. Assumption: most projects are small; F12a's 22 industrial signings ≥ 1 亿 in H1 bound it.",
    )
    sigma_log: float = Field(
        1.6,
        gt=0.0,
        le=5.0,
        title="Spread of project sizes (log σ)",
        description="Log-normal shape (heavy tail: a few ≥ 10 亿, F6). Assumption.",
    )
    tail_alpha: float | None = Field(
        None,
        gt=0.0,
        le=5.0,
        title="Pareto tail index of project sizes",
        description=(
            "Above tail_from_yi the sizes follow a Pareto tail, P(size > v | size > t) = (v/t)^−α, instead of "
            "the log-normal's (null: log-normal throughout). The share of firms above t is the log-normal's, so "
            "the body is unchanged. Assumption: firm sizes have Pareto tails with α near 1 (Axtell 2001); "
            "F12a's 10 of 22 industrial signings ≥ 1 亿 being ≥ 10 亿 needs a heavier tail than a log-normal."
        ),
    )
    tail_from_yi: float = Field(
        1.0,
        gt=0.0,
        le=1000.0,
        title="Where the Pareto tail starts (亿元)",
        description="Planned size above which tail_alpha's Pareto tail replaces the log-normal, 亿元, before the anchor factor. Assumption: 1 亿, the line of the reported size classes (F12a, F16).",
    )
    max_yi: float = Field(
        400.0,
        gt=0.0,
        le=10000.0,
        description=(
            "Cap on planned size, 亿元. Assumption, estimated by the calibration (prior 120–1,000 亿: the largest "
            "single project the article names is 120 亿, F1)."
        ),
    )
    anchor_share: Share = Field(
        0.03, description="Share of candidate firms that are anchor firms (龙头企业). Assumption."
    )
    anchor_size_factor: float = Field(
        4.0, ge=1.0, le=100.0, description="Anchor firms' projects are this many times larger. Assumption."
    )


class ChainProjectSize(Strict):
    """A chain's own project-size distribution: what it sets replaces the population's
    ``project_size`` for the chain's firms (anchor factor, cap and the tail's start stay common)."""

    median_yi: float | None = Field(
        None,
        gt=0.0,
        le=1000.0,
        description="Median planned project size of the chain, 亿元 (null: population.project_size.median_yi). Assumption.",
    )
    sigma_log: float | None = Field(
        None,
        gt=0.0,
        le=5.0,
        description="Log-normal shape of the chain's sizes (null: population.project_size.sigma_log); larger = heavier tail. Assumption.",
    )
    tail_alpha: float | None = Field(
        None,
        gt=0.0,
        le=5.0,
        description="Pareto index of the chain's sizes above population.project_size.tail_from_yi (null: population.project_size.tail_alpha). Assumption.",
    )


class Population(Strict):
    pool_size: int = Field(
        60_000,
        ge=10,
        le=50_000_000,
        title="Candidate firms",
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
    incumbents: Count = Field(
        0,
        description="Firms already producing locally in this segment at the start. Assumption.",
    )
    anchor_incumbents: Count = Field(
        0, description="Anchor firms (龙头企业) among the incumbents. Assumption."
    )
    industrial: bool | None = Field(
        None,
        description="Counted as 工业 (F12a, F12b; S3: manufacturing, mining, utilities) or not, overriding the chain's flag for this segment (None: the chain's). Farming, herb growing, trade, distribution and services segments of an industrial chain are not 工业; a non-industrial chain's processing segments are. Assumption (the national classification of industries GB/T 4754-2017: sections B–D are 工业).",
    )
    fixed_asset_share: Share | None = Field(
        None,
        description="Share of this segment's projects that are fixed-asset (固投类) projects, overriding the chain's (None: the chain's). S5: 247 of F16's 330 major projects are fixed-asset. Assumption (range 0–1; headquarters, settlement centres, trade and service projects mostly invest no fixed assets).",
    )


class Chain(Labelled):
    industrial: bool = Field(
        description="Counted as 工业和信息化 (F12) or not, for the segments that do not say otherwise (Segment.industrial); ≈ 56 % of F2a is non-industrial (F12b)."
    )
    pool_share: float = Field(
        gt=0.0, le=1.0, description="Share of the candidate pool in this chain. Assumption."
    )
    fixed_asset_share: Share = Field(
        1.0,
        description="Share of the chain's projects that are fixed-asset (固投类) projects — they acquire land and build; the others (headquarters, settlement centres, services, trade) register and start operating (S5: 247 of 330 major projects are fixed-asset). Default 1 (every project builds, the old behaviour). Assumption (range 0–1 per chain).",
    )
    segments: dict[Id, Segment] = Field(
        description="Segments of the chain map (产业链图谱), at least 2: a missing link (缺链) is a segment "
        "with fewer local producers than a share of its chain's mean, so a one-segment chain could never miss one."
    )
    edges: list[tuple[Id, Id]] = Field(
        min_length=1, description="Supplier → buyer links between segments; must form a DAG."
    )
    project_size: ChainProjectSize | None = Field(
        None,
        description=(
            "The chain's own project sizes (median, log-normal shape); null: the population's. "
            "Assumption: capital intensity differs by sector (battery materials: F1's 120 亿, F13's 60/80 亿)."
        ),
    )

    @model_validator(mode="after")
    def _graph(self) -> Chain:
        if len(self.segments) < 2:
            raise ValueError(
                f"a chain map needs at least 2 segments (a missing link is measured against the chain's mean), "
                f"got {len(self.segments)}" + (f": {', '.join(self.segments)}" if self.segments else "")
            )
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

    specialisation: Weight = Field(
        1.5, description="Utility of a park specialised in the firm's chain. Assumption."
    )
    agglomeration: Weight = Field(
        0.5, description="Per log(1 + same-chain producers in the park). Assumption."
    )
    free_land: Weight = Field(1.0, description="Per share of the park's land still free. Assumption.")
    infrastructure: Weight = Field(0.5, description="Per share of grid capacity still free. Assumption.")
    divert_prob_per_step: Probability = Field(
        0.3,
        description="Chance per step that a firm whose park is full re-chooses among parks with room instead of waiting. Assumption.",
    )
    land_ha_per_yi_industrial: PerYi = Field(
        0.5,
        description="Land per 亿元 of an industrial project (F1: 120 亿 on ~60 ha). Assumption.",
    )
    land_ha_per_yi_other: PerYi = Field(
        0.1,
        description="Land per 亿元 of a non-industrial project (offices, logistics). Assumption.",
    )
    mw_per_yi_industrial: PerYi = Field(
        0.8,
        title="Grid demand per 亿元 of industry (MW)",
        description="Grid demand per 亿元 of an industrial project. Assumption.",
    )


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
    event_kinds: dict[Id, EventKind] = Field(
        default_factory=dict, description="Kinds of events and the ceremony terms their events share."
    )
    events: dict[Id, Event] = Field(default_factory=dict)
    organic: Organic = Organic()
    climate: Climate = Climate()
    reporting: Reporting = Reporting()
    statistics: Statistics = Statistics()

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        """Names used in one place must exist in another, and dates must lie in the calendar
        (:func:`chainsim.config.references.reference_errors`); each error keeps its field
        path so that the loader can point at the file and line."""
        errors = reference_errors(self)
        if errors:
            raise ValidationError.from_exception_data(
                "Scenario",
                [
                    InitErrorDetails(type=PydanticCustomError("reference", msg), loc=loc, input=None)
                    for loc, msg in errors
                ],
            )
        return self

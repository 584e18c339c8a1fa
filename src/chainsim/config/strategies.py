"""The scenario's promotion sections: the three strategies and organic arrivals (events:
:mod:`chainsim.config.events`).

Re-exported by :mod:`chainsim.config.schema`, whose :class:`~chainsim.config.schema.Scenario`
holds them and checks the names they use (regions, chains) against the rest of the scenario.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from chainsim.config.base import Strict
from chainsim.config.common import Bias, Count, Factor, Id, Labelled, Probability, Share, Window

Level = Literal["city", "county"]


class TripWindow(Strict):
    level: Level = Field(
        description="city: municipal top leaders (F4); county: county/district/zone leaders (F5)."
    )
    start: dt.date
    end: dt.date
    trips: Count = Field(
        title="Leader trips", description="Outbound trips in the window, spread evenly over its steps."
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
    firms_per_city_trip: float = Field(
        6.0,
        ge=0,
        le=1000,
        title="Firms contacted per city-leader trip",
        description=(
            "Mean firms a city-leader trip contacts; a fraction is spread deterministically over the "
            "trips (trip j contacts ⌊(j+1)·m⌋ − ⌊j·m⌋ firms), so 4.7 gives 4, 5, 5, 5, 4, … "
            "S2: the 15 city trips of H1 2023 visited about 70 key enterprises (≈ 4.7 a trip)."
        ),
    )
    firms_per_county_trip: float = Field(
        3.0,
        ge=0,
        le=1000,
        description="Mean firms a county-leader trip contacts (a fraction spread as for city trips). Assumption.",
    )
    size_bias: Bias = Field(
        1.0,
        title="Leaders' preference for large firms",
        description=(
            "Leaders contact firms with probability ∝ size^bias (they pull bigger projects): both levels, "
            "unless size_bias_city / size_bias_county says otherwise. Assumption."
        ),
    )
    size_bias_city: Bias | None = Field(
        None,
        description="City-leader trips' size bias (null: size_bias). Assumption: top leaders call on the largest groups (range 0–2).",
    )
    size_bias_county: Bias | None = Field(
        None,
        description=(
            "County/district/zone-leader trips' size bias (null: size_bias). Assumption: county leaders "
            "call on firms for their own parks, smaller than the city's (range 0–2, at most the city's)."
        ),
    )

    def bias(self, level: str) -> float:
        """The size bias of one level's trips (its own, else ``size_bias``)."""
        own = self.size_bias_city if level == "city" else self.size_bias_county
        return self.size_bias if own is None else own


class SectorGroup(Labelled):
    chains: list[Id] = Field(
        min_length=1,
        description="Chains the group covers (F10 says groups are by sector; the mapping is an assumption).",
    )
    contacts_per_step: float = Field(
        2.0,
        ge=0,
        le=10_000,
        title="Sector-group contacts per week",
        description="Expected firms contacted per step. Assumption.",
    )


class ChainBased(Window):
    """产业链招商 / 精准招商: sector groups target missing links; anchors refer partners (F8, F10)."""

    enabled: bool = True
    groups: dict[Id, SectorGroup] = Field(
        default_factory=dict, description="The 8 sector groups + 1 support group (F10)."
    )
    targeting_precision: Share = Field(
        0.6,
        title="Targeting precision",
        description="Share of group contacts aimed at missing segments (0 = untargeted). Assumption.",
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
    industrial_only: bool = Field(
        False,
        description=(
            "The reform is for industrial projects only (拿地即开工: industrial land supplied as 标准地, with its "
            "regional assessments done before the sale, is what lets construction start on the day of the "
            "land transfer). Default false: every project."
        ),
    )
    min_value_yi: float = Field(
        0.0,
        ge=0,
        le=10_000,
        description=(
            "The reform is for projects of at least this value (亿元; e.g. 容缺办理 and 全程代办 for the "
            "key/major projects (重点项目) the local rules name). Default 0: every project."
        ),
    )


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
    slots: Count = Field(
        21,
        title="Chief service commissioner slots",
        description="Commissioner slots (F14: 21 large group projects).",
    )
    min_value_yi: float = Field(
        10.0, ge=0, le=10000, description="Only projects at least this large get one. Assumption."
    )
    duration_factor: Factor = Field(
        0.5,
        title="Stage durations with a commissioner (× without)",
        description="Stage-duration multiplier while served. Assumption (F1: 100 days to land, 247 to production).",
    )
    drop_factor: Factor = Field(0.3, description="Drop-out multiplier while served. Assumption.")
    reforms: Reforms = Reforms()


class Strategies(Strict):
    leader_led: LeaderLed = LeaderLed()
    chain_based: ChainBased = ChainBased()
    commissioners: Commissioners = Commissioners()


class Organic(Strict):
    arrivals_per_step: float = Field(
        6.0,
        ge=0,
        le=1_000_000,
        title="Organic arrivals per week",
        description="Expected firms per step that come with no promotion. Assumption.",
    )
    size_bias: float = Field(
        0.0,
        ge=-3.0,
        le=3.0,
        description=(
            "Organic arrivals are drawn within their region ∝ size^bias: 0 = uniformly (every firm "
            "alike), negative = smaller firms come on their own more often. Assumption (range −1.5 – 0: "
            "large groups are courted rather than walk in; 0 keeps them alike)."
        ),
    )

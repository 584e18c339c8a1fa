"""The scenario's business climate (营商环境): dated multipliers of travel, engagement and
post-signing progress (issue 13, point 2; docs/model.md "Business climate").

A climate is a set of dated periods: each period holds from its ``start`` until the next
period starts; before the first one every multiplier is 1 (no periods: the model without a
climate). Steps use the climate in force on their *lever date* (docs/model.md "Time"), so
the burn-in runs on the climate of ``calendar.start_date``, like the levers, and the last
period holds after the reported horizon. Re-exported by :mod:`chainsim.config.schema`.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from chainsim.config.base import Strict
from chainsim.config.common import Id, Labelled


class ClimatePeriod(Labelled):
    """One period's multipliers (1 = the model's reference climate)."""

    start: dt.date = Field(description="First day of the period; it holds until the next period starts.")
    travel: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description=(
            "Share of the contacts that need travel which still happen: each contact of leader trips, "
            "sector groups, event outreach and organic arrivals is kept with this probability (anchor "
            "referrals go through local firms and are not thinned; trip COUNTS are reported data, F4/F5, "
            "and stay as given). Assumption: 1 = unrestricted travel; 2022's restrictions on travel and "
            "visits (FACTS 'Reading the statistics': no HK/Macau trips in 2022) make it < 1 then; range 0.5–1."
        ),
    )
    engagement: float = Field(
        1.0,
        gt=0.0,
        le=3.0,
        description=(
            "Multiplier of the contacted → negotiating probability (fixed for a contact by the climate on "
            "its contact step) and of the signing hazard of negotiating firms (the climate of each step). "
            "Assumption: investors' readiness to commit falls when the outlook is uncertain; range 0.6–1.2 "
            "relative to the reference climate."
        ),
    )
    progress: float = Field(
        1.0,
        ge=0.05,
        le=3.0,
        description=(
            "Pace of post-signing progress: the mean stage durations (registration, land, land → "
            "construction, construction) drawn in this period are divided by it, so construction "
            "instalments — the pace funds in place arrive — scale with it. Assumption: site closures and "
            "restrictions on movement slow building and disbursement; issue 13 measured that φ = 0.9 in "
            "2022 brings H1 2023's funds growth to ≈ 1.18 and φ = 0.8 to ≈ 1.41; range 0.6–1.1."
        ),
    )


class Climate(Strict):
    """Dated business-climate periods (营商环境); none = every multiplier 1 (neutral)."""

    periods: dict[Id, ClimatePeriod] = Field(
        default_factory=dict,
        description="Climate periods keyed by id; each holds from its start until the next one starts.",
    )

    @model_validator(mode="after")
    def _distinct_starts(self) -> Climate:
        starts = [p.start for p in self.periods.values()]
        if len(set(starts)) != len(starts):
            raise ValueError("climate periods must start on different days")
        return self

    def ordered(self) -> list[tuple[str, ClimatePeriod]]:
        """The periods by start date."""
        return sorted(self.periods.items(), key=lambda kv: kv[1].start)

    def at(self, date: dt.date) -> ClimatePeriod | None:
        """The period in force on ``date`` (``None`` before the first one)."""
        current = None
        for _, p in self.ordered():
            if p.start <= date:
                current = p
        return current

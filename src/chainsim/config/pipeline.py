"""The pipeline section of a scenario: how a project moves from contact to production — the
hazards, stage durations, realisation and the disbursement schedule (the model's main
behavioural assumptions). Re-exported by :mod:`chainsim.config.schema`."""

from __future__ import annotations

from pydantic import Field, model_validator

from chainsim.config.base import Strict
from chainsim.config.common import Days, Probability, Share


class Pipeline(Strict):
    """Behaviour of a project between contact and production: the model's main assumptions."""

    engage_prob_per_step: Probability = Field(
        0.06,
        title="Engagement probability per week",
        description="contacted → negotiating hazard. Assumption (PRIORS: ~10 % of leads convert).",
    )
    sign_prob_per_step: Probability = Field(
        0.02,
        title="Signing probability per week",
        description="negotiating → signed base hazard. Assumption.",
    )
    drop_contacted_per_step: Probability = Field(
        0.04,
        title="Drop-out probability per week, contacted",
        description="Drop-out hazard while contacted. Assumption.",
    )
    drop_negotiating_per_step: Probability = Field(
        0.015,
        title="Drop-out probability per week, negotiating",
        description="Drop-out hazard while negotiating. Assumption.",
    )
    drop_signed_per_step: Probability = Field(
        0.003,
        title="Drop-out probability per week after signing",
        description="Drop-out hazard per step in signed … construction (PRIORS: 82–99 % of contracts honoured). Assumption.",
    )
    supplier_access_beta: float = Field(
        1.0,
        ge=0,
        le=10,
        title="Effect of local suppliers on signing",
        description="Signing hazard × exp(beta·access), access = share of linked segments present locally (PRIORS: Amiti & Javorcik 2008). Assumption.",
    )
    leader_boost: float = Field(
        2.0,
        ge=0,
        le=50,
        title="Signing boost after a leader's visit",
        description="Extra signing hazard right after a leader contact (× (1 + boost·decay)). Assumption (PRIORS: leader visits, a boost that decays).",
    )
    leader_boost_decay_days: Days = Field(
        120.0, description="e-folding time of the leader boost. Assumption."
    )
    event_close_prob: Probability = Field(
        0.5,
        title="Probability an event closes a ready negotiation",
        description="Chance that a targeted ready negotiation signs at an event. Assumption (calibrated on F3, F9, F11).",
    )
    register_days: Days = Field(45.0, description="Mean signing → registration time. Assumption.")
    operation_days: Days = Field(
        90.0,
        description="Mean registration → operation time of a project without fixed-asset investment (no land, no construction: it rents premises, fits them out and starts business). Assumption (range 30–180 days).",
    )
    land_days: Days = Field(
        150.0,
        description="Mean registration → land time (F1: 100 days with a commissioner). Assumption.",
    )
    land_to_construction_days: float = Field(
        120.0,
        ge=0,
        le=3650,
        description="Mean land → groundbreaking time (PRIORS: 4–6 months before 拿地即开工). Assumption.",
    )
    construction_days: Days = Field(
        330.0,
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
        title="Share of agreement value that arrives",
        description="Share of the agreement value that ever arrives as funds (PRIORS: 10–35 % within a year). Assumption.",
    )
    funds_at_registration_share: Share = Field(
        0.1,
        description="Share of the realised value declared in place (申报纳统, S1) at registration (registered capital paid in). Assumption (range 0.05–0.3); the four funds_* shares sum to 1.",
    )
    funds_at_land_share: Share = Field(
        0.0,
        description="Share of the realised value declared in place when a fixed-asset project acquires its land (land price and fees). Default 0 (the old schedule). Assumption (range 0–0.25).",
    )
    funds_construction_share: Share = Field(
        0.9,
        description="Share of the realised value declared in place evenly over construction (buildings). Default 0.9 (the old schedule). Assumption (range 0.4–0.9).",
    )
    funds_at_production_share: Share = Field(
        0.0,
        description="Share of the realised value declared in place at the start of production (equipment installed). Default 0 (the old schedule). Assumption (range 0–0.3). A project without fixed assets declares every share but the registration one when it starts operating.",
    )
    fx_cny_per_usd: float = Field(
        7.0,
        gt=0,
        le=100,
        description="Exchange rate for foreign capital (亿美元) when statistics.fx_cny_per_usd_monthly is empty; also sizes a project's registered-capital bracket. 2023 H1 average ≈ 6.9.",
    )

    @model_validator(mode="after")
    def _disbursement(self) -> Pipeline:
        shares = {
            "funds_at_registration_share": self.funds_at_registration_share,
            "funds_at_land_share": self.funds_at_land_share,
            "funds_construction_share": self.funds_construction_share,
            "funds_at_production_share": self.funds_at_production_share,
        }
        total = sum(shares.values())
        if abs(total - 1.0) > 1e-6:
            listed = " + ".join(f"{k} {v:g}" for k, v in shares.items())
            raise ValueError(
                f"the disbursement shares must sum to 1: {listed} = {total:.6g}; "
                "set all four (registration, land, construction, production)"
            )
        return self

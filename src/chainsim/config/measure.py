"""The statistics section: how the model measures what Kunming reported (issue 13, point 1).

实际利用外资 (F2b) counts capital paid in by foreign, Hong Kong, Macau and Taiwan investors
to foreign-invested enterprises, in US dollars at each period's exchange rate; the
defaults keep the old measurement (foreign projects' spending, one fixed rate), and
``scenarios/_fragments/kunming_base.yaml`` switches to the statistical definition.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from chainsim.config.base import Strict
from chainsim.config.common import Share

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class Statistics(Strict):
    fdi_basis: Literal["spending", "paid_in"] = Field(
        "spending",
        description="What 实际利用外资 (F2b) counts of a foreign project: 'spending' — its money as it is spent (the old measurement); 'paid_in' — the capital its foreign investors pay in to the foreign-invested enterprise, from registration on (MOFCOM's foreign-investment statistics and the NBS definition of FDI: foreign, HK, Macau and Taiwan investors' contributions in cash, kind or technology to enterprises they set up, incl. reinvested earnings). Under 'paid_in' the rest of a foreign project's investment (loans, local financing) counts in neither F2a nor F2b (assumption).",
    )
    registered_capital_brackets_usd_wan: list[float] = Field(
        default_factory=lambda: [300.0, 1000.0, 3000.0],
        max_length=10,
        description="Upper bounds of total investment (万美元) of the brackets of registered_capital_shares, ascending. Source: SAIC 1987 provisional rules on the ratio of registered capital to total investment of Sino-foreign joint ventures (≤ 300, 300–1000, 1000–3000, > 3000 万美元).",
    )
    registered_capital_shares: list[Share] = Field(
        default_factory=lambda: [0.7, 0.5, 0.4, 1.0 / 3.0],
        max_length=11,
        description="Registered capital as a share of total investment in each bracket (one more than the bounds): the foreign investors' capital to pay in. Source: SAIC 1987 minimums (7/10, 1/2, 2/5, 1/3); an enterprise may register more (range: the minimum … 1).",
    )
    capital_at_registration_share: Share = Field(
        0.5,
        description="Share of the registered capital paid in at registration; the rest when construction starts (a fixed-asset project) or operation starts (any other). Assumption (range 0.2–1; capital is usually paid in before the money is spent).",
    )
    fie_reinvestment_fdi_share: Share = Field(
        1.0,
        description="Share of the money of a foreign-invested enterprise already in China (a firm of a mainland origin with foreign_entity_share > 0) that counts in 实际利用外资 (F2b); the rest counts in F2a as out-of-province investment. NBS: FDI includes the reinvestment of foreign investors' earnings (外商投资收益的再投资), not an enterprise's domestic financing. Default 1 (the old measurement: all foreign-channel money is F2b). Assumption (range 0–1).",
    )
    fx_cny_per_usd_monthly: dict[str, float] = Field(
        default_factory=dict,
        max_length=600,
        description="Monthly average USD/CNY rates keyed 'YYYY-MM' (亿美元 = 亿元 / rate): a step converts at its month's rate, so a period's total is its months' conversions; a month before the table takes the first rate, after it the last. Empty: pipeline.fx_cny_per_usd for every step (the old measurement).",
    )
    fx_source: str = Field(
        "",
        max_length=400,
        description="Where fx_cny_per_usd_monthly comes from (or 'assumption' with its range).",
    )

    @model_validator(mode="after")
    def _tables(self) -> Statistics:
        bounds = self.registered_capital_brackets_usd_wan
        if any(b <= 0 for b in bounds) or bounds != sorted(set(bounds)):
            raise ValueError("registered_capital_brackets_usd_wan must be positive and strictly ascending")
        if len(self.registered_capital_shares) != len(bounds) + 1:
            raise ValueError(
                f"registered_capital_shares needs one share per bracket: {len(bounds) + 1} "
                f"(for {len(bounds)} bounds), not {len(self.registered_capital_shares)}"
            )
        for month, rate in self.fx_cny_per_usd_monthly.items():
            if not MONTH.match(month):
                raise ValueError(f"fx_cny_per_usd_monthly: key {month!r} is not a month 'YYYY-MM'")
            if not 0 < rate <= 100:
                raise ValueError(f"fx_cny_per_usd_monthly[{month}] = {rate}: a rate must be in (0, 100]")
        return self

"""Organic arrivals (自主来访): firms that come without being promoted to.

Poisson(``organic.arrivals_per_step`` × s) firms a step, the region by its pool share,
the firm within it uniformly or, with ``organic.size_bias`` ≠ 0, ∝ size^bias (negative:
smaller firms come on their own more often; docs/model.md, phase 3). Not a promotion strategy but the
no-promotion baseline; it is written as one so that it plans and contacts the same way.
"""

from __future__ import annotations

import numpy as np

from chainsim.engine.strategies.base import ContactOrder, Context, RunPlan, Strategy, team_key
from chainsim.engine.strategies.registry import register
from chainsim.vocabulary import Source


@register
class Organic(Strategy):
    """The whole run's organic arrivals (counts and origins), drawn once at set-up."""

    key = "organic"
    order = 50
    sources = ("organic",)

    def __init__(self, model: Context) -> None:
        super().__init__(model)
        cal = model.calendar
        rate = np.full(cal.n_steps, model.config.organic.arrivals_per_step)
        self.plan = RunPlan.poisson(model, team_key("organic"), rate)
        shares = np.array([r.pool_share for r in model.config.population.regions.values()])
        cum = np.cumsum(shares / shares.sum())
        self.region = np.searchsorted(cum, self.plan.u, side="right").clip(0, len(cum) - 1)
        self.size_bias = float(model.config.organic.size_bias)
        self.any = model.config.organic.arrivals_per_step > 0

    def sampling(self) -> list[tuple[str, float]]:
        return [("region", self.size_bias)] if self.size_bias and self.any else []  # never batch-dependent

    def contacts(self, t: int) -> list[ContactOrder]:
        sl = self.plan.at(t)
        if sl.start == sl.stop:
            return []
        p = self.plan
        return [
            ContactOrder(Source.ORGANIC, "region", p.rep[sl], self.region[sl], p.keys[sl], self.size_bias)
        ]

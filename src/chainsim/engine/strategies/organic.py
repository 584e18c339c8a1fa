"""Organic arrivals (自主来访): firms that come without being promoted to.

Poisson(``organic.arrivals_per_step`` × s) firms a step, the region by its pool share,
the firm uniformly within it (docs/model.md, phase 3). Not a promotion strategy but the
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

    def contacts(self, t: int) -> list[ContactOrder]:
        sl = self.plan.at(t)
        if sl.start == sl.stop:
            return []
        return [
            ContactOrder(Source.ORGANIC, "region", self.plan.rep[sl], self.region[sl], self.plan.keys[sl])
        ]

"""The business climate (营商环境) as per-step arrays, shared by both engines.

:class:`ClimateSteps` turns the scenario's dated ``climate`` periods into one multiplier per
step and kind, by each step's lever date (so the burn-in runs on the climate in force at
``calendar.start_date``, like the levers). Where each multiplier acts (docs/model.md,
"Business climate"):

* ``travel``     thins the contacts that need travel: each row of a contact order from a
  leader trip, a sector group, an event's outreach or an organic arrival is kept with
  probability ``travel`` (stream ``travel``, keyed by the row's key: the kept rows draw the
  firms they would have drawn anyway). Anchor referrals are not thinned; trip counts stay.
* ``engagement`` multiplies the contacted → negotiating probability (at contact) and the
  signing hazard (each step).
* ``progress``   divides the mean stage durations drawn this step (as stage factors).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import NDArray

from chainsim.config.schema import Scenario
from chainsim.engine.calendar import Calendar
from chainsim.engine.rng import BatchStreams
from chainsim.engine.strategies.base import ContactOrder, StageFactors
from chainsim.vocabulary import Source

#: contact sources that need travel (anchor referrals come through local firms)
TRAVELLING = (Source.LEADER_TRIP, Source.CHAIN_GROUP, Source.EVENT, Source.ORGANIC)


class ClimateSteps:
    """Per-step climate multipliers (all 1.0 when the scenario has no climate periods)."""

    def __init__(self, cfg: Scenario, cal: Calendar) -> None:
        n = cal.n_steps
        self.travel: NDArray[np.float64] = np.ones(n)
        self.engagement: NDArray[np.float64] = np.ones(n)
        self.progress: NDArray[np.float64] = np.ones(n)
        for _, p in cfg.climate.ordered():  # later periods overwrite from their start on
            on = cal.lever_date >= np.datetime64(p.start, "D")
            self.travel[on], self.engagement[on], self.progress[on] = p.travel, p.engagement, p.progress
        self.neutral = bool(
            (self.travel == 1.0).all() and (self.engagement == 1.0).all() and (self.progress == 1.0).all()
        )

    def stage_factors(self, t: int) -> StageFactors | None:
        """Step ``t``'s mean stage durations ÷ progress (``None`` at the reference pace)."""
        phi = float(self.progress[t])
        if phi == 1.0:
            return None
        slow = 1.0 / phi
        return StageFactors(register=slow, land=slow, land_to_construction=slow, construction=slow)

    def thin(self, t: int, order: ContactOrder, streams: BatchStreams) -> ContactOrder:
        """The rows of a contact order that the travel climate lets happen at step ``t``."""
        keep_p = float(self.travel[t])
        if keep_p >= 1.0 or order.source not in TRAVELLING or len(order) == 0:
            return order
        keep = streams.travel.uniform(t, order.rep, order.keys) < keep_p
        return dataclasses.replace(
            order, rep=order.rep[keep], groups=order.groups[keep], keys=order.keys[keep]
        )

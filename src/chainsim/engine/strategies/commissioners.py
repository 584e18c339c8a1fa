"""Chief service commissioners (首席服务专员, F14): slots for the largest signed projects."""

from __future__ import annotations

import mesa
import numpy as np
from numpy.typing import NDArray


class CommissionerOffice(mesa.Agent):
    """Assigns free commissioner slots to the largest signed projects not yet served."""

    def __init__(self, model: mesa.Model, slots: int, min_value_yi: float, active: NDArray[np.bool_]) -> None:
        super().__init__(model)
        self.slots, self.min_value_yi, self.active = slots, min_value_yi, active

    def assign(
        self, step: int, candidates: NDArray[np.int64], value_yi: NDArray[np.float64], in_service: int
    ) -> NDArray[np.int64]:
        free = self.slots - in_service if self.active[step] else 0
        if free <= 0 or len(candidates) == 0:
            return np.zeros(0, dtype=np.int64)
        eligible = candidates[value_yi[candidates] >= self.min_value_yi]
        if len(eligible) <= free:
            return eligible
        # largest first; ties by slot so the choice is deterministic
        order = np.lexsort((eligible, -value_yi[eligible]))
        return eligible[order[:free]]

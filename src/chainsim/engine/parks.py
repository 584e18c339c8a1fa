"""Industrial parks (产业园区): Mesa agents with land and grid capacity, and the
vectorised logit park choice (docs/model.md, phases 6 and 8).

The parks' numbers live in arrays of :class:`ParkSystem`, one row per replicate of the
batch and one column per park, so that the choice kernel reads them without a Python
loop; each :class:`Park` agent is the named view of its column (for replicate 0) that the
dashboard and reports talk to.
"""

from __future__ import annotations

import mesa
import numpy as np
from numpy.typing import NDArray

from chainsim.config.schema import Location
from chainsim.config.schema import Park as ParkConfig
from chainsim.engine.kernels import allocate_capacity, gumbel_choice

type F64 = NDArray[np.float64]
type I64 = NDArray[np.int64]


class Park(mesa.Agent):
    def __init__(self, model: mesa.Model, system: ParkSystem, i: int, pid: str, cfg: ParkConfig) -> None:
        super().__init__(model)
        self.system, self.i, self.pid, self.cfg = system, i, pid, cfg

    @property
    def land_free_ha(self) -> float:
        return float(self.system.land_free[0, self.i])

    @property
    def land_used_ha(self) -> float:
        return float(self.system.land_used[0, self.i])

    @property
    def producing_by_chain(self) -> I64:
        return self.system.producing[0, :, self.i]


class ParkSystem:
    """All parks' capacities and occupants as (replicate × park) arrays, plus their Park agents."""

    def __init__(
        self,
        model: mesa.Model,
        parks: dict[str, ParkConfig],
        chain_ids: list[str],
        weights: Location,
        n_reps: int = 1,
    ) -> None:
        cfgs = list(parks.values())
        P = len(cfgs)
        self.n = P
        self.w = weights
        self.land_total = np.array([p.land_ha for p in cfgs])
        self.grid_total = np.array([p.infrastructure_mw for p in cfgs])
        self.land_added_per_day = np.array([p.land_added_ha_per_year for p in cfgs]) / 365.0
        self.land_free = np.tile(self.land_total, (n_reps, 1))
        self.land_used = np.zeros((n_reps, P))
        self.grid_free = np.tile(self.grid_total, (n_reps, 1))
        self.spec = np.array(
            [np.isin(chain_ids, p.specialisations) for p in cfgs], dtype=np.float64
        ).T  # chains × parks
        self.producing = np.zeros((n_reps, len(chain_ids), P), dtype=np.int64)  # replicate × chain × park
        self.parks = [Park(model, self, i, pid, p) for i, (pid, p) in enumerate(parks.items())]

    def refill(self, days: float) -> None:
        """Newly serviced land refills each park's land bank up to its size."""
        self.land_free = np.maximum(
            np.minimum(self.land_free + self.land_added_per_day * days, self.land_total), self.land_free
        )

    def utilities(self, rep: I64, chain: I64, land_need: F64) -> F64:
        """Logit utility of each park for each firm (in its replicate); −inf where the land does not fit."""
        w = self.w
        base = w.free_land * (self.land_free / np.maximum(self.land_total, 1e-9)) + w.infrastructure * (
            self.grid_free / np.maximum(self.grid_total, 1e-9)
        )
        u = (
            w.specialisation * self.spec[chain]
            + w.agglomeration * np.log1p(self.producing[rep, chain])
            + base[rep]
        )
        return np.where(land_need[:, None] <= self.land_free[rep] + 1e-12, u, -np.inf)

    def choose(
        self,
        rep: I64,
        chain: I64,
        land_need: F64,
        u: F64,
    ) -> I64:
        """Gumbel-max choice among parks with room; −1 where none has room."""
        return gumbel_choice(self.utilities(rep, chain, land_need), u)

    def acquire(
        self,
        rep: I64,
        park: I64,
        land_need: F64,
        mw_need: F64,
    ) -> NDArray[np.bool_]:
        """Grant land in request order within each replicate; update the parks; return who got it."""
        R, P = self.land_free.shape
        cell = rep * P + park
        granted = allocate_capacity(np.where(park >= 0, cell, -1), land_need, self.land_free.ravel())
        land = np.bincount(cell[granted], weights=land_need[granted], minlength=R * P).reshape(R, P)
        mw = np.bincount(cell[granted], weights=mw_need[granted], minlength=R * P).reshape(R, P)
        self.land_free -= land
        self.land_used += land
        self.grid_free = np.maximum(self.grid_free - mw, 0.0)
        return granted

    def add_producers(self, rep: I64, park: I64, chain: I64) -> None:
        np.add.at(self.producing, (rep, chain, park), 1)

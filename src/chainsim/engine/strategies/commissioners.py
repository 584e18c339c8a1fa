"""Chief service commissioners (首席服务专员, F14) and the three reforms they come with.

While the strategy acts, free slots (``slots`` minus projects being served) go to the
largest signed-but-not-producing projects of at least ``min_value_yi`` never served; a
served project's remaining and later stage times × ``duration_factor``, its drop-out
hazard × ``drop_factor`` (docs/model.md, phase 7). The reforms belong to this strategy
(off when it is off), each with its own switch and window:

- 拿地即开工 ``land_and_build``: construction starts the day the land is acquired;
- 容缺办理 ``missing_docs``: registration and land times × ``missing_docs_factor``;
- 全程代办 ``full_agency``: registration time × ``full_agency_factor``, drop-out of signed
  and registered projects × ``full_agency_drop_factor``.

Each reform applies only to the projects it is for (its ``industrial_only`` and
``min_value_yi``): the stage factors are arrays over the eligibility classes
(:class:`~chainsim.engine.strategies.base.Eligibility`), and each project takes its class's.
"""

from __future__ import annotations

import numpy as np

from chainsim.engine.strategies.base import N_CLASSES, Context, Eligibility, Service, StageFactors, Strategy
from chainsim.engine.strategies.registry import register

REFORMS = ("land_and_build", "missing_docs", "full_agency")


@register
class Commissioners(Strategy):
    """The commissioner office's slots and the reforms' stage factors, per step."""

    key = "commissioners"
    order = 40

    def __init__(self, model: Context) -> None:
        super().__init__(model)
        cfg, cal = model.config.strategies.commissioners, model.calendar
        self.cfg = cfg
        self.active = cal.lever_mask(cfg.active_from, cfg.active_until) & cfg.enabled
        self.reform_on = {
            name: cal.lever_mask(r.active_from, r.active_until) & r.enabled & self.active
            for name, r in ((n, getattr(cfg.reforms, n)) for n in REFORMS)
        }
        reforms = [getattr(cfg.reforms, n) for n in REFORMS]
        self.eligibility = Eligibility(
            tuple(r.industrial_only for r in reforms), tuple(r.min_value_yi for r in reforms)
        )
        self._on = Service(cfg.slots, cfg.min_value_yi, cfg.duration_factor, cfg.drop_factor)
        self._off = Service(0, cfg.min_value_yi, cfg.duration_factor, cfg.drop_factor)
        self._factors = [self._factors_at(t) for t in range(cal.n_steps)]

    def service(self, t: int) -> Service:
        # those in service keep it after the strategy ends (service ends at production or loss)
        return self._on if self.active[t] else self._off

    def _factors_at(self, t: int) -> StageFactors:
        """The reforms' factors at step ``t``, one per eligibility class (bit r of a class:
        reform r is for that project)."""
        rf, on = self.cfg.reforms, {k: bool(v[t]) for k, v in self.reform_on.items()}
        cls = np.arange(N_CLASSES)

        def applies(name: str) -> np.ndarray:
            return on[name] & ((cls >> REFORMS.index(name)) & 1).astype(bool)

        build, docs, agency = applies("land_and_build"), applies("missing_docs"), applies("full_agency")
        docs_f = np.where(docs, rf.missing_docs_factor, 1.0)
        return StageFactors(
            register=docs_f * np.where(agency, rf.full_agency_factor, 1.0),
            land=docs_f,
            land_to_construction=np.where(build, 0.0, 1.0),
            drop_before_land=np.where(agency, rf.full_agency_drop_factor, 1.0),
            eligibility=self.eligibility,
        )

    def stage_factors(self, t: int) -> StageFactors:
        return self._factors[t]

    def reforms_active(self, t: int) -> dict[str, bool]:
        """Which reforms act at step ``t`` (for views and tests)."""
        return {k: bool(v[t]) for k, v in self.reform_on.items()}

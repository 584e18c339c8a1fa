"""The measurement layer: which reported statistic a project's money counts in, as each
statistic's definition counts it (docs/model.md, phase 9). Both engines call it.

- 引进省外产业到位资金 (F2a, 亿元; S1: funds *declared into the statistics*, 申报纳统): the
  money of investors from outside Yunnan as the project declares it (the disbursement
  schedule of :mod:`chainsim.engine.pipeline`); its industrial (工业) part is F12b.
- 实际利用外资 (F2b, 亿美元): MOFCOM's foreign-investment statistics and the NBS definition
  of FDI count what foreign, Hong Kong, Macau and Taiwan investors pay in to the
  foreign-invested enterprises they set up (including reinvested earnings), not what
  those enterprises spend. With ``statistics.fdi_basis: paid_in`` a foreign project's
  registered capital — a share of its total investment by the SAIC 1987 brackets — is
  paid in from registration on (``capital_at_registration_share`` then the rest when
  construction or operation starts); with ``spending`` (the default, the old
  measurement) its spending counts. Converted at each step's month's average rate.
- A foreign-invested enterprise already in China (a foreign-channel firm of a mainland
  origin) counts in F2b for ``fie_reinvestment_fdi_share`` of its money, in F2a for the rest.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from chainsim.config.schema import Scenario
from chainsim.engine.calendar import Calendar

F64 = NDArray[np.float64]
WAN_PER_YI = 1e4  # 1 亿 = 10,000 万


def fx_per_step(cfg: Scenario, calendar: Calendar) -> F64:
    """CNY per USD of each step: the monthly average of the month holding the step's last
    day (the first month's before the table, the last month's after it); one rate for
    every step without a table."""
    table = cfg.statistics.fx_cny_per_usd_monthly
    if not table:
        return np.full(calendar.n_steps, cfg.pipeline.fx_cny_per_usd)
    months = sorted(table)
    keys = np.array(months, dtype="datetime64[M]")
    rates = np.array([table[k] for k in months])
    at = np.searchsorted(keys, calendar.date_end.astype("datetime64[M]"), side="right") - 1
    fx: F64 = rates[np.clip(at, 0, len(rates) - 1)]
    return fx


class Measure:
    """The statistics' rules for one scenario: per-step exchange rates, the weight of each
    origin's foreign-channel money in F2b, registered capital by size bracket."""

    def __init__(self, cfg: Scenario, calendar: Calendar) -> None:
        st = cfg.statistics
        self.fx = fx_per_step(cfg, calendar)
        self.paid_in = st.fdi_basis == "paid_in"
        regions = cfg.population.regions.values()
        self.fdi_weight_of_region = np.array(
            [st.fie_reinvestment_fdi_share if r.mainland else 1.0 for r in regions]
        )
        self.bounds = np.array(st.registered_capital_brackets_usd_wan)
        self.shares = np.array(st.registered_capital_shares)
        self.at_registration = st.capital_at_registration_share
        self.realisation = cfg.pipeline.realisation_share
        self.nominal_fx = cfg.pipeline.fx_cny_per_usd  # sizes a project's bracket (a fixed size)

    def fdi_weight(self, foreign: NDArray[np.bool_], region: NDArray[np.int64]) -> F64:
        """Share of each firm's money that is foreign capital (F2b)."""
        w: F64 = np.where(foreign, self.fdi_weight_of_region[region], 0.0)
        return w

    def split(
        self,
        t: int,
        amount_yi: F64,
        foreign: NDArray[np.bool_],
        region: NDArray[np.int64],
        industrial: NDArray[np.bool_],
    ) -> tuple[F64, F64, F64]:
        """(F2a 亿元, its industrial part F12b, F2b 亿美元) of money declared in place."""
        w = self.fdi_weight(foreign, region)
        domestic = amount_yi * (1.0 - w)
        fdi = np.zeros_like(amount_yi) if self.paid_in else amount_yi * w / self.fx[t]
        return domestic, np.where(industrial, domestic, 0.0), fdi

    def capital_usd(
        self,
        t: int,
        value_yi: F64,
        foreign: NDArray[np.bool_],
        region: NDArray[np.int64],
        at_registration: bool,
    ) -> F64:
        """F2b (亿美元) paid in at registration (``at_registration``) or at the start of
        construction or operation: the foreign part of the registered capital, which is
        the bracket's share of the total (realised) investment."""
        if not self.paid_in:
            return np.zeros(len(value_yi))
        total = value_yi * self.realisation
        bracket = np.searchsorted(self.bounds, total * WAN_PER_YI / self.nominal_fx, side="left")
        part = self.at_registration if at_registration else 1.0 - self.at_registration
        paid: F64 = total * self.shares[bracket] * part * self.fdi_weight(foreign, region) / self.fx[t]
        return paid

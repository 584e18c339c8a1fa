"""Phase 9 (*Funds*) and the payments of phase 8: money declared in place as projects pass
their milestones, and foreign investors' paid-in capital. What each statistic counts of a
payment is the measurement layer's (:mod:`chainsim.engine.measure`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from chainsim.engine import kernels as K
from chainsim.vocabulary import Stage

if TYPE_CHECKING:
    from chainsim.engine.model import ChainModel

Rows = NDArray[np.int64]


def pay_construction(m: ChainModel, t: int) -> None:
    """Phase 9 (*Funds*): projects in construction pay their daily instalment for the
    days of this step they spent building."""
    a = m.projects
    rows = np.flatnonzero(a.i("stage") == Stage.CONSTRUCTION)
    if len(rows) == 0:
        return
    days = m.day - np.maximum(a.f("construction_day")[rows], m.day - m.calendar.step_len[t])
    pay(m, t, rows, K.pay_instalments(a.f("funds_left_yi")[rows], a.f("funds_rate_yi_per_day")[rows], days))


def pay(m: ChainModel, t: int, rows: Rows, amount_yi: NDArray[np.float64]) -> None:
    """Funds declared in place: what each statistic counts of them is the measurement
    layer's (:mod:`chainsim.engine.measure`): F2a, its industrial part F12b, and F2b."""
    a = m.projects
    a.f("funds_left_yi")[rows] -= amount_yi
    domestic, industrial, fdi = m.measure.split(
        t, amount_yi, a.b("foreign")[rows], a.i("region")[rows], a.b("industrial")[rows]
    )
    m.recorder_batch.funds(t, a.i("rep")[rows], domestic, industrial, fdi)


def pay_capital(m: ChainModel, t: int, rows: Rows, at_registration: bool) -> None:
    """Foreign investors pay in registered capital (实际利用外资, F2b) when the statistics
    count paid-in capital: at registration, then when construction or operation starts."""
    if not m.measure.paid_in or len(rows) == 0:
        return
    a = m.projects
    fdi = m.measure.capital_usd(
        t, a.f("value_yi")[rows], a.b("foreign")[rows], a.i("region")[rows], at_registration
    )
    zero = np.zeros(len(rows))
    m.recorder_batch.funds(t, a.i("rep")[rows], zero, zero, fdi)

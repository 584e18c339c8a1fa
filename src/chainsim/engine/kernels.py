"""Pure array kernels of the firm pipeline (no Mesa, no model state).

Each function takes arrays and uniforms and returns arrays; the model decides which
firms to pass and writes the results back. Uniforms come from :mod:`chainsim.engine.rng`, so
every kernel is deterministic given its inputs and can be tested on hand-built arrays.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln, ndtri, pdtr

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Bool = NDArray[np.bool_]


def poisson_from_uniform(lam: F64 | float, u: F64) -> I64:
    """Poisson(lam) counts by inversion of one uniform each: the smallest k whose CDF
    reaches u. The CDF is built term by term (p_k = p_{k-1} · lam / k) only for the draws
    still above it: from k = 0 for lam ≤ 30 (most draws stop at 0 or 1), and from four
    standard deviations below the mean for larger lam (scipy's CDF there; a draw below it,
    p ≈ 3e-5, restarts from 0), so the work follows √lam, not lam. Above lam = 700, where
    e^−lam underflows, the normal approximation with continuity correction."""
    lam = np.broadcast_to(np.asarray(lam, dtype=np.float64), u.shape).ravel()
    flat_u = u.ravel()
    out = np.zeros(flat_u.shape, dtype=np.int64)
    big = lam > 700.0
    if big.any():
        z = ndtri(np.clip(flat_u[big], 1e-12, 1 - 1e-12))
        out[big] = np.maximum(np.floor(lam[big] + np.sqrt(lam[big]) * z + 0.5), 0)
    lam_ok = np.where(big, 0.0, lam)
    start = np.where(lam_ok > 30.0, np.floor(lam_ok - 4.0 * np.sqrt(lam_ok)), 0.0)
    p = np.exp(-lam_ok)  # p_0, replaced by p_start below where start > 0
    cdf = p.copy()
    far = np.flatnonzero(start > 0)
    if len(far):
        k0, lf = start[far], lam_ok[far]
        p[far] = np.exp(k0 * np.log(lf) - lf - gammaln(k0 + 1.0))
        cdf[far] = pdtr(k0, lf)
        below = far[flat_u[far] <= cdf[far]]  # rare: back to k = 0 for these
        start[below] = 0.0
        p[below] = np.exp(-lam_ok[below])
        cdf[below] = p[below]
    out[~big] = start[~big].astype(np.int64)
    todo = np.flatnonzero(~big & (flat_u > cdf))
    k = out.copy()
    while len(todo):
        k[todo] += 1
        p[todo] *= lam_ok[todo] / k[todo]
        cdf[todo] += p[todo]
        out[todo] = k[todo]
        todo = todo[(flat_u[todo] > cdf[todo]) & (p[todo] > 0.0)]  # p underflows only where u rounds to 1
    return out.reshape(u.shape)


def lognormal_days(mean_days: F64 | float, sigma_log: float, u: F64) -> F64:
    """Log-normal durations with the given mean and log-scale spread, by inversion of one
    uniform each (so common random numbers carry over to durations)."""
    z = ndtri(np.clip(u, 1e-12, 1 - 1e-12))
    days: F64 = np.asarray(mean_days) * np.exp(sigma_log * z - 0.5 * sigma_log * sigma_log)
    return days


def competing(p_a: F64 | float, p_b: F64 | float, scale: float = 1.0) -> tuple[F64 | float, F64 | float]:
    """Two competing per-step risks over a step ``scale`` times the nominal length: the
    chance to leave by a or by b, as for constant hazards (exact when scale = 1)."""
    if scale == 1.0:
        return p_a, p_b
    total = np.asarray(p_a) + p_b
    leave = 1.0 - (1.0 - np.minimum(total, 1.0)) ** scale
    share = np.divide(p_a, total, out=np.zeros_like(total, dtype=float), where=total > 0)
    return leave * share, leave * (1.0 - share)


def gumbel_choice(utility: F64, u: F64) -> I64:
    """Multinomial-logit choice by Gumbel-max; rows of ``-inf`` everywhere give -1."""
    g = -np.log(-np.log(np.clip(u, 1e-300, 1 - 1e-16)))
    score = utility + g
    choice = score.argmax(axis=1)
    return np.where(np.isfinite(utility).any(axis=1), choice, -1)


def allocate_capacity(park: I64, need: F64, free: F64) -> Bool:
    """Grant requests in order while each park's free capacity lasts.

    ``park[i]`` is request i's park (−1: none), ``need[i]`` its size. Requests are served
    first come first served; a request that does not fit is refused, and so is every later
    request for that park (land is allotted in order of application).
    """
    valid = park >= 0
    total = np.bincount(park[valid], weights=need[valid], minlength=len(free))
    granted = valid.copy()
    for p in np.flatnonzero(total > free + 1e-12):  # only parks that overflow this step
        mine = np.flatnonzero(park == p)
        granted[mine] = np.logical_and.accumulate(np.cumsum(need[mine]) <= free[p] + 1e-12)
    return granted


def pay_instalments(left: F64, rate_per_day: F64, days: float) -> F64:
    """Funds arriving over ``days`` of construction, never more than what is left."""
    return np.minimum(left, rate_per_day * days)

"""Effects as paired differences under common random numbers, with their uncertainty split
into parameter uncertainty (between posterior draws) and stochastic noise (within a draw).

Every arm of an experiment runs the same K posterior draws × R replicates, and run (draw
k, replicate r) has the same random numbers in every arm. An effect is a contrast of arms,
``D[k, r] = Σ_a c_a · Y_a[k, r]`` (e.g. ``Y_on − Y_off``), computed run by run, so the
noise the arms share cancels. For the K × R array ``D`` (one-way random-effects ANOVA):

* ``mean``      — the effect averaged over draws and replicates;
* ``noise_sd``  — σ_w, the sd of one run's effect around its draw's mean (pooled
  within-draw sd): how much the effect in one realised history varies by chance even
  with the parameters known;
* ``param_sd``  — σ_θ, the sd of the draw-level effect with the noise removed,
  ``√max(0, s_b² − σ_w²/R)`` where ``s_b²`` is the variance of the K draw means: what the
  calibration leaves open about the effect;
* ``mc_se``     — ``s_b/√K``, the Monte Carlo standard error of ``mean`` (is the
  experiment large enough?).

95 % intervals are normal: ``mean ± 1.96·sd`` for the parameter (σ_θ), noise (σ_w) and
total (``√(σ_θ² + σ_w²)``, the effect in one realised history under parameter
uncertainty) parts. :func:`unpaired` gives the same quantities as if the arms had been
run on independent random numbers, from the same runs (the variances of the two sides
add), so the report can show what pairing gains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Effect:
    mean: float
    param_sd: float
    noise_sd: float
    mc_se: float
    k: int  # draws with a value
    r: int  # replicates per draw

    @property
    def total_sd(self) -> float:
        if math.isnan(self.param_sd):  # no posterior draws: the noise is all there is
            return self.noise_sd
        return math.hypot(self.param_sd, self.noise_sd) if not math.isnan(self.noise_sd) else self.param_sd

    def interval(self, kind: str) -> tuple[float, float]:
        """95 % interval: ``param``, ``noise``, ``total`` or ``mean`` (Monte Carlo)."""
        sd = {"param": self.param_sd, "noise": self.noise_sd, "total": self.total_sd, "mean": self.mc_se}[
            kind
        ]
        return self.mean - Z95 * sd, self.mean + Z95 * sd


NAN_EFFECT = Effect(math.nan, math.nan, math.nan, math.nan, 0, 0)


def _parts(y: NDArray[np.float64]) -> tuple[NDArray[np.float64], float, int, int] | None:
    """(draw means, mean within-draw variance, K, R) of a K × R array; draws with no finite
    value are left out, NaN runs are ignored within a draw."""
    y = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(y)
    keep = ok.any(axis=1)
    if not keep.any():
        return None
    y, ok = y[keep], ok[keep]
    n = ok.sum(axis=1)
    means = np.where(ok, y, 0.0).sum(axis=1) / n
    dev = np.where(ok, y - means[:, None], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (dev**2).sum(axis=1) / (n - 1)
    within = float(np.nanmean(var)) if np.isfinite(var).any() else math.nan
    return means, within, len(means), int(round(n.mean()))


def decompose(d: NDArray[np.float64]) -> Effect:
    """Mean, parameter sd, noise sd and Monte Carlo se of a K × R array of run-level values
    (a paired difference, or an outcome level)."""
    parts = _parts(d)
    if parts is None:
        return NAN_EFFECT
    means, within, k, r = parts
    noise = 0.0 if math.isnan(within) else within
    if k == 1:  # no posterior draws: no parameter spread; the mean's error is the noise over R runs
        return Effect(float(means[0]), math.nan, math.sqrt(within) if not math.isnan(within) else math.nan,
                      math.sqrt(noise / max(r, 1)), k, r)  # fmt: skip
    between = float(means.var(ddof=1))
    param = math.sqrt(max(between - noise / max(r, 1), 0.0))
    return Effect(
        float(means.mean()),
        param,
        math.sqrt(within) if not math.isnan(within) else math.nan,
        math.sqrt(between / k),
        k,
        r,
    )


def share_interval(y: NDArray[np.float64], kind: str) -> tuple[float, float]:
    """95 % interval of the level of a share (a landing rate, in [0, 1]): the same
    decomposition on the logit scale, mapped back, so that it stays inside [0, 1] where
    mean ± 1.96 σ on the share itself can pass 100 %."""
    eps = 1e-4
    z = np.asarray(y, np.float64)
    lo, hi = decompose(np.log(np.clip(z, eps, 1 - eps) / (1 - np.clip(z, eps, 1 - eps)))).interval(kind)
    return float(1 / (1 + np.exp(-lo))), float(1 / (1 + np.exp(-hi)))


def paired(y1: NDArray[np.float64], y0: NDArray[np.float64]) -> Effect:
    """The effect ``y1 − y0`` run by run (arms paired by draw and replicate)."""
    return decompose(np.asarray(y1, np.float64) - np.asarray(y0, np.float64))


def unpaired(y1: NDArray[np.float64], y0: NDArray[np.float64]) -> Effect:
    """The same difference as if ``y1`` and ``y0`` came from independent runs: variances
    of the two sides add (what the interval would be without common random numbers)."""
    a, b = _parts(y1), _parts(y0)
    if a is None or b is None:
        return NAN_EFFECT
    (m1, w1, k1, r1), (m0, w0, k0, r0) = a, b
    if k1 == 1 and k0 == 1:  # no posterior draws (see decompose)
        n1, n0 = (0.0 if math.isnan(w) else w for w in (w1, w0))
        noise = math.sqrt(w1 + w0) if not (math.isnan(w1) or math.isnan(w0)) else math.nan
        return Effect(
            float(m1[0] - m0[0]),
            math.nan,
            noise,
            math.sqrt(n1 / max(r1, 1) + n0 / max(r0, 1)),
            1,
            min(r1, r0),
        )
    v1 = float(m1.var(ddof=1)) if k1 > 1 else 0.0
    v0 = float(m0.var(ddof=1)) if k0 > 1 else 0.0
    n1 = 0.0 if math.isnan(w1) else w1
    n0 = 0.0 if math.isnan(w0) else w0
    param = math.sqrt(max(v1 - n1 / max(r1, 1), 0.0) + max(v0 - n0 / max(r0, 1), 0.0))
    noise = math.sqrt(w1 + w0) if not (math.isnan(w1) or math.isnan(w0)) else math.nan
    return Effect(
        float(m1.mean() - m0.mean()), param, noise, math.sqrt(v1 / k1 + v0 / k0), min(k1, k0), min(r1, r0)
    )


def contrast(arrays: list[NDArray[np.float64]], weights: list[float]) -> NDArray[np.float64]:
    """``Σ_a c_a · Y_a`` run by run (the arrays aligned by draw and replicate)."""
    out = np.zeros_like(np.asarray(arrays[0], np.float64))
    for y, c in zip(arrays, weights, strict=True):
        out = out + c * np.asarray(y, np.float64)
    return out

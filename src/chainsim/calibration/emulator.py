"""Emulators: fast statistical stand-ins for the simulation's expected statistics.

For each ``summary.json`` path the targets read, an emulator predicts the *expected*
value (the mean over infinitely many replicates) on a transformed scale — log for
amounts, counts and days, logit for shares — where the noise is closer to Gaussian and
multiplicative effects add up. It is the emulator of history matching (Vernon et al.
2010, Bayesian Analysis 5(4); Andrianakis et al. 2015, PLoS Comput Biol 11(1), for a
stochastic agent-based model): a regression mean function plus a Gaussian process on
its residuals.

* **Mean function**: ridge regression on each parameter and its square (sklearn's
  ``RidgeCV``, penalty by generalised cross-validation).
* **Residual GP**: sklearn's ``GaussianProcessRegressor`` with a squared-exponential
  kernel on the parameters scaled by their weight in the regression (a parameter the
  statistic barely depends on barely moves the GP: one length scale instead of 37) and a
  white-noise term for roughness finer than the design resolves.
* **Replicate noise, per point** (stochastic kriging: Ankenman, Nelson & Staum 2010,
  Operations Research 58(2)): each design point's R-replicate mean carries its own known
  noise, var/R on the transformed scale (delta method), given to the GP as that point's
  nugget. The noise is heteroscedastic — a heavy-tailed amount is far noisier where its
  expected value is small — so one shared white term either over-smooths the quiet points
  or books the noisy points' noise as the emulator's own uncertainty. The per-point
  estimates (a sample variance of R values) are smoothed by a ridge regression of their
  log on the parameters and rescaled to keep their mean.
* **Jensen's correction**: the transformed mean h(m̄) of R replicates is biased against
  h(E m) by ½ h''·var/R (−4 to −8 % for heavy-tailed amounts at R = 4, measured), so each
  design point's value is corrected to second order before fitting; the emulator predicts
  h(E m), which is what a many-replicate mean and the targets compare.

The emulator's variance at a new point — what the likelihood adds to the target's σ² — is
the GP's predictive variance of the latent function (large far from design points, small
near them) plus the white term. Its calibration is checked by leave-one-out standardised
errors (:attr:`PathEmulator.loo_sd`: ≈ 1 when the stated variance matches the real errors),
computed in closed form.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

SHARE_PATHS = ("landing_rate", "producing_rate")  # shares in (0, 1): logit scale


def is_share(path: str) -> bool:
    return path.rsplit(".", 1)[-1] in SHARE_PATHS


@dataclass
class Transform:
    """h(m) = log(m + offset), or logit for shares; the derivative for the delta method."""

    share: bool
    offset: float

    def forward(self, m: np.ndarray) -> np.ndarray:
        if self.share:
            c = np.clip(m, 1e-4, 1 - 1e-4)
            return np.asarray(np.log(c / (1 - c)))
        return np.asarray(np.log(np.maximum(m, 0.0) + self.offset))

    def inverse(self, h: np.ndarray) -> np.ndarray:
        if self.share:
            return np.asarray(1.0 / (1.0 + np.exp(-h)))
        return np.asarray(np.exp(h) - self.offset)

    def slope(self, m: np.ndarray) -> np.ndarray:
        """dh/dm at m."""
        if self.share:
            c = np.clip(m, 1e-4, 1 - 1e-4)
            return np.asarray(1.0 / (c * (1 - c)))
        return np.asarray(1.0 / (np.maximum(m, 0.0) + self.offset))

    def curvature(self, m: np.ndarray) -> np.ndarray:
        """h''/h'² at m: E h(m̄) ≈ h(E m) + ½ · curvature · noise on the transformed scale."""
        if self.share:
            return np.asarray(2 * np.clip(m, 1e-4, 1 - 1e-4) - 1)
        return np.full(np.shape(m), -1.0)

    @classmethod
    def for_path(cls, path: str, means: np.ndarray) -> Transform:
        if is_share(path):
            return cls(True, 0.0)
        pos = means[np.isfinite(means) & (means > 0)]
        # an offset of a few % of a typical value keeps counts of zero finite without flattening the rest
        return cls(False, float(0.05 * np.median(pos)) if pos.size else 1.0)


class Features:
    """The parameters scaled to [0, 1] over the design (:func:`basis` adds their squares)."""

    def __init__(self, X: np.ndarray) -> None:
        self.lo, self.span = X.min(axis=0), np.maximum(X.max(axis=0) - X.min(axis=0), 1e-12)

    def unit(self, X: np.ndarray) -> np.ndarray:
        return np.asarray((X - self.lo) / self.span)


def basis(U: np.ndarray) -> np.ndarray:
    """The regression's features: each parameter and its square. Pairwise products were
    tried (37 + 37 + 666 columns): leave-one-out R² rose, but at posterior draws checked
    against 64-replicate simulations the errors grew and the stated variance fell short
    (mean z² 2–4): an overfitted ridge whose in-sample LOO hides it (docs/calibration.md)."""
    return np.hstack([U, U**2])


@dataclass
class PathEmulator:
    """One path's emulator: regression + residual GP, on the transformed scale."""

    transform: Transform
    coef: np.ndarray
    intercept: float
    weights: np.ndarray  # input scaling of the GP: the parameters' weight in the regression
    gp: object  # a fitted sklearn GaussianProcessRegressor on the regression's residuals
    white: float  # the GP's fitted white-noise variance: roughness, replicate noise excluded
    gp_inputs: np.ndarray  # its training inputs (scaled), for the fast prediction below
    gp_alpha: np.ndarray  # K⁻¹ r (sklearn's alpha_)
    gp_linv_t: np.ndarray  # (L⁻¹)ᵀ for the Cholesky factor L of K (white noise included)
    gp_amplitude: float
    gp_length: float
    noise_var: float  # median noise variance of the design's R-means, transformed scale (diagnostic)
    loo_rmse: float  # leave-one-out error of the whole emulator (diagnostic)
    loo_r2: float
    loo_sd: float  # sd of the leave-one-out standardised errors: ≈ 1 if the variance is honest
    n: int

    def predict_unit(self, U: np.ndarray, S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Expected value (natural scale) and the emulator's variance of it (natural scale,
        by the delta method) at points ``U`` (unit scale) with squares basis ``S``."""
        mean, latent = self.gp_predict(U * self.weights)
        h = S @ self.coef + self.intercept + mean
        var_h = latent + self.white
        m = self.transform.inverse(h)
        return m, var_h / self.transform.slope(m) ** 2

    def gp_predict(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The residual GP's mean and latent variance (white noise excluded) at scaled inputs:
        sklearn's formulas (Rasmussen & Williams 2006, alg. 2.1) on precomputed K⁻¹, a few
        matrix products for a whole batch of MCMC walkers instead of a call per path."""
        a = Z / self.gp_length
        b = self.gp_inputs / self.gp_length
        d2 = np.maximum((a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T, 0.0)
        ks = self.gp_amplitude * np.exp(-0.5 * d2)
        mean = ks @ self.gp_alpha
        v = ks @ self.gp_linv_t  # rows: (L⁻¹ k*)ᵀ, as sklearn computes it (stable where K is near-singular)
        latent = self.gp_amplitude - np.einsum("ij,ij->i", v, v)
        return mean, np.maximum(latent, 0.0)


@dataclass
class Emulators:
    """The input scaling and every path's emulator."""

    features: Features
    paths: dict[str, PathEmulator]

    def predict(self, X: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        U = self.features.unit(np.atleast_2d(X))
        S = basis(U)
        return {p: em.predict_unit(U, S) for p, em in self.paths.items()}


def fit_path(
    path: str, U: np.ndarray, mean: np.ndarray, var: np.ndarray, n: np.ndarray, gp_points: int, seed: int
) -> PathEmulator:
    """One path's emulator on the design points where it has a value."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, WhiteKernel
    from sklearn.gaussian_process.kernels import ConstantKernel as C
    from sklearn.linear_model import RidgeCV

    ok = np.isfinite(mean) & (n > 0)
    tr = Transform.for_path(path, mean[ok])
    Uo = U[ok]
    d = U.shape[1]
    S = basis(Uo)
    noise = replicate_noise(tr, S, mean[ok], var[ok], n[ok])
    y = tr.forward(mean[ok]) - 0.5 * tr.curvature(mean[ok]) * noise  # Jensen, to second order
    ridge = RidgeCV(alphas=np.logspace(-4, 3, 15), gcv_mode="svd").fit(S, y)
    resid = y - ridge.predict(S)
    w = np.abs(ridge.coef_[:d]) + np.abs(ridge.coef_[d:])
    w = w / w.max() if w.max() > 0 else np.ones(d)
    # the GP on the most recent ``gp_points`` points (the later rows are the later waves)
    sub = np.arange(len(y))[-gp_points:]
    rvar = float(np.var(resid)) + 1e-9
    kernel = C(rvar, (1e-6, 1e3)) * RBF(0.3, (0.01, 20.0)) + WhiteKernel(rvar / 10, (1e-8, 1e2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp = GaussianProcessRegressor(
            kernel, alpha=noise[sub] + 1e-10, normalize_y=False, random_state=seed
        ).fit(Uo[sub] * w, resid[sub])
    white = float(gp.kernel_.k2.noise_level)
    # closed-form leave-one-out of the GP part (Rasmussen & Williams 2006, eq. 5.12)
    from scipy.linalg import solve_triangular

    linv = solve_triangular(gp.L_, np.eye(len(sub)), lower=True)
    Kinv = linv.T @ linv
    alpha = Kinv @ resid[sub]
    loo_err = alpha / np.diag(Kinv)
    loo_var = 1.0 / np.diag(Kinv)
    ss = float(np.sum((y[sub] - y[sub].mean()) ** 2))
    return PathEmulator(
        transform=tr,
        coef=np.asarray(ridge.coef_, float),
        intercept=float(ridge.intercept_),
        weights=w,
        gp=gp,
        white=white,
        gp_inputs=Uo[sub] * w,
        gp_alpha=np.asarray(gp.alpha_, float),
        gp_linv_t=np.ascontiguousarray(linv.T),
        gp_amplitude=float(gp.kernel_.k1.k1.constant_value),
        gp_length=float(gp.kernel_.k1.k2.length_scale),
        noise_var=float(np.median(noise)),
        loo_rmse=math.sqrt(float(np.mean(loo_err**2))),
        loo_r2=1.0 - float(np.sum(loo_err**2)) / ss if ss > 0 else math.nan,
        loo_sd=float(np.std(loo_err / np.sqrt(loo_var))),
        n=int(ok.sum()),
    )


def replicate_noise(
    tr: Transform, S: np.ndarray, mean: np.ndarray, var: np.ndarray, n: np.ndarray
) -> np.ndarray:
    """Each design point's noise variance of its R-replicate mean on the transformed scale:
    var/R by the delta method at a *smoothed* mean (a ridge fit of h(m̄) on the features
    ``S``: at the point's own mean a heavy-tailed amount's big draw inflates both the variance
    and the mean, and their ratio falls short), then smoothed over the parameters (a ridge
    regression of its log, rescaled to the raw estimates' mean, which is unbiased): a sample
    variance of four heavy-tailed values is too rough to trust point by point, and points
    with one replicate get one."""
    from sklearn.linear_model import RidgeCV

    alphas = np.logspace(-2, 4, 13)
    level = tr.inverse(RidgeCV(alphas=alphas, gcv_mode="svd").fit(S, tr.forward(mean)).predict(S))
    raw = var * tr.slope(level) ** 2 / np.maximum(n, 1)
    good = np.isfinite(raw) & (raw > 0) & (n > 1)
    if good.sum() < 10:
        return np.full(len(mean), float(np.nanmedian(raw[good])) if good.any() else 0.0)
    fit = RidgeCV(alphas=alphas, gcv_mode="svd").fit(S[good], np.log(raw[good]))
    smooth = np.exp(fit.predict(S))
    return np.asarray(smooth * raw[good].mean() / smooth[good].mean())


def fit_all(
    X: np.ndarray,
    mean: Mapping[str, np.ndarray],
    var: Mapping[str, np.ndarray],
    n: Mapping[str, np.ndarray],
    gp_points: int = 600,
    seed: int = 0,
    pool: Any = None,
) -> Emulators:
    """An emulator for every path (rows in design order: later waves last); on ``pool``'s
    workers (an :func:`~chainsim.calibration.ensemble.executor`'s pools) when given."""
    features = Features(X)
    U = features.unit(X)
    for p in mean:
        ok = np.isfinite(mean[p]) & (n[p] > 0)
        if ok.sum() < 30:
            raise ValueError(f"too few design points with a value of {p} to emulate it ({ok.sum()})")
    jobs = [(p, U, mean[p], var[p], n[p], gp_points, seed) for p in mean]
    if pool is None:
        fitted = [_fit_job(job) for job in jobs]
    else:
        fitted = [em for ex, chunk in pool.chunks(jobs) for em in ex.map(_fit_job, chunk)]
    return Emulators(features, dict(zip(mean, fitted)))


def _fit_job(job: tuple) -> PathEmulator:
    return fit_path(*job)

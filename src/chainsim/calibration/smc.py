"""The posterior of an emulated likelihood, sampled by tempered sequential Monte Carlo.

Particles start uniform in a box on the sampling scale (the prior, or the region earlier
waves left plausible) and move through tempered posteriors π_β ∝ L^β, β from 0 to 1
(Del Moral, Doucet & Jasra 2006; Chopin & Papaspiliopoulos 2020, ch. 17):

1. the next β is the one that keeps the reweighted particles' effective sample size at
   ``ess_fraction`` of N (found by bisection), and log Z gains the weights' log mean;
2. the particles are resampled (systematic) to equal weights;
3. each takes ``moves`` random-walk Metropolis steps targeting π_β, the proposal's
   covariance the particles' own, scaled by (λ · 2.38 / √d)², λ tuned over the first
   fifth of the moves to 25 % acceptance and then frozen.

The weights' ESS is ≥ ½N by construction and says nothing about convergence; what does is
agreement between independent runs (:func:`implied_ess`). The MCMC sampler
(:mod:`.mcmc`) mixed too slowly along the directions the figures leave free (docs/calibration.md,
Diagnostics); the particles, each moving from a spread population, do not need to cross
the posterior one step at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainsim.calibration.likelihood import EmulatedLikelihood

TARGET_ACCEPTANCE = 0.25


@dataclass
class SMCResult:
    draws: np.ndarray  # (N, d) internal scale, equally weighted
    loglik: np.ndarray  # log L at the draws (β = 1)
    temperatures: np.ndarray  # β of every stage, from 0 to 1
    acceptance: float  # mean acceptance of the moves at β = 1
    log_evidence: float  # log Z of the box's uniform prior, up to the likelihood's constant
    moves: int


def _ess(logw: np.ndarray) -> float:
    w = np.exp(logw - logw.max())
    return float(w.sum() ** 2 / (w * w).sum())


def next_temperature(loglik: np.ndarray, beta: float, target: float) -> float:
    """The β' > β at which weights L^(β'−β) keep an ESS of ``target`` particles (1 if they can)."""
    finite = np.where(np.isfinite(loglik), loglik, -np.inf)
    if _ess((1.0 - beta) * finite) >= target:
        return 1.0
    lo, hi = 0.0, 1.0 - beta
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _ess(mid * finite) >= target else (lo, mid)
    return beta + max(lo, 1e-12)


def systematic_resample(logw: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    w = np.exp(logw - logw.max())
    cum = np.cumsum(w / w.sum())
    cum[-1] = 1.0
    n = len(logw)
    return np.searchsorted(cum, (rng.random() + np.arange(n)) / n)


def tempered_smc(
    loglik: Callable[[np.ndarray], np.ndarray],
    box: tuple[np.ndarray, np.ndarray],
    particles: int,
    moves: int,
    seed: int,
    ess_fraction: float = 0.5,
) -> SMCResult:
    """One tempered SMC run on log L within ``box`` (uniform prior there)."""
    rng = np.random.default_rng(seed)
    lo, hi = box
    d = len(lo)
    X = lo + rng.random((particles, d)) * (hi - lo)
    ll = loglik(X)
    beta, log_z, lam = 0.0, 0.0, 1.0
    temps = [0.0]
    acceptance = 0.0
    while beta < 1.0:
        new = next_temperature(ll, beta, ess_fraction * particles)
        logw = np.where(np.isfinite(ll), (new - beta) * ll, -np.inf)
        top = logw.max()
        log_z += float(top + np.log(np.mean(np.exp(logw - top))))
        beta = new
        temps.append(beta)
        pick = systematic_resample(logw, rng)
        X, ll = X[pick], ll[pick]
        chol = np.linalg.cholesky(np.cov(X.T) + 1e-12 * np.eye(d))
        rates = []
        for k in range(moves):
            step = lam * 2.38 / np.sqrt(d)
            Y = X + step * rng.standard_normal((particles, d)) @ chol.T
            inside = np.all((Y >= lo) & (Y <= hi), axis=1)
            lly = np.full(particles, -np.inf)
            if inside.any():
                lly[inside] = loglik(Y[inside])
            with np.errstate(invalid="ignore"):
                accept = np.log(rng.random(particles)) < beta * (lly - ll)
            X[accept], ll[accept] = Y[accept], lly[accept]
            rate = float(accept.mean())
            rates.append(rate)
            if k < max(1, moves // 5):  # tune the scale, then keep it fixed (a stationary kernel)
                lam *= float(np.exp(rate - TARGET_ACCEPTANCE))
        acceptance = float(np.mean(rates[moves // 5 :] or rates))
    return SMCResult(X, ll, np.array(temps), acceptance, log_z, moves)


def implied_ess(runs: list[SMCResult]) -> float:
    """How many independent draws one run is worth, read from how far independent runs'
    means sit apart: a run's mean has variance σ²/ESS, so ESS = 1 / mean over parameters of
    (between-run variance of the means / posterior variance). Needs two runs or more."""
    if len(runs) < 2:
        return float("nan")
    means = np.array([r.draws.mean(axis=0) for r in runs])
    pooled = np.vstack([r.draws for r in runs]).var(axis=0) + 1e-300
    ratio = means.var(axis=0, ddof=1) / pooled
    return float(1.0 / max(np.mean(ratio), 1e-12))


@dataclass
class SMCJob:
    """Picklable: one run, for a worker process or a Dask worker."""

    loglik: EmulatedLikelihood
    box: tuple[np.ndarray, np.ndarray]
    particles: int
    moves: int

    def __call__(self, seed: int) -> SMCResult:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):  # small products; BLAS threads only fight the other run
            return tempered_smc(self.loglik, self.box, self.particles, self.moves, seed)


MIN_IMPLIED_ESS = 150  # issue 14's bar for a weighted sample, applied to the between-run agreement


@dataclass
class SMCPosterior:
    """Independent runs pooled: their draws, and how well they agree."""

    draws: np.ndarray
    loglik: np.ndarray
    runs: int
    particles: int
    moves: int
    temperatures: int  # the most any run needed
    acceptance: float  # mean over runs, at β = 1
    log_evidence: np.ndarray  # per run
    ess: float  # implied ESS of one run (nan with one run)

    @property
    def converged(self) -> bool:
        return bool(self.ess >= MIN_IMPLIED_ESS)

    @classmethod
    def pool(cls, runs: list[SMCResult], particles: int) -> SMCPosterior:
        return cls(
            draws=np.vstack([r.draws for r in runs]),
            loglik=np.concatenate([r.loglik for r in runs]),
            runs=len(runs),
            particles=particles,
            moves=runs[0].moves,
            temperatures=max(len(r.temperatures) - 1 for r in runs),
            acceptance=float(np.mean([r.acceptance for r in runs])),
            log_evidence=np.array([r.log_evidence for r in runs]),
            ess=implied_ess(runs),
        )

    def record(self) -> dict[str, Any]:
        """The wave file's diagnostics."""
        return {
            "sampler": "smc",
            "ess": self.ess,
            "runs": float(self.runs),
            "particles": float(self.particles),
            "moves": float(self.moves),
            "temperatures": float(self.temperatures),
            "acceptance": self.acceptance,
            "log_evidence_spread": float(np.ptp(self.log_evidence)),
            "converged": float(self.converged),
            "draws": float(len(self.draws)),
        }

    def describe(self) -> str:
        """The report's sentence on the sampler and its diagnostic."""
        verdict = (
            f"passes (≥ {MIN_IMPLIED_ESS})" if self.converged else f"**does not pass** (< {MIN_IMPLIED_ESS})"
        )
        spread = f"{np.ptp(self.log_evidence):.2f}" if self.runs > 1 else "n/a"
        return (
            f"tempered SMC, {self.runs} independent runs × {self.particles} particles, {self.moves} random-walk "
            f"moves per temperature ({self.temperatures} temperatures), acceptance {self.acceptance:.2f} at β = 1; "
            f"{len(self.draws)} pooled draws. Diagnostic: the runs' means agree to an implied effective sample "
            f"size of {self.ess:.0f} per run, which {verdict}; their log evidence differs by {spread} nats."
        )

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "draws": self.draws,
            "loglik": self.loglik,
            "log_evidence": self.log_evidence,
            "scalars": np.array(
                [self.runs, self.particles, self.moves, self.temperatures, self.acceptance, self.ess], float
            ),
        }

    @classmethod
    def from_arrays(cls, z: dict[str, np.ndarray]) -> SMCPosterior:
        runs, particles, moves, temps, acc, ess = (float(x) for x in z["scalars"])
        return cls(
            z["draws"],
            z["loglik"],
            int(runs),
            int(particles),
            int(moves),
            int(temps),
            acc,
            z["log_evidence"],
            ess,
        )


def sample_smc(
    loglik: EmulatedLikelihood,
    box: tuple[np.ndarray, np.ndarray],
    particles: int,
    moves: int,
    runs: int,
    seed: int,
    pools: Any = None,
) -> SMCPosterior:
    """``runs`` independent runs (seeds from ``seed``), on the workers of ``pools`` (an
    :func:`~.ensemble.executor`) when given, else here; pooled."""
    seeds = [int(s) for s in np.random.SeedSequence([seed, 5_000]).generate_state(runs)]
    job = SMCJob(loglik, box, particles, moves)
    if pools is None or runs == 1:
        results = [job(s) for s in seeds]
    else:
        results = []
        for pool, chunk in pools.chunks(seeds):
            results += [f.result() for f in [pool.submit(job, s) for s in chunk]]
    return SMCPosterior.pool(results, particles)

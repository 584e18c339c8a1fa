"""The posterior of an emulated likelihood, sampled by MCMC: emcee's affine-invariant
ensemble sampler (Foreman-Mackey et al. 2013) within a box on the sampling scale (uniform
prior), its walkers started at the design points the emulator likes best; the chain can
run on until its kept half is 50 autocorrelation times long (emcee's rule of thumb).
Used by every wave of :mod:`.waves` and by the recovery check (:mod:`.recovery`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainsim.calibration.likelihood import EmulatedLikelihood
from chainsim.calibration.params import ParameterSpace


@dataclass
class MCMCResult:
    draws: np.ndarray  # (n, d) internal scale, thinned, after burn-in
    loglik: np.ndarray
    tau: np.ndarray  # integrated autocorrelation time per parameter, in steps
    ess: float  # walkers × kept steps / max tau
    acceptance: float
    converged: bool  # kept steps ≥ 50 × max tau (emcee's rule of thumb)
    steps: int = 0  # the chain's length (0: not recorded, from a wave saved before it was)
    walkers: int = 0

    def record(self) -> dict[str, Any]:
        """The wave file's diagnostics."""
        return {
            "sampler": "mcmc",
            "ess": self.ess,
            "max_tau": float(np.max(self.tau)),
            "acceptance": self.acceptance,
            "converged": float(self.converged),
            "draws": float(len(self.draws)),
        }

    def describe(self) -> str:
        """The report's sentence on the sampler and its diagnostic."""
        return (
            f"emcee, {self.walkers} walkers × {self.steps} steps (first half burn-in), {len(self.draws)} thinned "
            f"draws; integrated autocorrelation time ≤ {np.max(self.tau):.0f} steps, effective sample size "
            f"{self.ess:.0f}, acceptance {self.acceptance:.2f}, "
            + (
                "converged (kept steps ≥ 50 τ)."
                if self.converged
                else "**not converged** (kept steps < 50 τ)."
            )
        )

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "draws": self.draws,
            "loglik": self.loglik,
            "tau": self.tau,
            "scalars": np.array(
                [self.ess, self.acceptance, float(self.converged), float(self.steps), float(self.walkers)]
            ),
        }

    @classmethod
    def from_arrays(cls, z: dict[str, np.ndarray]) -> MCMCResult:
        ess, acc, conv, steps, walkers = (float(x) for x in z["scalars"])
        return cls(z["draws"], z["loglik"], z["tau"], ess, acc, bool(conv), int(steps), int(walkers))


def bounds(space: ParameterSpace) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = zip(*(space.internal_bounds(n) for n in space.names))
    return np.array(lo, float), np.array(hi, float)


def sample_posterior(
    loglik: EmulatedLikelihood,
    space: ParameterSpace,
    start: np.ndarray,
    walkers: int,
    steps: int,
    seed: int,
    box: tuple[np.ndarray, np.ndarray] | None = None,
    max_steps: int | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> MCMCResult:
    """emcee on log L within the prior box (uniform prior on the sampling scale), or within
    ``box``: the region earlier waves left plausible, where the emulators were fitted.

    With ``max_steps`` the chain goes on past ``steps``, ``steps`` at a time, until its kept
    half is 50 autocorrelation times long (emcee's rule of thumb) or ``max_steps`` is reached;
    ``progress(steps, max τ)`` hears of every chunk."""
    import logging

    import emcee

    logging.getLogger("emcee.autocorr").setLevel(logging.ERROR)  # a short chain is reported, as `converged`
    lo, hi = bounds(space) if box is None else box

    def log_prob(X: np.ndarray) -> np.ndarray:
        inside = np.all((X >= lo) & (X <= hi), axis=1)
        out = np.full(len(X), -np.inf)
        if inside.any():
            out[inside] = loglik(X[inside])
        return out

    from threadpoolctl import threadpool_limits

    d = len(lo)
    sampler = emcee.EnsembleSampler(walkers, d, log_prob, vectorize=True)
    sampler.random_state = np.random.RandomState(seed % 2**32).get_state()

    def tau_now() -> np.ndarray:
        n = sampler.iteration
        return emcee.autocorr.integrated_time(sampler.get_chain(discard=n // 2), quiet=True)

    # one BLAS thread: the products are small (walkers × GP points), and OpenBLAS threads
    # spinning against the simulation workers made a step ~10× slower on 2 cores
    with threadpool_limits(1):
        sampler.run_mcmc(start, steps, progress=False)
        tau = tau_now()
        while max_steps and sampler.iteration < max_steps and sampler.iteration // 2 < 50 * np.max(tau):
            if progress is not None:
                progress(sampler.iteration, float(np.max(tau)))
            sampler.run_mcmc(None, min(steps, max_steps - sampler.iteration), progress=False)
            tau = tau_now()
    steps = sampler.iteration
    burn = steps // 2
    thin = max(1, int(np.max(tau) / 2))
    flat = sampler.get_chain(discard=burn, thin=thin, flat=True)
    lp = sampler.get_log_prob(discard=burn, thin=thin, flat=True)
    kept = steps - burn
    return MCMCResult(
        draws=flat,
        loglik=lp,
        tau=tau,
        ess=float(walkers * kept / np.max(tau)),
        acceptance=float(np.mean(sampler.acceptance_fraction)),
        converged=bool(kept >= 50 * np.max(tau)),
        steps=steps,
        walkers=walkers,
    )


def start_walkers(X: np.ndarray, loglik: EmulatedLikelihood, walkers: int, seed: int) -> np.ndarray:
    """Walkers start at the design points the emulator likes best, jittered slightly."""
    rng = np.random.default_rng(seed)
    ll = loglik(X)
    best = X[np.argsort(-ll)[:walkers]]
    if len(best) < walkers:
        best = best[rng.choice(len(best), walkers)]
    scale = 0.01 * (X.max(axis=0) - X.min(axis=0) + 1e-9)
    return np.clip(best + rng.normal(size=best.shape) * scale, X.min(axis=0), X.max(axis=0))

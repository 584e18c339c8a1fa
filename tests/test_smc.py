"""Tests of the tempered SMC sampler (chainsim.calibration.smc) on posteriors whose answer
is known: a correlated Gaussian inside a uniform box (moments and evidence in closed form)."""

from __future__ import annotations

import numpy as np
import pytest

from chainsim.calibration.smc import (
    SMCPosterior,
    SMCResult,
    implied_ess,
    next_temperature,
    systematic_resample,
    tempered_smc,
)

BOX = (np.array([-10.0, -10.0]), np.array([10.0, 10.0]))
SD, RHO, MEAN = np.array([0.5, 0.2]), 0.9, np.array([1.0, -2.0])
COV = np.array([[SD[0] ** 2, RHO * SD[0] * SD[1]], [RHO * SD[0] * SD[1], SD[1] ** 2]])


def gaussian(X: np.ndarray) -> np.ndarray:
    """log L of a narrow correlated Gaussian (unnormalised: log L = 0 at its mode)."""
    d = X - MEAN
    return -0.5 * np.einsum("ij,jk,ik->i", d, np.linalg.inv(COV), d)


def test_next_temperature_keeps_the_asked_ess():
    ll = np.random.default_rng(0).normal(-50, 10, 2000)
    beta = next_temperature(ll, 0.0, 1000)
    w = np.exp(beta * (ll - ll.max()))
    assert 0 < beta < 1 and abs(w.sum() ** 2 / (w * w).sum() - 1000) < 1
    assert next_temperature(np.zeros(100), 0.3, 50) == 1.0  # a flat likelihood: straight to β = 1


def test_systematic_resampling_follows_the_weights():
    w = np.array([0.1, 0.6, 0.3])
    pick = systematic_resample(np.log(np.repeat(w, 1000)), np.random.default_rng(1))
    counts = np.bincount(pick // 1000, minlength=3)
    assert np.all(np.abs(counts - 3000 * w) <= 1)  # systematic: within one of the expectation


def test_smc_recovers_moments_and_evidence_of_a_gaussian():
    runs = [tempered_smc(gaussian, BOX, 1000, 40, seed) for seed in (1, 2)]
    post = SMCPosterior.pool(runs, 1000)
    assert np.allclose(post.draws.mean(axis=0), MEAN, atol=0.05 * SD.max() * 4)
    assert np.allclose(post.draws.std(axis=0), SD, rtol=0.08)
    assert abs(np.corrcoef(post.draws.T)[0, 1] - RHO) < 0.03
    # Z = ∫ L dθ / area: the Gaussian's normalising constant over the box's 400
    log_z = np.log(2 * np.pi * np.sqrt(np.linalg.det(COV)) / 400)
    assert np.all(np.abs(post.log_evidence - log_z) < 0.15), (post.log_evidence, log_z)
    r = runs[0]
    assert r.temperatures[0] == 0 and r.temperatures[-1] == 1 and np.all(np.diff(r.temperatures) > 0)
    assert 0.1 < post.acceptance < 0.5  # tuned towards 25 %
    assert post.ess > 150 and post.converged, post.ess
    again = tempered_smc(gaussian, BOX, 1000, 40, 1)
    assert np.array_equal(again.draws, runs[0].draws)  # one seed, one answer


def test_implied_ess_reads_the_runs_disagreement():
    rng = np.random.default_rng(3)
    draws = rng.normal(size=(4000, 3))

    def run(shift: float) -> SMCResult:
        return SMCResult(draws + shift, np.zeros(4000), np.array([0.0, 1.0]), 0.25, 0.0, 10)

    # means 0.1 sd apart: ESS = 2 / 0.1² = 200 (the pooled sd is inflated a little by the shift)
    assert implied_ess([run(0.0), run(0.1)]) == pytest.approx(200, rel=0.01)
    assert implied_ess([run(0.0), run(0.5)]) < 10
    assert np.isnan(implied_ess([run(0.0)]))
    assert not SMCPosterior.pool([run(0.0), run(0.5)], 4000).converged


def test_too_few_moves_fail_the_diagnostic():
    """The teeth: runs that barely move stay where their start put them, and disagree."""
    runs = [tempered_smc(gaussian, BOX, 200, 1, seed) for seed in range(6)]  # implied ESS 11–63 over seeds
    assert SMCPosterior.pool(runs, 200).ess < 150

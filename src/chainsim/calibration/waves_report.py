"""The last wave's posterior as a :class:`~.finalise.Posterior`: draws, the method's lines
for the report (waves, emulator and MCMC diagnostics) and the candidates for the centre."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainsim.calibration.config import Calibration
from chainsim.calibration.waves import WavesOutcome


def emulator_posterior(cal: Calibration, outcome: WavesOutcome, minutes: float) -> Any:
    """The last wave's MCMC draws as a :class:`~.finalise.Posterior` (equal weights)."""
    from chainsim.calibration.finalise import Posterior

    cfg, space, post = cal.config, outcome.space, outcome.posterior
    # the waves' own times (simulating what was missing, fitting, sampling) as last run: a
    # resumed run does not count the points simulated before it (docs/calibration.md has the total)
    minutes = sum(r.seconds for r in outcome.records) / 60
    internal = {n: post.draws[:, j] for j, n in enumerate(space.names)}
    # candidates for the centre: the draws expected to meet the most figures by the acceptance
    # rule under the emulators' uncertainty, then the likeliest (a guess; the choice is simulated)
    order = np.lexsort((-post.loglik, -outcome.likelihood.expected_within(post.draws)))
    _, first = np.unique(post.draws[order], axis=0, return_index=True)
    best = order[np.sort(first)]
    picked = best[: 4 * cfg.central_candidates]
    candidates = [space.to_natural(dict(zip(space.names, post.draws[i]))) for i in picked]
    # their emulated values, for the report's check against their simulation
    emulated = outcome.likelihood.statistics(post.draws[picked])[0]
    last = outcome.records[-1]
    method = [
        f"Emulator calibration (history-matching waves, docs/calibration.md): {len(outcome.records)} waves, "
        f"{sum(r.points for r in outcome.records)} design points (replicates per point in the table) = "
        f"{outcome.simulations} simulated replicates; the waves' last run took {minutes:.1f} min. Posterior, "
        f"sampled on the last wave's emulated likelihood: {post.describe()}",
        "",
        "| wave | points | replicates | fitted on | worst emulator (LOO R²) | median LOO R² | sampler ESS | minutes |",
        "|---:|---:|---:|---:|---|---:|---:|---:|",
        *(
            f"| {r.wave} | {r.points} | {r.replicates or cfg.replicates_per_particle} | {r.fit_points} | "
            f"{min(r.emulators, key=lambda p: r.emulators[p]['loo_r2'])} "
            f"({min(e['loo_r2'] for e in r.emulators.values()):.2f}) | "
            f"{np.median([e['loo_r2'] for e in r.emulators.values()]):.2f} | {_ess(r.sampler)} | {r.seconds / 60:.1f} |"
            for r in outcome.records
        ),
    ]
    caveats = [
        "The posterior is that of the emulated likelihood: where an emulator is poor (low LOO R² in the table) "
        "its variance widens the posterior rather than biasing it, and the central scenario and the predictive "
        "check are real simulations."
    ]
    if not post.converged:
        caveats.append(
            "The sampler's diagnostic does not pass (see the method above): the marginals are rough."
        )
    info = {
        "method": "emulator",
        "waves": len(outcome.records),
        "design_points": sum(r.points for r in outcome.records),
        "replicates_per_point": "/".join(
            str(r.replicates or cfg.replicates_per_particle) for r in outcome.records
        ),
        "simulations": outcome.simulations,
        "draws": len(post.draws),
        "sampler": cfg.sampler,
        "ess": f"{post.ess:.1f}",
        "worst_emulator_loo_r2": f"{min(e['loo_r2'] for e in last.emulators.values()):.3f}",
    }
    summary = {
        "line": (
            f"emulator: {len(outcome.records)} waves, {info['design_points']} design points, "
            f"{outcome.simulations} simulated replicates, {minutes:.1f} min; {cfg.sampler.upper()} effective sample size "
            f"{post.ess:.0f} ({'converged' if post.converged else 'NOT converged'})"
        ),
        "ess": post.ess,
    }
    return Posterior(internal, np.ones(len(post.draws)), info, candidates, method, caveats, summary, emulated)


def _ess(sampler: dict[str, Any]) -> str:
    """A wave's ESS for the table: SMC's implied ESS needs two runs (earlier waves run one)."""
    ess = float(sampler.get("ess", float("nan")))
    return f"{ess:.0f}" if np.isfinite(ess) else "– (one run)"

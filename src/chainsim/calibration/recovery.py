"""Does the calibration recover known parameters? A simulation-based check.

``chainsim calibrate CONFIG --recovery N`` takes N design points of the first wave (drawn
from the prior, so their parameters are known) as *truths*, turns each one's simulated
replicate means into "reported figures" — plus an error of sd σ_i per target, the error
the likelihood assumes — and calibrates on each with emulators fitted on every other
point the calibration simulated (all its waves: the later ones are dense where the
posterior of the real figures lies). That is the amortised part of the method (one
emulator, many data sets, no new simulation); a real calibration refines its emulators
in waves around its own data, so this check is of a **reduced per-fit budget**, stated as
such in its output.

For each parameter it reports how often the true value lies in the 90 % posterior
interval (**coverage**; 90 % when the posterior is calibrated), the posterior sd over
the prior sd (sampling scale; below 0.5 the parameter counts as identified) and how far
the posterior median lands from the truth, in prior sds — beside the same sd ratio in the
calibration's own posterior, so that its identifiability table can be read against it.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from chainsim.calibration.config import Calibration
from chainsim.calibration.emulator import Emulators, basis, fit_all, replicate_noise
from chainsim.calibration.ensemble import WAVE_KEY, design_arrays, read_waves, target_paths
from chainsim.calibration.likelihood import EmulatedLikelihood
from chainsim.calibration.mcmc import bounds, sample_posterior, start_walkers
from chainsim.calibration.params import IDENTIFIED, ParameterSpace
from chainsim.calibration.smc import tempered_smc
from chainsim.calibration.wave_files import wave_dir


@dataclass
class ParameterRecovery:
    name: str
    coverage90: float  # share of truths inside the 90 % interval
    sd_ratio: float  # mean posterior sd / prior sd (sampling scale)
    median_error: float  # mean |posterior median − truth| / prior sd
    identified: bool  # sd_ratio < 0.5
    calibration_sd_ratio: float = math.nan  # the same ratio in the calibration's own posterior

    @property
    def identified_by_calibration(self) -> bool:
        return self.calibration_sd_ratio < IDENTIFIED

    def row(self) -> str:
        cal = "–" if math.isnan(self.calibration_sd_ratio) else f"{self.calibration_sd_ratio:.2f}"
        return (
            f"| {self.name} | {self.coverage90:.0%} | {self.sd_ratio:.2f} | {self.median_error:.2f} | "
            f"{'yes' if self.identified else 'no'} | {cal} | {'yes' if self.identified_by_calibration else 'no'} |"
        )


def calibration_sd_ratios(cal: Calibration, out: Path, space: ParameterSpace) -> dict[str, float]:
    """Posterior sd / prior sd of the calibration's last wave in ``out`` (its posterior, as
    its report computes them; the waves' fingerprint ties them to these inputs), or {}
    before the last wave is sampled."""
    from chainsim.calibration.wave_files import load_wave

    saved = load_wave(wave_dir(out, cal.config.name), cal.config.waves)
    if saved is None:
        return {}
    draws = saved[0].draws
    return {n: float(draws[:, k].std() / space.prior_sd(n)) for k, n in enumerate(space.names)}


def synthetic_targets(
    cal: Calibration, means: dict[str, float], mc_var: dict[str, float], rng: np.random.Generator
) -> dict[str, Any]:
    """The targets with "reported" values from one truth's replicate means (+ N(0, σ²)).

    A replicate mean is the truth's expected value plus Monte Carlo noise (``mc_var``: the
    replicates' variance / R); the likelihood is told about it by widening σ, as it is
    told about σ — a real figure has no such noise, a synthetic one does."""
    out = {}
    for tid, t in cal.targets.targets.items():
        if t.metric:
            sim, extra = means[t.paths[0]], mc_var[t.paths[0]]
        else:
            a, b = (means[p] for p in t.paths)
            sim = a / b
            extra = sim**2 * (mc_var[t.paths[0]] / a**2 + mc_var[t.paths[1]] / b**2)
        value = float(sim + rng.normal() * t.sigma)
        update: dict[str, Any] = {"value": value, "discrepancy": math.sqrt(t.discrepancy**2 + extra)}
        if t.band:  # a band keeps its width around the new value
            update["band"] = (t.band[0] - t.value + value, t.band[1] - t.value + value)
        out[tid] = t.model_copy(update=update)
    return out


def recover(cal: Calibration, out: Path, datasets: int, stream: Any = None) -> dict[str, Any]:
    """Run the check on wave 1 of the calibration in ``out`` (simulated beforehand)."""
    cfg = cal.config
    space = ParameterSpace(cal.priors, cal.base_data)
    # one sampler run per data set, the calibration's sampler on a reduced budget: half the
    # particles (or walkers), a quarter of the moves (a third of the steps) and a GP on fewer
    # points (its cost grows as gp_points²), stated in the output
    steps = max(500, cfg.mcmc_steps // 3)
    walkers = max(2 * len(space.names) + 2, cfg.mcmc_walkers // 2)
    particles = max(200, cfg.smc_particles // 2)
    moves = cfg.recovery_moves or max(5, cfg.smc_moves // 4)
    gp_points = min(cfg.gp_points, 300)
    paths = target_paths(cal.targets.targets)
    folder = wave_dir(out, cfg.name)
    rows = read_waves(folder, cfg.waves)  # every wave simulated so far; wave 1's come first
    first = np.array([key // WAVE_KEY == 1 for key in rows])
    waves_used = len({key // WAVE_KEY for key in rows})
    X, mean, var, n = design_arrays(rows, space.names, paths)
    # a truth must produce every figure (e.g. a commissioned project that finished, for F1's median)
    usable = np.all([np.isfinite(mean[p]) for p in paths], axis=0) & first
    rng = np.random.default_rng(cfg.seed + 99)
    truth_idx = rng.choice(np.flatnonzero(usable), size=min(datasets, int(usable.sum()) // 5), replace=False)
    train = np.ones(len(X), bool)
    train[truth_idx] = False
    # shuffled: the residual GP takes the last gp_points rows, which should span every wave
    order = rng.permutation(np.flatnonzero(train))
    emulators = fit_all(
        X[order],
        {p: a[order] for p, a in mean.items()},
        {p: a[order] for p, a in var.items()},
        {p: a[order] for p, a in n.items()},
        gp_points=gp_points,
        seed=cfg.seed,
    )
    noise = truth_noise(emulators, X, mean, var, n)
    sd = np.array([space.prior_sd(nm) for nm in space.names])
    inside, ratios, errors = [], [], []
    for k, i in enumerate(truth_idx):
        mc = {p: float(noise[p][i]) if np.isfinite(noise[p][i]) else 0.0 for p in paths}
        targets = synthetic_targets(cal, {p: float(mean[p][i]) for p in paths}, mc, rng)
        loglik = EmulatedLikelihood(emulators, targets)
        if cfg.sampler == "smc":
            draws = tempered_smc(loglik, bounds(space), particles, moves, cfg.seed + 1000 + k).draws
        else:
            start = start_walkers(X[train], loglik, walkers, cfg.seed + 1000 + k)
            draws = sample_posterior(loglik, space, start, walkers, steps, cfg.seed + 1000 + k).draws
        post_sd = draws.std(axis=0)
        lo, med, hi = np.percentile(draws, [5, 50, 95], axis=0)
        inside.append((X[i] >= lo) & (X[i] <= hi))
        ratios.append(post_sd / sd)
        errors.append(np.abs(med - X[i]) / sd)
        if stream is not None and (k + 1) % max(1, len(truth_idx) // 10) == 0:
            print(f"recovery: {k + 1}/{len(truth_idx)} data sets", file=stream, flush=True)
    cover, ratio, err = np.mean(inside, axis=0), np.mean(ratios, axis=0), np.mean(errors, axis=0)
    own = calibration_sd_ratios(cal, out, space)
    params = [
        ParameterRecovery(nm, float(c), float(r), float(e), bool(r < IDENTIFIED), own.get(nm, math.nan))
        for nm, c, r, e in zip(space.names, cover, ratio, err)
    ]
    ident = [p for p in params if p.identified]
    by_cal = [p for p in params if p.identified_by_calibration]
    result = {
        "datasets": len(truth_idx),
        "training_points": int(train.sum()),
        "replicates_per_point": cfg.replicates_per_particle,
        "sampler": (
            f"tempered SMC, {particles} particles × {moves} moves per temperature"
            if cfg.sampler == "smc"
            else f"emcee, {walkers} walkers × {steps} steps"
        )
        + f" per data set, residual GPs on {gp_points} points",
        "budget": (
            f"emulators of the calibration's {waves_used} wave(s) (amortised: one fit for all data sets); "
            "reduced per-fit budget"
        ),
        "coverage_identified": float(np.mean([p.coverage90 for p in ident])) if ident else math.nan,
        "coverage_calibration_identified": float(np.mean([p.coverage90 for p in by_cal]))
        if by_cal
        else math.nan,
        "calibration_identified": [p.name for p in by_cal],
        "coverage_all": float(np.mean(cover)),
        "parameters": [asdict(p) for p in params],
    }
    return result


def truth_noise(
    emulators: Emulators,
    X: np.ndarray,
    mean: dict[str, np.ndarray],
    var: dict[str, np.ndarray],
    n: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Each design point's Monte Carlo variance of its replicate mean (natural scale), from
    the emulators' smoothed noise model rather than its own sample variance: a truth whose
    few replicates happened to agree would otherwise tell the likelihood its "figures" are
    nearly exact, and its posterior would be too narrow (in CI's 2-replicate check: 75 %
    coverage with the raw variances)."""
    S = basis(emulators.features.unit(X))
    out = {}
    for p, em in emulators.paths.items():
        ok = np.isfinite(mean[p]) & (n[p] > 0)
        h = np.full(len(X), np.nan)
        h[ok] = replicate_noise(em.transform, S[ok], mean[p][ok], var[p][ok], n[p][ok])
        out[p] = h / em.transform.slope(np.where(ok, mean[p], 1.0)) ** 2
    return out


def write(result: dict[str, Any], out: Path, name: str) -> list[Path]:
    """``<name>.recovery.json`` and ``report/<name>_recovery.md``."""
    from chainsim.results.outputs import atomic_write

    js = out / f"{name}.recovery.json"
    atomic_write(js, lambda p: p.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8"))
    params = [ParameterRecovery(**p) for p in result["parameters"]]
    named = result.get("calibration_identified") or []
    md = [
        f"# Recovery check: `{name}`",
        "",
        f"{result['datasets']} data sets simulated from known parameters (first-wave design points, drawn from the "
        f"prior) with a σ-sized error per figure, each calibrated with emulators fitted on the other "
        f"{result['training_points']} simulated points ({result['budget']}; {result.get('sampler') or result.get('mcmc')}).",
        "",
        f"Coverage of the 90 % interval: **{result.get('coverage_calibration_identified', math.nan):.0%} over the "
        f"{len(named)} parameters the calibration's report calls identified** ({', '.join(named) or 'none'}); "
        f"{result['coverage_identified']:.0%} over those identified here (mean posterior sd < {IDENTIFIED} prior sd "
        f"over the data sets), {result['coverage_all']:.0%} over all.",
        "",
        "| parameter | coverage (90 % interval) | posterior sd / prior sd | |median − truth| / prior sd | identified here "
        "| sd ratio in the calibration | identified there |",
        "|---|---:|---:|---:|---|---:|---|",
        *(p.row() for p in params),
        "",
    ]
    rep = out / "report" / f"{name}_recovery.md"
    rep.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(rep, lambda p: p.write_text("\n".join(md), encoding="utf-8"))
    return [js, rep]

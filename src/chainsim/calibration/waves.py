"""Emulator calibration in waves: design → simulate → emulate → sample the posterior.

History matching with emulators (Vernon et al. 2010; Andrianakis et al. 2015) adapted to
a posterior:

1. **Wave 1** spreads ``wave_points`` parameter sets over the prior (a Latin hypercube on
   the sampling scale) and simulates each with ``replicates_per_particle`` replicates as
   one batch (:mod:`.ensemble`).
2. Each statistic the targets read gets an emulator (:mod:`.emulator`), and the emulated
   likelihood (:mod:`.likelihood`) is sampled within the prior's box: by tempered SMC
   (:mod:`.smc`, the default) or MCMC (:mod:`.mcmc`, emcee's ensemble sampler).
3. **Wave k** simulates new points drawn from that posterior (and a share from the box its
   draws span, so the edges stay explored); the emulators are refitted on every point
   inside the box, where a quadratic is accurate, and the posterior is sampled again.

The last wave's draws are the posterior; with SMC, its independent runs' agreement is the
diagnostic. Simulation noise never enters a candidate's
verdict directly: each design point's R-replicate means train emulators that average over
hundreds of neighbours, and what is left of their noise is known and subtracted
(:mod:`.emulator`). Every wave's design file is written point by point, and each finished
wave's posterior is saved (:mod:`.wave_files`), so a killed run resumes where it stopped.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chainsim.calibration.config import Calibration
from chainsim.calibration.emulator import Emulators, PathEmulator, fit_all
from chainsim.calibration.ensemble import (
    PointSimulator,
    design_arrays,
    executor,
    read_rows,
    read_waves,
    simulate_design,
    target_paths,
)
from chainsim.calibration.likelihood import EmulatedLikelihood
from chainsim.calibration.mcmc import bounds, sample_posterior, start_walkers
from chainsim.calibration.params import ParameterSpace
from chainsim.calibration.smc import sample_smc
from chainsim.calibration.wave_files import Sample, WaveRecord, load_wave, save_wave, wave_dir, wave_size
from chainsim.sweep.progress import Progress


@dataclass
class WavesOutcome:
    space: ParameterSpace
    posterior: Sample
    likelihood: EmulatedLikelihood  # the last wave's (refitted when the wave is reused from disk)
    records: list[WaveRecord] = field(default_factory=list)
    simulations: int = 0


def prior_design(space: ParameterSpace, n: int, seed: int) -> np.ndarray:
    """A Latin hypercube over the prior box, on the sampling scale."""
    from scipy.stats import qmc

    lo, hi = bounds(space)
    u = qmc.LatinHypercube(d=len(lo), seed=np.random.default_rng(seed)).random(n)
    return lo + u * (hi - lo)


def next_design(
    draws: np.ndarray, space: ParameterSpace, n: int, seed: int, explore: float = 0.2
) -> np.ndarray:
    """``n`` points for the next wave: posterior draws, plus a share ``explore`` spread
    uniformly over the box the draws span (widened by 10 %), inside the prior."""
    rng = np.random.default_rng(seed)
    lo, hi = bounds(space)
    k = int(round(explore * n))
    pick = draws[rng.choice(len(draws), n - k, replace=len(draws) < n - k)]
    blo, bhi = region(draws, space)
    wide = blo + rng.random((k, len(lo))) * (bhi - blo)
    return np.clip(np.vstack([pick, wide]), lo, hi)


def region(draws: np.ndarray, space: ParameterSpace, widen: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """The box of the posterior draws (0.5–99.5 %), widened, inside the prior."""
    lo, hi = bounds(space)
    a, b = np.percentile(draws, [0.5, 99.5], axis=0)
    pad = widen * (b - a) + 1e-9
    return np.maximum(a - pad, lo), np.minimum(b + pad, hi)


def _say(stream: Any, text: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {text}", file=stream, flush=True)


def ensure_first_wave(
    cal: Calibration, out: Path, backend: str = "local", scheduler: str | None = None, stream: Any = None
) -> None:
    """Simulate whatever is missing of wave 1 (the prior-wide design) and nothing else."""
    stream = sys.stderr if stream is None else stream
    cfg = cal.config
    space = ParameterSpace(cal.priors, cal.base_data)
    folder = wave_dir(out, cfg.name)
    points, replicates = wave_size(cfg, 1)
    design_file = folder / "wave1.design.npy"
    if design_file.exists():
        design = np.load(design_file)
    else:
        design = prior_design(space, points, cfg.seed)
        np.save(design_file, design)
    rows_file = folder / "wave1.csv"
    missing = len(design) - len(read_rows(rows_file))
    if missing:
        _say(stream, f"wave 1: simulating {missing} of {len(design)} points …")
        sim = PointSimulator(space, target_paths(cal.targets.targets), replicates)
        with executor(backend, cfg.workers, scheduler) as pool:
            simulate_design(sim, design, rows_file, cfg.seed, 1, pool)


def run_waves(
    cal: Calibration,
    out: Path,
    backend: str = "local",
    scheduler: str | None = None,
    stream: Any = None,
    report_only: bool = False,
) -> WavesOutcome:
    """Run (or resume) the waves; returns the last wave's posterior. With ``report_only``
    nothing is simulated: every wave's design must be complete."""
    stream = sys.stderr if stream is None else stream
    cfg = cal.config
    space = ParameterSpace(cal.priors, cal.base_data)
    targets = cal.targets.targets
    paths = target_paths(targets)
    folder = wave_dir(out, cfg.name)
    folder.mkdir(parents=True, exist_ok=True)
    outcome: WavesOutcome | None = None
    records: list[WaveRecord] = []
    simulations = 0
    draws: np.ndarray | None = None
    last_points, last_reps = wave_size(cfg, cfg.waves)
    _say(
        stream,
        f"emulator calibration: {cfg.waves} waves × {cfg.wave_points} points × {cfg.replicates_per_particle} "
        + (
            f"replicates (the last: {last_points} × {last_reps})"
            if (last_points, last_reps) != (cfg.wave_points, cfg.replicates_per_particle)
            else "replicates"
        )
        + f", {len(space.names)} parameters, {len(targets)} targets, backend {backend}",
    )
    with executor(backend, cfg.workers, scheduler) as pool:
        for wave in range(1, cfg.waves + 1):
            t0 = time.perf_counter()
            points, replicates = wave_size(cfg, wave)
            sim = PointSimulator(space, paths, replicates)
            design_file = folder / f"wave{wave}.design.npy"
            if design_file.exists():
                design = np.load(design_file)
            else:
                design = (
                    prior_design(space, points, cfg.seed)
                    if draws is None
                    else next_design(draws, space, points, cfg.seed + wave)
                )
                np.save(design_file, design)
            rows_file = folder / f"wave{wave}.csv"
            have = len(read_rows(rows_file))
            if report_only and have < len(design):
                from chainsim.config.loader import ScenarioError

                raise ScenarioError(
                    f"--report-only: wave {wave} holds {have} of {len(design)} points; run without --report-only",
                    rows_file,
                )
            if have < len(design):
                _say(
                    stream,
                    f"wave {wave}/{cfg.waves}: simulating {len(design) - have} of {len(design)} points …",
                )

            bar = Progress(
                len(design),
                have,
                f"wave {wave}/{cfg.waves}",
                stream,
                enabled=have < len(design),
                unit="points",
            )  # on a terminal redrawn in place, in a log a line every 10 %; with rate and ETA
            try:
                simulate_design(
                    sim, design, rows_file, cfg.seed, wave, pool, lambda k, total, b=bar: b.update(1)
                )
            finally:  # an interrupt's message then starts on a line of its own
                bar.close()
            simulations += len(design) * replicates
            cached = load_wave(folder, wave)
            if cached is not None:  # this wave was fitted and sampled before: reuse it
                post, rec = cached
                if wave == cfg.waves:  # its emulators are refitted (same points, same seed): the
                    # candidates' ranking and the report's check of them need them
                    emulators = fit_wave(folder, wave, draws, space, paths, cfg, pool)[1]
                    outcome = WavesOutcome(
                        space, post, EmulatedLikelihood(emulators, targets), records, simulations
                    )
                draws = post.draws
                records.append(rec)
                _say(
                    stream,
                    f"wave {wave}/{cfg.waves}: fitted and sampled before (reusing {folder.name}/wave{wave}.*)",
                )
                continue
            X, emulators = fit_wave(folder, wave, draws, space, paths, cfg, pool)
            box = None if draws is None else region(draws, space)
            loglik = EmulatedLikelihood(emulators, targets)
            post = sample_wave(cal, loglik, space, X, box, wave, pool, stream)
            draws = post.draws
            rec = WaveRecord(
                wave=wave,
                points=len(design),
                fit_points=len(X),
                emulators={p: _diag(em) for p, em in emulators.paths.items()},
                sampler=post.record(),
                seconds=time.perf_counter() - t0,
                replicates=replicates,
            )
            records.append(rec)
            save_wave(folder, rec, post)
            worst = min(emulators.paths.items(), key=lambda kv: kv[1].loo_r2)
            _say(
                stream,
                f"wave {wave}/{cfg.waves} done: {len(X)} points fitted (worst emulator {worst[0]} LOO R² "
                f"{worst[1].loo_r2:.2f}), "
                + (f"{cfg.sampler.upper()} ESS {post.ess:.0f}" if np.isfinite(post.ess) else "one SMC run")
                + f", acceptance {post.acceptance:.2f}, "
                f"{rec.seconds / 60:.1f} min",
            )
            outcome = WavesOutcome(space, post, loglik, records, simulations)
    assert outcome is not None
    return outcome


def fit_wave(
    folder: Path,
    wave: int,
    previous: np.ndarray | None,
    space: ParameterSpace,
    paths: list[str],
    cfg: Any,
    pool: Any,
) -> tuple[np.ndarray, Emulators]:
    """The emulators of ``wave``: on every point simulated so far that lies in the region of
    the ``previous`` wave's posterior draws (all of them in wave 1)."""
    rows = read_waves(folder, wave)
    X, mean, var, n = design_arrays(rows, space.names, paths)
    if previous is not None:
        blo, bhi = region(previous, space)
        inside = np.all((X >= blo) & (X <= bhi), axis=1)
        X, mean, var, n = (
            X[inside],
            {p: a[inside] for p, a in mean.items()},
            {p: a[inside] for p, a in var.items()},
            {p: a[inside] for p, a in n.items()},
        )
    return X, fit_all(X, mean, var, n, gp_points=cfg.gp_points, seed=cfg.seed, pool=pool)


def sample_wave(
    cal: Calibration,
    loglik: EmulatedLikelihood,
    space: ParameterSpace,
    X: np.ndarray,
    box: tuple[np.ndarray, np.ndarray] | None,
    wave: int,
    pool: Any,
    stream: Any,
) -> Sample:
    """Sample one wave's emulated posterior within ``box`` (None: the prior's). With SMC the
    last wave runs ``smc_runs`` independent runs on the workers, for the diagnostic; the
    earlier waves, which only place the next design, one run with a quarter of the moves."""
    cfg = cal.config
    last = wave == cfg.waves
    if cfg.sampler == "smc":
        runs, moves = (cfg.smc_runs, cfg.smc_moves) if last else (1, max(5, cfg.smc_moves // 4))
        _say(
            stream,
            f"wave {wave}: tempered SMC, {runs} run(s) × {cfg.smc_particles} particles × {moves} moves …",
        )
        return sample_smc(
            loglik,
            bounds(space) if box is None else box,
            cfg.smc_particles,
            moves,
            runs,
            cfg.seed + wave,
            pool,
        )
    start = start_walkers(X, loglik, cfg.mcmc_walkers, cfg.seed + wave)
    return sample_posterior(
        loglik,
        space,
        start,
        cfg.mcmc_walkers,
        cfg.mcmc_steps,
        cfg.seed + wave,
        box,
        max_steps=cfg.mcmc_final_max_steps if last else None,
        progress=lambda n, tau: _say(
            stream, f"wave {wave}: MCMC {n} steps, τ ≤ {tau:.0f}: going on until the kept half is 50 τ"
        ),
    )


def _diag(em: PathEmulator) -> dict[str, Any]:
    return {
        "loo_r2": em.loo_r2,
        "loo_rmse": em.loo_rmse,
        "loo_sd": em.loo_sd,
        "noise_var": em.noise_var,
        "white": em.white,
        "n": float(em.n),
    }

"""After sampling, whatever the method: posterior CSV, central scenario, predictive check, report.

Both methods hand over a :class:`Posterior` — draws on both scales, weights, the lines
that describe the run, and the candidates for the central parameter set, best first —
and :func:`finalise` writes the same files from it:

* ``<name>.posterior.csv`` (every draw, its weight, each parameter on its natural scale);
* ``<name>.calibrated.yaml``, the **central** parameter set: a posterior draw, not the
  component-wise median (which can fall outside the posterior when parameters trade off):
  the ``central_candidates`` best candidates are re-simulated with ``central_replicates``
  replicates on common seeds and the one whose replicate means meet the most figures
  within tolerance (the acceptance rule), then have the smallest distance, wins — or, with
  ``central_finalists`` > 1, the best of that many finalists re-simulated on fresh seeds;
* the report, with a posterior predictive of ``predictive_draws`` draws × 1 replicate and
  the central scenario's own ``check_replications``-replicate run against the tolerances.
"""

from __future__ import annotations

import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chainsim.calibration.config import Calibration
from chainsim.calibration.outfiles import Paths
from chainsim.calibration.params import ParameterSpace
from chainsim.calibration.posterior import (
    central_parameters,
    resample,
    stamp,
    write_central_yaml,
    write_posterior_csv,
)
from chainsim.calibration.report import figures, markdown
from chainsim.calibration.simulate import Simulator, generation_seed
from chainsim.calibration.targets import distance, statistics, within_count
from chainsim.config.loader import ScenarioError
from chainsim.results.outputs import atomic_write
from chainsim.sweep.progress import Progress


@dataclass
class Posterior:
    """What a sampler hands to :func:`finalise`."""

    internal: dict[str, np.ndarray]
    weights: np.ndarray
    info: dict[str, Any]  # header lines of the CSV and YAML (method, sizes, diagnostics)
    candidates: list[dict[str, float]]  # natural scale, best first, for the best_fit centre
    method: list[str]  # markdown: how it was sampled, with its diagnostics
    caveats: list[str] = field(default_factory=list)  # sentences for "what the fit supports"
    summary: dict[str, Any] = field(default_factory=dict)  # printed by the CLI
    # emulator method: each target's emulated expected value at the candidates (same order),
    # checked against their simulation when the centre is chosen (the report's "emulator check")
    emulated: dict[str, np.ndarray] = field(default_factory=dict)


def natural_draws(space: ParameterSpace, internal: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {n: (10**v if space.priors[n].scale == "log" else v) for n, v in internal.items()}


def _stats(job: tuple[Simulator, dict[str, float], int, int]) -> dict[str, float]:
    """Target statistics of one parameter set: (simulator, parameters, seed, replicates)."""
    sim, natural, seed, reps = job
    return sim.stats(natural, seed, reps)


def _check(job: tuple[Path, int]) -> dict[str, Any]:
    """The written central scenario, exactly as ``chainsim run FILE -r reps`` runs it."""
    from chainsim.api import load, run

    path, reps = job
    return run(load(path), replications=reps).summary()


def finalise(cal: Calibration, post: Posterior, paths: Paths, stream: Any = None) -> dict[str, Any]:
    """Write posterior CSV, central YAML and report; return what the CLI prints."""
    stream = sys.stderr if stream is None else stream
    cfg = cal.config
    space = ParameterSpace(cal.priors, cal.base_data)
    w = np.asarray(post.weights, float) / np.sum(post.weights)
    natural = natural_draws(space, post.internal)
    info = {**stamp(cal.targets_sha256), **post.info}
    write_posterior_csv(paths.posterior, natural, w, info)
    if cfg.central == "best_fit":
        central, info["central"], first = _best_fit(cal, post.candidates, space, stream)
        post.method.extend(emulator_check(cal, post.emulated, first))
    else:
        central, info["central"] = central_parameters(natural, w), "weighted median of each parameter"
    write_central_yaml(
        paths.central,
        space,
        central,
        cal.base_path,
        cal.path,
        paths.posterior,
        cfg.central_name,
        info,
        cfg.fixed,
    )

    # Posterior predictive and the central check, on `workers` forked processes.
    sim = Simulator(space, cal.targets.targets, cfg.seed, 1)
    picks = resample(w, cfg.predictive_draws, cfg.seed)
    jobs = [
        (sim, {n: float(natural[n][i]) for n in space.names}, generation_seed(cfg.seed, 10_000 + k), 1)
        for k, i in enumerate(picks)
    ]
    print(
        f"posterior predictive: {len(jobs)} draws, then {cfg.check_replications} replicates of the central scenario …",
        file=stream,
        flush=True,
    )
    bar = Progress(len(jobs), label="posterior predictive", stream=stream, unit="draws")
    with ProcessPoolExecutor(cfg.workers, mp_context=multiprocessing.get_context("fork")) as pool:
        check_future = pool.submit(_check, (paths.central, cfg.check_replications))
        predictive = []
        for s in pool.map(_stats, jobs):
            predictive.append(s)
            bar.update(1)
        bar.close()
        check_summary = check_future.result()
    check = statistics(check_summary, cal.targets.targets)
    paths.report_dir.mkdir(parents=True, exist_ok=True)
    figs = figures(paths, space, post.internal, w, predictive, cal)
    text = markdown(
        cal,
        paths,
        space,
        natural,
        post.internal,
        w,
        central,
        predictive,
        check,
        post.method,
        post.caveats,
        info,
        figs,
    )
    report = paths.report_dir / f"{cfg.name}.md"
    atomic_write(report, lambda p: p.write_text(text, encoding="utf-8"))
    return {**post.summary, "written": [paths.posterior, paths.central, report, *figs], "check": check}


def _best_fit(
    cal: Calibration, candidates: list[dict[str, float]], space: ParameterSpace, stream: Any
) -> tuple[dict[str, float], str, _Ranking]:
    """Of the best ``central_candidates`` candidates, the one whose replicate means fit best.

    Two rounds when ``central_finalists`` > 1: every candidate on ``central_replicates``
    common seeds, then the best finalists on fresh seeds with ``central_final_replicates``;
    the second round judges, so the winner is not the one that drew lucky noise."""
    cfg = cal.config
    cands = candidates[: cfg.central_candidates]
    if not cands:
        raise ScenarioError("no posterior candidates to choose a central scenario from")
    first = _rank(cal, space, cands, generation_seed(cfg.seed, 20_000), cfg.central_replicates, stream)
    text = (
        f"best fit of {len(cands)} posterior candidates, each re-simulated with {cfg.central_replicates} "
        f"replicates: {first.describe('candidates')} (candidates {min(first.dist):.4g}–{max(first.dist):.4g})"
    )
    if cfg.central_finalists <= 1 or len(cands) == 1:
        return cands[first.best], text, first
    finalists = [cands[i] for i in first.order[: cfg.central_finalists]]
    second = _rank(
        cal,
        space,
        finalists,
        generation_seed(cfg.seed, 20_001),
        cfg.central_final_replicates,
        stream,
        "finalists",
    )
    return (
        finalists[second.best],
        (
            f"{text}; its best {len(finalists)} re-simulated on fresh seeds with "
            f"{cfg.central_final_replicates} replicates: {second.describe('finalists')}"
        ),
        first,
    )


@dataclass(frozen=True)
class _Ranking:
    """Candidates ordered by figures within tolerance on their replicate means (the
    acceptance rule), then by the smallest distance Σ z²."""

    hits: list[int]
    dist: list[float]
    n_targets: int
    stats: list[dict[str, float]] = field(default_factory=list)  # each candidate's target statistics

    @property
    def order(self) -> list[int]:
        return sorted(range(len(self.hits)), key=lambda i: (-self.hits[i], self.dist[i]))

    @property
    def best(self) -> int:
        return self.order[0]

    def describe(self, noun: str) -> str:
        """The winner's fit, with the range over the ranked ``noun``."""
        b = self.best
        return (
            f"{self.hits[b]} of {self.n_targets} figures within tolerance on the means "
            f"({noun} {min(self.hits)}–{max(self.hits)}), distance {self.dist[b]:.4g}"
        )


def _rank(
    cal: Calibration,
    space: ParameterSpace,
    cands: list[dict[str, float]],
    seed: int,
    replicates: int,
    stream: Any,
    what: str = "candidates",
) -> _Ranking:
    """Simulate every candidate on the same seeds (common random numbers) and rank them."""
    cfg = cal.config
    sim = Simulator(space, cal.targets.targets, cfg.seed, replicates)
    print(
        f"choosing the central scenario: {len(cands)} {what} × {replicates} replicates …",
        file=stream,
        flush=True,
    )
    bar = Progress(len(cands), label=f"central {what}", stream=stream, unit=what)
    with ProcessPoolExecutor(cfg.workers, mp_context=multiprocessing.get_context("fork")) as pool:
        stats = []
        for s in pool.map(_stats, [(sim, c, seed, replicates) for c in cands]):
            stats.append(s)
            bar.update(1)
    bar.close()
    targets = cal.targets.targets
    return _Ranking(
        [within_count(s, targets) for s in stats],
        [distance(s, targets) for s in stats],
        len(targets),
        stats,
    )


def emulator_check(cal: Calibration, emulated: dict[str, np.ndarray], first: _Ranking) -> list[str]:
    """Markdown: the emulators' verdicts at the central candidates against their simulation.

    The candidates are the draws whose *emulated* values meet the most figures, so where an
    emulator errs in the figures' favour they are over-represented: this table shows how far
    that goes (the emulated count against the simulated one, per figure the share of
    candidates where the two verdicts agree and the typical error in tolerances)."""
    if not emulated or not first.stats:
        return []
    targets = cal.targets.targets
    k = len(first.stats)
    emu = {tid: np.asarray(v, float)[:k] for tid, v in emulated.items() if tid in targets}
    sim = {tid: np.array([s.get(tid, np.nan) for s in first.stats]) for tid in targets}
    emu_hits = np.sum([np.abs(emu[t] - targets[t].value) <= targets[t].tolerance for t in emu], axis=0)
    rows = []
    for tid, t in targets.items():
        if tid not in emu:
            continue
        e_in = np.abs(emu[tid] - t.value) <= t.tolerance
        s_in = np.abs(sim[tid] - t.value) <= t.tolerance
        err = np.abs(emu[tid] - sim[tid]) / t.tolerance
        rows.append(
            f"| {t.label_en} · {t.label_zh} | {t.facts} | {e_in.mean():.0%} | {s_in.mean():.0%} | "
            f"{np.mean(e_in == s_in):.0%} | {np.nanmedian(err):.2f} |"
        )
    reps = cal.config.central_replicates
    return [
        "",
        f"*Emulator check at the {k} central candidates* (each simulated with {reps} replicates while the "
        f"centre was chosen): chosen for meeting {int(emu_hits.min())}–{int(emu_hits.max())} of {len(targets)} "
        f"figures by their emulated values, they meet {min(first.hits)}–{max(first.hits)} on their simulated "
        f"means (median {np.median(emu_hits):.0f} against {np.median(first.hits):.0f}). Error: |emulated − "
        f"simulated| in tolerances; the simulated means carry {reps}-replicate noise, so part of each "
        "disagreement is that noise.",
        "",
        "| figure | FACTS | within, emulated | within, simulated | verdicts agree | median error / tolerance |",
        "|---|---|---:|---:|---:|---:|",
        *rows,
    ]

"""After sampling: the posterior files, the central scenario and the fit report.

The report (``report/<name>.md`` with two figures) gives, for every target, the reported
value, the posterior-predictive mean and 90 % interval (one replicate for each of
``predictive_draws`` weighted draws: parameter and stochastic uncertainty together), and
the mean of ``check_replications`` replicates of the central-parameter scenario with
whether it is within the target's tolerance; for every parameter its prior, posterior
median and 90 % interval and the ratio of posterior to prior standard deviation (on the
sampling scale), flagging those the data do not identify.
"""

from __future__ import annotations

import math
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from chainsim.calibration.abc import Paths
from chainsim.calibration.config import Calibration
from chainsim.calibration.params import ParameterSpace
from chainsim.calibration.posterior import (
    central_parameters,
    resample,
    stamp,
    weighted_quantile,
    weighted_sd,
    write_central_yaml,
    write_posterior_csv,
)
from chainsim.calibration.simulate import Simulator, generation_seed
from chainsim.calibration.targets import distance, statistics, z_score
from chainsim.config.loader import ScenarioError
from chainsim.results.outputs import atomic_write

UNIDENTIFIED = 0.7  # posterior sd / prior sd above this: the data say little about the parameter
IDENTIFIED = 0.35  # below this: well identified


def _stats(job: tuple[Simulator, dict[str, float], int, int]) -> dict[str, float]:
    """Target statistics of one parameter set: (simulator, parameters, seed, replicates)."""
    sim, natural, seed, reps = job
    return sim.stats(natural, seed, reps)


def _check(job: tuple[Path, int]) -> dict[str, Any]:
    """The written central scenario, exactly as ``chainsim run FILE -r reps`` runs it."""
    from chainsim.api import load, run

    path, reps = job
    return run(load(path), replications=reps).summary()


def finalise(cal: Calibration, history: Any, paths: Paths, stream: Any = None) -> dict[str, Any]:
    """Write posterior CSV, central YAML and report from the history's last generation."""
    stream = sys.stderr if stream is None else stream
    from pyabc.weighted_statistics import effective_sample_size

    cfg = cal.config
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    if pops.empty:
        raise ScenarioError(f"{paths.db}: no completed generation yet; rerun the same command to continue")
    t = int(pops["t"].max())
    frame, w = history.get_distribution(m=0, t=t)
    w = np.asarray(w, float) / np.sum(w)
    space = ParameterSpace(cal.priors, cal.base_data)
    internal = {n: frame[n].to_numpy(float) for n in space.names}
    natural = {n: (10**v if space.priors[n].scale == "log" else v) for n, v in internal.items()}
    eps = float(pops.loc[pops["t"] == t, "epsilon"].iloc[0])
    ess = float(effective_sample_size(w))
    info = {
        **stamp(cal.targets_sha256),
        "generation": t + 1,
        "generations_requested": cfg.generations,
        "particles": len(w),
        "epsilon": f"{eps:.6g}",
        "ess": f"{ess:.1f}",
        "simulations": int(pops["samples"].sum()),
    }
    write_posterior_csv(paths.posterior, natural, w, info)
    if cfg.central == "best_fit":
        central, info["central"] = _best_fit(cal, history, t, space, stream)
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
    with ProcessPoolExecutor(cfg.workers, mp_context=multiprocessing.get_context("fork")) as pool:
        predictive = list(pool.map(_stats, jobs))
        check_summary = pool.submit(_check, (paths.central, cfg.check_replications)).result()
    check = statistics(check_summary, cal.targets.targets)
    paths.report_dir.mkdir(parents=True, exist_ok=True)
    figures = _figures(paths, space, internal, w, predictive, cal)
    text = _markdown(cal, paths, space, natural, internal, w, central, predictive, check, pops, info, figures)
    report = paths.report_dir / f"{cfg.name}.md"
    atomic_write(report, lambda p: p.write_text(text, encoding="utf-8"))
    return {
        "generations": t + 1,
        "particles": len(w),
        "simulations": info["simulations"],
        "epsilon": eps,
        "ess": ess,
        "wall_time_min": float(pops["wall_time"].sum()) / 60,
        "written": [paths.posterior, paths.central, report, *figures],
        "check": check,
    }


def _best_fit(
    cal: Calibration, history: Any, t: int, space: ParameterSpace, stream: Any
) -> tuple[dict[str, float], str]:
    """The accepted particle whose replicate mean fits the targets best.

    A posterior's component-wise median can sit outside the accepted region when the
    parameters are correlated (they are: e.g. contacts × conversion × project size set
    the flow of money together), so the default scenario uses an accepted draw instead:
    the ``central_candidates`` particles of the last generation with the smallest
    (one-replicate) distance are re-simulated with ``central_replicates`` replicates on
    common seeds, and the smallest distance of the replicate means wins."""
    cfg = cal.config
    pop = history.get_population(t=t).get_for_keys(["distance", "parameter"])
    order = np.argsort(np.asarray(pop["distance"], float), kind="stable")[: cfg.central_candidates]
    sim = Simulator(space, cal.targets.targets, cfg.seed, cfg.central_replicates)
    seed = generation_seed(cfg.seed, 20_000)
    cands = [space.to_natural({n: float(dict(pop["parameter"][i])[n]) for n in space.names}) for i in order]
    print(
        f"choosing the central scenario: {len(cands)} closest particles × {cfg.central_replicates} replicates …",
        file=stream,
        flush=True,
    )
    with ProcessPoolExecutor(cfg.workers, mp_context=multiprocessing.get_context("fork")) as pool:
        stats = list(pool.map(_stats, [(sim, c, seed, cfg.central_replicates) for c in cands]))
    dist = [distance(s, cal.targets.targets) for s in stats]
    best = int(np.argmin(dist))
    return cands[best], (
        f"best fit of the {len(cands)} particles closest to the data, each re-simulated with "
        f"{cfg.central_replicates} replicates (distance of the mean {dist[best]:.4g}; "
        f"candidates {min(dist):.4g}–{max(dist):.4g})"
    )


# --------------------------------------------------------------------------- figures
def _figures(
    paths: Paths,
    space: ParameterSpace,
    internal: dict[str, np.ndarray],
    w: np.ndarray,
    predictive: list[dict[str, float]],
    cal: Calibration,
) -> list[Path]:
    from chainsim.fonts import use_cjk

    use_cjk()  # Agg, and the project's CJK font behind DejaVu Sans (the target labels may be Chinese)
    import matplotlib.pyplot as plt

    name = cal.config.name
    n = len(space.names)
    cols = 4
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), squeeze=False)
    for ax, p in zip(axes.flat, space.names):
        lo, hi = space.internal_bounds(p)
        ax.hist(
            internal[p],
            bins=20,
            range=(lo, hi),
            weights=w,
            density=True,
            color="tab:blue",
            alpha=0.7,
            label="posterior",
        )
        ax.hlines(1 / (hi - lo), lo, hi, colors="tab:gray", linestyles="--", label="prior")
        log = space.priors[p].scale == "log"
        ax.set_title(p, fontsize=9)
        ax.set_xlabel("log10 value" if log else "value", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("Posterior marginals (bars) against the uniform priors (dashed)", fontsize=10)
    fig.tight_layout()
    marg = paths.report_dir / f"{name}_marginals.png"
    atomic_write(marg, lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)

    targets = cal.targets.targets
    ids = list(targets)
    z = np.array([[z_score(s[t], targets[t]) for t in ids] for s in predictive])
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(ids) + 1.2))
    y = np.arange(len(ids))[::-1]
    lo, mid, hi = np.percentile(z, [5, 50, 95], axis=0)
    ax.axvspan(-1, 1, color="tab:green", alpha=0.12, label="|z| ≤ 1")
    ax.errorbar(
        mid,
        y,
        xerr=[mid - lo, hi - mid],
        fmt="o",
        color="tab:blue",
        label="posterior predictive median, 90 %",
    )
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlim(-15, 15)  # a far outlier (e.g. a growth ratio on a tiny base) would squash the rest
    for yi, h in zip(y, hi):
        if h > 15:
            ax.annotate(
                f"→ {h:.0f}", (15, yi), xytext=(-4, 3), textcoords="offset points", ha="right", fontsize=6
            )
    ax.set_yticks(y, [f"{t} ({targets[t].facts})" for t in ids], fontsize=7)
    ax.set_xlabel("z = (simulated − reported) / σ  (0 inside a band; axis clipped at ±15)")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("Fit to the reported figures", fontsize=10)
    fig.tight_layout()
    fit = paths.report_dir / f"{name}_fit.png"
    atomic_write(fit, lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)
    return [marg, fit]


# --------------------------------------------------------------------------- markdown
def _fmt(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    a = abs(x)
    return f"{x:.3f}" if a < 10 else f"{x:.1f}" if a < 1000 else f"{x:,.0f}"


def _markdown(
    cal: Calibration,
    paths: Paths,
    space: ParameterSpace,
    natural: dict[str, np.ndarray],
    internal: dict[str, np.ndarray],
    w: np.ndarray,
    central: dict[str, float],
    predictive: list[dict[str, float]],
    check: dict[str, float],
    pops: Any,
    info: dict[str, Any],
    figures: list[Path],
) -> str:
    cfg, targets = cal.config, cal.targets.targets
    out = [
        f"# Calibration report: `{cfg.name}`",
        "",
        f"chainsim {info['chainsim_version']} · targets file SHA-256 `{info['targets_sha256'][:16]}…` · {info['date']}",
        "",
        f"pyabc ABC-SMC, {info['particles']} particles, {info['generation']} of {cfg.generations} generations, "
        f"{info['simulations']} simulations, sampling wall time {float(pops['wall_time'].sum()) / 60:.1f} min. "
        f"Final tolerance ε = {info['epsilon']} (distance Σ z², {len(targets)} targets), "
        f"effective sample size {info['ess']}.",
        "",
        "| generation | ε | simulations | acceptance rate |",
        "|---:|---:|---:|---:|",
    ]
    for _, row in pops.iterrows():
        out.append(
            f"| {int(row['t']) + 1} | {row['epsilon']:.4g} | {int(row['samples'])} | {row['particles'] / row['samples']:.1%} |"
        )

    ids = list(targets)
    pred = np.array([[p[t] for t in ids] for p in predictive], dtype=float)
    out += [
        "",
        "## Fit: reported figures against the calibrated model",
        "",
        f"*Posterior predictive*: {len(predictive)} weighted posterior draws × 1 replicate (parameter and stochastic "
        f"uncertainty). *Central*: the central-parameter scenario as written ({paths.central.name}), mean of "
        f"{cfg.check_replications} replicates with its own seed — what `chainsim run {paths.central.name} -r "
        f"{cfg.check_replications}` prints (growth = ratio of period means) — checked against the tolerance.",
        "",
        "| target | FACTS | metric | unit | reported | predictive mean | predictive 90 % | central | tolerance | within |",
        "|---|---|---|---|---:|---:|---:|---:|---:|:---:|",
    ]
    misses = []
    for j, t in enumerate(ids):
        tg = targets[t]
        col = pred[:, j][np.isfinite(pred[:, j])]
        lo, hi = np.percentile(col, [5, 95]) if col.size else (math.nan, math.nan)
        c = check[t]
        ok = (
            math.isfinite(c) and abs(c - tg.value) <= tg.tolerance
        )  # the acceptance band, around the value
        if not ok:
            misses.append(t)
        metric = tg.metric or f"{tg.ratio_of[0]} / {tg.ratio_of[1]}"
        reported = _fmt(tg.value) + (f" [{_fmt(tg.band[0])}, {_fmt(tg.band[1])}]" if tg.band else "")
        out.append(
            f"| {tg.label_en} · {tg.label_zh} | {tg.facts} | `{metric}` | {tg.unit} | {reported} | "
            f"{_fmt(float(col.mean()) if col.size else math.nan)} | {_fmt(lo)} – {_fmt(hi)} | {_fmt(c)} | ±{_fmt(tg.tolerance)} | "
            f"{'yes' if ok else '**no**'} |"
        )

    out += [
        "",
        f"![fit]({figures[1].name})",
        "",
        "## Parameters: prior, posterior, identifiability",
        "",
        f"Posterior sd / prior sd on the sampling scale (log10 for log-scale priors): above {UNIDENTIFIED} the data "
        f"leave the parameter largely undetermined; below {IDENTIFIED} they pin it down.",
        "",
        "| parameter | scenario field | prior | posterior median | posterior 90 % | central (YAML) | sd ratio | identified? |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    weak = []
    for n in space.names:
        pr = space.priors[n]
        ratio = weighted_sd(internal[n], w) / space.prior_sd(n)
        verdict = (
            "well" if ratio < IDENTIFIED else "partly" if ratio <= UNIDENTIFIED else "**not identified**"
        )
        if ratio > UNIDENTIFIED:
            weak.append(n)
        lo, med, hi = weighted_quantile(natural[n], w, [0.05, 0.5, 0.95])
        field = pr.path if pr.path is not None else f"× {pr.multiply}"
        field = ", ".join(field) if isinstance(field, list) else field
        out.append(
            f"| {n} | `{field}` | {pr.scale} U[{_fmt(pr.low)}, {_fmt(pr.high)}] | {_fmt(med)} | "
            f"{_fmt(lo)} – {_fmt(hi)} | {_fmt(central[n])} | {ratio:.2f} | {verdict} |"
        )
    out += [
        "",
        f"![marginals]({figures[0].name})",
        "",
        "Fixed (not estimated): " + cal.priors.fixed_note.strip(),
        "",
        "## What the fit does and does not support",
        "",
    ]
    hit = [t for t in ids if t not in misses]
    para = (
        f"The central scenario reproduces {len(hit)} of {len(ids)} reported figures within tolerance"
        + (f"; it misses {', '.join(f'{t} ({targets[t].facts})' for t in misses)}." if misses else ".")
        + (
            f" The data leave {', '.join(weak)} largely undetermined (posterior barely narrower than the prior): "
            "results that depend on them should be read from `chainsim run … --posterior-draws K`, not from the "
            "central values."
            if weak
            else " Every estimated parameter is narrowed by the data."
        )
        + (
            f" The final generation's effective sample size is only {float(info['ess']):.0f} of {info['particles']}: "
            "a few particles carry most of the weight, so the marginals and sd ratios above are rough and the "
            "central values rest on few effective draws."
            if float(info["ess"]) < 0.1 * info["particles"]
            else ""
        )
        + (
            f" The history holds {info['generation']} of the {cfg.generations} generations requested (stopped early): the "
            "tolerance is looser than a complete run's would be."
            if info["generation"] < cfg.generations
            else ""
        )
        + " The posterior is conditional on the fixed assumptions listed above and on the model's structure; "
        "ABC with a standardised-distance tolerance gives an approximate posterior, wider than an exact one."
    )
    out += [para, ""]
    return "\n".join(out)

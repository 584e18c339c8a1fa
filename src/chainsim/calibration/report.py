"""The fit report: two figures and the markdown (written by :mod:`.finalise`).

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
from pathlib import Path
from typing import Any

import numpy as np

from chainsim.calibration.config import Calibration
from chainsim.calibration.outfiles import Paths
from chainsim.calibration.params import IDENTIFIED, ParameterSpace
from chainsim.calibration.posterior import (
    weighted_quantile,
    weighted_sd,
)
from chainsim.calibration.targets import z_score
from chainsim.results.outputs import atomic_write


# --------------------------------------------------------------------------- figures
def figures(
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


def markdown(
    cal: Calibration,
    paths: Paths,
    space: ParameterSpace,
    natural: dict[str, np.ndarray],
    internal: dict[str, np.ndarray],
    w: np.ndarray,
    central: dict[str, float],
    predictive: list[dict[str, float]],
    check: dict[str, float],
    method: list[str],
    caveats: list[str],
    info: dict[str, Any],
    figures: list[Path],
) -> str:
    cfg, targets = cal.config, cal.targets.targets
    out = [
        f"# Calibration report: `{cfg.name}`",
        "",
        f"chainsim {info['chainsim_version']} · targets file SHA-256 `{info['targets_sha256'][:16]}…` · {info['date']}",
        "",
        *method,
    ]
    if cfg.omit_targets or cfg.omit_parameters:
        out += [
            "",
            f"Left out of this calibration: targets {', '.join(cfg.omit_targets) or 'none'}; "
            f"parameters {', '.join(cfg.omit_parameters) or 'none'} (they keep the base scenario's values).",
        ]

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
        f"Posterior sd / prior sd on the sampling scale (log10 for log-scale priors): below {IDENTIFIED} the "
        "parameter counts as identified by the figures; above it the posterior is not much narrower than the prior.",
        "",
        "| parameter | scenario field | prior | posterior median | posterior 90 % | central (YAML) | sd ratio | identified? |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    weak = []
    for n in space.names:
        pr = space.priors[n]
        ratio = weighted_sd(internal[n], w) / space.prior_sd(n)
        verdict = "yes" if ratio < IDENTIFIED else "**no**"
        if ratio >= IDENTIFIED:
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
        + "".join(f" {c}" for c in caveats)
        + " The posterior is conditional on the fixed assumptions listed above and on the model's structure."
    )
    out += [para, ""]
    return "\n".join(out)

"""``chainsim analyze DIR``: tables, plots and global sensitivity indices of a finished sweep.

Replicates are averaged first (one value per design point), because Sobol indices
decompose the variance of a deterministic function of the factors; the variance the
averaging removes is reported as the *replicate-noise share* (mean within-point variance
/ total variance of all runs; 0 = the factors explain everything, 1 = pure noise).

Sobol first-order (S1) and total (ST) indices with 95 % bootstrap intervals come from
SALib's ``sobol.analyze(calc_second_order=False)`` for a ``saltelli`` design (points are
stored in the order it reads: A, AB_1 … AB_k, B per base row). The sweep package has no
Morris design, so no Morris indices: other designs get tables and plots only.

Writes ``DIR/analysis/report.md``, ``indices.csv`` and one PNG per outcome, each through
a temporary file and a rename, and only after every input check has passed.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chainsim.config.loader import ScenarioError
from chainsim.fonts import use_cjk
from chainsim.results.outputs import atomic_write
from chainsim.vocabulary import capital, outcome_label, term

FORMAT = "chainsim-sweep/1"
RESAMPLES = 1000


@dataclass
class OutcomeAnalysis:
    """What the report says about one outcome."""

    name: str
    point_means: np.ndarray  # one value per design point (replicates averaged)
    noise_share: float | None  # within-point variance / total variance
    indices: dict[str, dict[str, float]] = field(default_factory=dict)  # factor → S1, S1_conf, ST, ST_conf
    note: str = ""


def load_finished(out: Path) -> tuple[dict[str, Any], Any, Any]:
    """(manifest, runs DataFrame, design DataFrame) of a complete sweep, or ScenarioError."""
    import pyarrow.parquet as pq

    from chainsim.sweep.store import read_results

    if not out.is_dir():
        raise ScenarioError(f"{out}: no such directory (give the --out directory of a chainsim sweep)", out)
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        ok = manifest.get("format") == FORMAT and isinstance(manifest.get("sweep"), dict)
    except (OSError, ValueError):
        ok = False
    if not ok:
        raise ScenarioError(
            f"{out}: not a sweep result (no readable manifest.json of format {FORMAT}); "
            "give the --out directory of 'chainsim sweep'",
            out / "manifest.json",
        )
    try:
        runs = read_results(out).to_pandas()
        design = pq.read_table(out / "design.parquet").to_pandas()
    except (OSError, FileNotFoundError, ValueError) as exc:
        raise ScenarioError(f"{out}: not a readable sweep result ({exc})", out) from None
    total = int(manifest.get("runs_total") or manifest["sweep"].get("runs", 0))
    done = int(runs["run_id"].nunique())
    if done < total or total == 0:
        raise ScenarioError(
            f"{out}: incomplete sweep, {done}/{total} runs done; rerun the same 'chainsim sweep' "
            f"command ({manifest['sweep'].get('file')} --out {out}) to finish it first",
            out,
        )
    runs = runs.drop_duplicates("run_id")
    if len(design) != int(manifest["sweep"]["points"]):
        raise ScenarioError(
            f"{out}: design.parquet does not match manifest.json (points)", out / "design.parquet"
        )
    return manifest, runs, design


def noise_share(runs: Any, outcome: str) -> float | None:
    """Mean within-point variance / total variance of the runs (None with one replicate)."""
    # Plug-in (ddof 0) variances: with equal replicates per point the law of total variance
    # splits the total exactly into mean within-point + between-point parts, so the share is in [0, 1].
    if runs.groupby("point")[outcome].size().min() < 2:
        return None
    total = float(np.var(runs[outcome].to_numpy(float)))
    if not total > 0:
        return 0.0
    within = float(runs.groupby("point")[outcome].var(ddof=0).mean())
    return within / total


def sobol_indices(y: np.ndarray, factors: list[str], seed: int) -> dict[str, dict[str, float]]:
    """S1 and ST with 95 % bootstrap half-widths for point means in Saltelli order."""
    from SALib.analyze import sobol

    problem = {"num_vars": len(factors), "names": factors, "bounds": [[0.0, 1.0]] * len(factors)}
    res = sobol.analyze(
        problem,
        y,
        calc_second_order=False,
        num_resamples=RESAMPLES,
        conf_level=0.95,
        seed=seed,
        print_to_console=False,
    )
    return {
        f: {k: float(res[k][j]) for k in ("S1", "S1_conf", "ST", "ST_conf")} for j, f in enumerate(factors)
    }


def analyze(out: Path) -> tuple[dict[str, Any], Any, Any, list[OutcomeAnalysis]]:
    """Check ``out`` and compute everything (writes nothing): manifest, runs, design, results."""
    manifest, runs, design = load_finished(out)
    sw = manifest["sweep"]
    factors = list(sw["factors"])
    results = []
    for name in sw["outcomes"]:
        if runs[name].isna().any():
            raise ScenarioError(
                f"{out}: outcome {name} has missing values in some runs; cannot analyse it", out
            )
        means = runs.groupby("point")[name].mean().sort_index().to_numpy(float)
        oa = OutcomeAnalysis(name, means, noise_share(runs, name))
        if sw["design"] != "saltelli":
            oa.note = f"a {sw['design']} design: no Sobol indices (they need design method saltelli)"
        elif not np.ptp(means) > 0:
            oa.note = "constant over the design points: no variance to attribute"
        else:
            oa.indices = sobol_indices(means, factors, int(sw.get("seed") or 0))
        results.append(oa)
    return manifest, runs, design, results


# --------------------------------------------------------------------------- output
def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")


def _label(name: str, spec: dict[str, Any]) -> str:
    zh = spec.get("name_zh") or ""
    return f"{name}\n{zh}" if zh else name


def _fmt(x: float | None, digits: int = 3) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    return f"{x:.{digits}g}"


def plot(oa: OutcomeAnalysis, runs: Any, design: Any, factors: dict[str, dict], path: Path) -> None:
    """Outcome against each factor: every run faint, point means solid; large type for a projector."""
    zh = use_cjk() is not None  # Chinese on the figure only where a font draws it
    import matplotlib.pyplot as plt

    run, mean = term("analyze.run"), term("analyze.point_mean")
    names = list(factors)
    fig, axes = plt.subplots(1, len(names), figsize=(5.5 * len(names), 5), squeeze=False, sharey=True)
    for ax, f in zip(axes[0], names, strict=True):
        ax.scatter(
            runs[f], runs[oa.name], s=12, alpha=0.25, color="grey", label=run.both(" ") if zh else run.en
        )
        ax.scatter(design[f], oa.point_means, s=30, color="tab:blue", label=mean.both(" ") if zh else mean.en)
        idx = oa.indices.get(f)
        title = f"ST = {idx['ST']:.2f} ± {idx['ST_conf']:.2f}" if idx else ""
        ax.set_title(title, fontsize=15)
        ax.set_xlabel(_label(f, factors[f]) if zh else f, fontsize=15)
        ax.tick_params(labelsize=13)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(outcome_label(oa.name, zh=zh).replace(" · ", "\n"), fontsize=14)
    axes[0][0].legend(fontsize=11)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    atomic_write(path, lambda p: p.write_bytes(buf.getvalue()))


def report_md(manifest: dict[str, Any], results: list[OutcomeAnalysis], pngs: dict[str, str]) -> str:
    sw, factors = manifest["sweep"], manifest["sweep"]["factors"]
    t = {k: term(f"analyze.{k}") for k in ("title", "noise_share", "sobol", "first_order", "total", "factor")}
    lines = [
        f"# {t['title'].both(' ', cap=True)}: {sw['name']}",
        "",
        f"Sweep file `{sw['file']}` (hash {sw['hash'][:12]}), {sw['design']} design, {sw['points']} design "
        f"points × {sw['replications']} replicates = {sw['runs']} runs, seed {sw['seed']}.",
        "",
        "Replicates are averaged per design point before the indices are computed. "
        f"*{capital(t['noise_share'].en)}* {t['noise_share'].zh} = mean within-point variance / total variance "
        "of all runs.",
        f"{t['sobol'].both(' ')} (SALib, `calc_second_order=False`): S1 {t['first_order'].both(' ')}, "
        f"ST {t['total'].both(' ')}, "
        f"with 95 % bootstrap intervals (S ± 1.96 × bootstrap sd, {RESAMPLES} resamples). No Morris design exists in chainsim.sweep, "
        "so no Morris indices.",
        "",
        f"{capital(t['factor'].en)}s {t['factor'].zh}: "
        + ", ".join(
            f"`{n}` ({f.get('kind')}{', ' + f['name_zh'] if f.get('name_zh') else ''})"
            for n, f in factors.items()
        ),
        "",
    ]
    for oa in results:
        m = oa.point_means
        lines += [
            f"## {oa.name}",
            "",
            outcome_label(oa.name),
            "",
            "| design points | mean | sd | min | median | max | replicate-noise share |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            f"| {len(m)} | {_fmt(m.mean())} | {_fmt(m.std(ddof=1) if len(m) > 1 else None)} | {_fmt(m.min())} | "
            f"{_fmt(float(np.median(m)))} | {_fmt(m.max())} | "
            f"{'– (one replicate)' if oa.noise_share is None else f'{oa.noise_share:.1%}'} |",
            "",
        ]
        if oa.indices:
            lines += [f"| {t['factor'].both(' ')} | S1 | S1 95 % | ST | ST 95 % |", "|---|---:|---|---:|---|"]
            for f, i in sorted(oa.indices.items(), key=lambda kv: -kv[1]["ST"]):
                zh = factors[f].get("name_zh") or ""
                lines.append(
                    f"| `{f}` {zh} | {i['S1']:.3f} | [{i['S1'] - i['S1_conf']:.3f}, {i['S1'] + i['S1_conf']:.3f}] "
                    f"| {i['ST']:.3f} | [{i['ST'] - i['ST_conf']:.3f}, {i['ST'] + i['ST_conf']:.3f}] |"
                )
            lines.append("")
        if oa.note:
            lines += [f"Note: {oa.note}.", ""]
        lines += [f"![{oa.name}]({pngs[oa.name]})", ""]
    return "\n".join(lines)


def indices_csv(manifest: dict[str, Any], results: list[OutcomeAnalysis]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["outcome", "factor", "name_zh", "S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high", "noise_share"]
    )
    factors = manifest["sweep"]["factors"]
    for oa in results:
        noise = "" if oa.noise_share is None else f"{oa.noise_share:.6g}"
        for f in factors:
            i = oa.indices.get(f)
            vals = (
                [
                    i["S1"],
                    i["S1"] - i["S1_conf"],
                    i["S1"] + i["S1_conf"],
                    i["ST"],
                    i["ST"] - i["ST_conf"],
                    i["ST"] + i["ST_conf"],
                ]
                if i
                else [math.nan] * 6
            )
            w.writerow([oa.name, f, factors[f].get("name_zh", ""), *(f"{v:.6g}" for v in vals), noise])
    return buf.getvalue()


def write_analysis(out: Path) -> Path:
    """Analyse the sweep in ``out`` and write ``out/analysis/``; returns that directory."""
    manifest, runs, design, results = analyze(out)  # every check first: nothing is written on bad input
    factors = manifest["sweep"]["factors"]
    dest = out / "analysis"
    dest.mkdir(exist_ok=True)
    pngs = {}
    for oa in results:
        pngs[oa.name] = f"{_slug(oa.name)}.png"
        plot(oa, runs.sort_values("run_id"), design.sort_values("point"), factors, dest / pngs[oa.name])
    text = indices_csv(manifest, results)
    atomic_write(dest / "indices.csv", lambda p: p.write_text(text, encoding="utf-8"))
    md = report_md(manifest, results, pngs)
    atomic_write(dest / "report.md", lambda p: p.write_text(md, encoding="utf-8"))
    return dest

"""``chainsim analyze DIR``: tables, plots and global sensitivity indices of a finished sweep.

Replicates are averaged first (one value per design point), because the indices
describe a deterministic function of the factors; the variance the averaging removes is
reported as the *replicate-noise share* (mean within-point variance / total variance of
all runs; 0 = the factors explain everything, 1 = pure noise).

Every design gets a factor importance (:mod:`chainsim.sweep.importance`): Sobol S1/ST
for ``saltelli``, Morris μ*/σ for ``morris``, Borgonovo's δ and Spearman's ρ for any
other sample, the swing for ``one_at_a_time``; with warnings where the numbers should not
be trusted (small samples, estimates outside [0, 1], replicate noise dominating).

Writes ``DIR/analysis/report.md``, ``indices.csv`` and one PNG per outcome, each through
a temporary file and a rename, and only after every input check has passed.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from chainsim.config.loader import ScenarioError
from chainsim.fonts import use_cjk
from chainsim.results.outputs import atomic_write
from chainsim.sweep import importance as imp
from chainsim.sweep.importance import METHODS, Importance, noise_warning
from chainsim.sweep.labels import axis_label, factor_label
from chainsim.vocabulary import capital, outcome_label, term

FORMAT = "chainsim-sweep/1"


@dataclass
class OutcomeAnalysis:
    """What the report says about one outcome."""

    name: str
    point_means: np.ndarray  # one value per design point (replicates averaged)
    noise_share: float | None  # within-point variance / total variance
    importance: Importance | None = None
    note: str = ""

    @property
    def warnings(self) -> list[str]:
        found = list(self.importance.warnings) if self.importance else []
        if (w := noise_warning(self.noise_share)) is not None:
            found.append(w)
        return found


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


def factor_matrix(design: Any, factors: list[str], specs: dict[str, dict]) -> np.ndarray:
    """Design points as numbers, one column per factor: numeric values as they are, a list
    of text or true/false values as its positions in the list (points sorted by ``point``)."""
    cols = []
    for f in factors:
        col = design.sort_values("point")[f]
        values = specs[f].get("values")
        if values is not None and not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
        ):
            cols.append(np.array([values.index(v) for v in col], dtype=float))
        else:
            cols.append(col.to_numpy(float))
    return np.column_stack(cols) if cols else np.zeros((len(design), 0))


def unit_matrix(x: np.ndarray, factors: list[str], specs: dict[str, dict]) -> np.ndarray:
    """Design points mapped monotonically onto [0, 1] per factor (log ranges on a log scale):
    what Morris needs to see which factor each step of a trajectory moved, and in which direction."""
    out = np.empty_like(x)
    for j, f in enumerate(factors):
        spec, col = specs[f], x[:, j]
        if spec.get("range") is not None:
            lo, hi = spec["range"]
            if spec.get("log"):
                col, lo, hi = np.log(col), math.log(lo), math.log(hi)
            out[:, j] = (col - lo) / (hi - lo) if hi > lo else 0.0
        else:
            n = len(spec.get("values") or [1])
            out[:, j] = col / max(n - 1, 1)
    return out


def importance(sw: dict[str, Any], means: np.ndarray, design: Any) -> tuple[Importance | None, str]:
    """The factor importance the sweep's design supports (see :mod:`chainsim.sweep.importance`)."""
    factors, specs, method = list(sw["factors"]), sw["factors"], sw["design"]
    if sw.get("posterior") or "draw" in design.columns:
        return (
            None,
            "a sweep over posterior draws: factor importance would mix in parameter uncertainty; none computed",
        )
    if not np.ptp(means) > 0:
        return None, "constant over the design points: no variance to attribute"
    seed = int(sw.get("seed") or 0)
    if method == "saltelli":
        return imp.sobol(means, factors, int(sw.get("samples") or len(means) // (len(factors) + 2)), seed), ""
    x = factor_matrix(design, factors, specs)
    if method == "morris":
        return imp.morris(
            unit_matrix(x, factors, specs), means, factors, int(sw.get("levels") or 4), seed
        ), ""
    if method == "one_at_a_time":
        ordered = design.sort_values("point")
        ref = sw.get("reference") or {f: ordered[f].iloc[0] for f in factors}
        return imp.swing(means, {f: ordered[f].tolist() for f in factors}, ref), ""
    if len(means) < 4:
        return None, f"{len(means)} design points: too few for an importance measure"
    return imp.delta_and_rank(x, means, factors, seed), ""


def analyze(out: Path) -> tuple[dict[str, Any], Any, Any, list[OutcomeAnalysis]]:
    """Check ``out`` and compute everything (writes nothing): manifest, runs, design, results."""
    manifest, runs, design = load_finished(out)
    sw = manifest["sweep"]
    results = []
    for name in sw["outcomes"]:
        if runs[name].isna().any():
            raise ScenarioError(
                f"{out}: outcome {name} has missing values in some runs; cannot analyse it", out
            )
        means = runs.groupby("point")[name].mean().sort_index().to_numpy(float)
        oa = OutcomeAnalysis(name, means, noise_share(runs, name))
        oa.importance, oa.note = importance(sw, means, design)
        results.append(oa)
    return manifest, runs, design, results


# --------------------------------------------------------------------------- output
def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")


def _fmt(x: float | None, digits: int = 3) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    return f"{x:.{digits}g}"


def figure(oa: OutcomeAnalysis, runs: Any, design: Any, factors: dict[str, dict], zh: bool) -> Any:
    """Outcome against each factor: every run faint, point means solid; large type for a
    projector. Axes carry the human names of the factors and the outcome (Chinese with ``zh``)."""
    import matplotlib.pyplot as plt

    run, mean = term("analyze.run"), term("analyze.point_mean")
    names = list(factors)
    fig, axes = plt.subplots(1, len(names), figsize=(5.5 * len(names), 5.4), squeeze=False, sharey=True)
    for ax, f in zip(axes[0], names, strict=True):
        ax.scatter(
            runs[f], runs[oa.name], s=12, alpha=0.25, color="grey", label=run.both(" ") if zh else run.en
        )
        ax.scatter(design[f], oa.point_means, s=30, color="tab:blue", label=mean.both(" ") if zh else mean.en)
        title = f  # the factor's name in the sweep file, as in report.md and indices.csv
        if oa.importance is not None and f in oa.importance.values:
            main = oa.importance.main
            v, lo, hi = oa.importance.values[f][main]
            title += f" · {INDEX_LABEL[main]} = {_fmt(v, 2)}" + (
                f"  [{_fmt(lo, 2)}, {_fmt(hi, 2)}]" if hi > lo else ""
            )
        ax.set_title(title, fontsize=14)
        ax.set_xlabel(axis_label(factor_label(f, factors[f], zh=zh)), fontsize=14)
        ax.tick_params(labelsize=13)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(axis_label(outcome_label(oa.name, zh=zh)), fontsize=14)
    axes[0][0].legend(fontsize=11)
    fig.tight_layout()
    return fig


def plot(oa: OutcomeAnalysis, runs: Any, design: Any, factors: dict[str, dict], path: Path) -> None:
    """:func:`figure` as a PNG (Chinese on it only where a font draws it)."""
    zh = use_cjk() is not None
    import matplotlib.pyplot as plt

    fig = figure(oa, runs, design, factors, zh=zh)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    atomic_write(path, lambda p: p.write_bytes(buf.getvalue()))


#: how each index is written in tables and figure titles
INDEX_LABEL = {
    "S1": "S1",
    "ST": "ST",
    "mu_star": "μ*",
    "sigma": "σ",
    "delta": "δ",
    "rho": "ρ",
    "swing": "swing",
}
METHOD_TEXT = {
    "sobol": "Sobol indices (SALib, `calc_second_order=False`): S1 first-order, ST total; 95 % bootstrap "
    "intervals. Ranked by ST.",
    "morris": "Morris screening (SALib): μ* = mean absolute elementary effect over the whole factor range "
    "(in the outcome's units; 95 % bootstrap interval), σ = their spread (large σ: interactions or "
    "non-linearity). Ranked by μ*.",
    "delta": "Borgonovo's δ (SALib's delta-moment method; moment-independent, accepts any sample; 95 % bootstrap "
    "interval) and Spearman's rank correlation ρ (95 % Fisher-z interval; the sign says the direction of a "
    "monotone effect). Ranked by δ.",
    "rank": "Spearman's rank correlation ρ (95 % Fisher-z interval; the sign says the direction of a monotone "
    "effect): the sample is too small for Borgonovo's δ. Ranked by |ρ|.",
    "swing": "One-at-a-time swing: largest minus smallest outcome over the factor's values with the others "
    "at the reference point (a dose–response, not a global index). Ranked by swing.",
}


def report_md(manifest: dict[str, Any], results: list[OutcomeAnalysis], pngs: dict[str, str]) -> str:
    sw, factors = manifest["sweep"], manifest["sweep"]["factors"]
    t = {k: term(f"analyze.{k}") for k in ("title", "noise_share", "factor")}
    methods = {oa.importance.method for oa in results if oa.importance is not None}
    lines = [
        f"# {t['title'].both(' ', cap=True)}: {sw['name']}",
        "",
        f"Sweep file `{sw['file']}` (hash {sw['hash'][:12]}), {sw['design']} design, {sw['points']} design "
        f"points × {sw['replications']} replicates = {sw['runs']} runs, seed {sw['seed']}.",
        "",
        "Replicates are averaged per design point before the indices are computed. "
        f"*{capital(t['noise_share'].en)}* {t['noise_share'].zh} = mean within-point variance / total variance "
        "of all runs.",
        *(METHOD_TEXT[m] for m in METHODS if m in methods),
        "",
        f"{capital(t['factor'].en)}s {t['factor'].zh}: "
        + ", ".join(f"`{n}` ({f.get('kind')}: {factor_label(n, f)})" for n, f in factors.items()),
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
        if oa.importance is not None:
            names = METHODS[oa.importance.method][1]
            head = " | ".join(f"{INDEX_LABEL[k]} | {INDEX_LABEL[k]} 95 %" for k in names)
            lines += [f"| rank | {t['factor'].both(' ')} | {head} |", "|---:|---|" + "---:|---|" * len(names)]
            for rank, f in enumerate(oa.importance.ranked(), 1):
                row = oa.importance.values[f]
                cells = " | ".join(
                    f"{_fmt(row[k][0])} | "
                    + (f"[{_fmt(row[k][1])}, {_fmt(row[k][2])}]" if row[k][2] > row[k][1] else "–")
                    for k in names
                )
                lines.append(f"| {rank} | `{f}` {factors[f].get('name_zh') or ''} | {cells} |")
            if oa.importance.threshold is not None:
                v, lo, hi = oa.importance.threshold
                lines.append(
                    f"| – | {imp.DUMMY} {term('analyze.dummy').zh} | {_fmt(v)} | [{_fmt(lo)}, {_fmt(hi)}] | | |"
                )
            lines.append("")
        for w in oa.warnings:
            lines += [f"**Warning:** {w}.", ""]
        if oa.note:
            lines += [f"Note: {oa.note}.", ""]
        lines += [f"![{oa.name}]({pngs[oa.name]})", ""]
    return "\n".join(lines)


def indices_csv(manifest: dict[str, Any], results: list[OutcomeAnalysis]) -> str:
    """Tidy (long) table: one row per outcome, factor and index."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["outcome", "factor", "name_zh", "method", "index", "value", "low", "high", "rank", "noise_share"]
    )
    factors = manifest["sweep"]["factors"]
    for oa in results:
        noise = "" if oa.noise_share is None else f"{oa.noise_share:.6g}"
        if oa.importance is None:
            for f in factors:
                w.writerow([oa.name, f, factors[f].get("name_zh", ""), "", "", "", "", "", "", noise])
            continue
        rank = {f: i for i, f in enumerate(oa.importance.ranked(), 1)}
        for f in factors:
            for index, (v, lo, hi) in oa.importance.values[f].items():
                w.writerow(
                    [oa.name, f, factors[f].get("name_zh", ""), oa.importance.method, index,
                     *(f"{x:.6g}" for x in (v, lo, hi)), rank[f], noise]
                )  # fmt: skip
    return buf.getvalue()


def console_summary(results: list[OutcomeAnalysis]) -> list[str]:
    """A few lines per outcome for the terminal: the ranking and every warning."""
    lines = []
    for oa in results:
        if oa.importance is not None:
            main = oa.importance.main
            ranked = ", ".join(
                f"{f} ({INDEX_LABEL[main]} {_fmt(oa.importance.values[f][main][0], 2)})"
                for f in oa.importance.ranked()
            )
            lines.append(f"{oa.name}: {ranked}")
        else:
            lines.append(f"{oa.name}: {oa.note}")
        lines += [f"  warning: {w}" for w in oa.warnings]
    return lines


def write_analysis(out: Path) -> tuple[Path, list[OutcomeAnalysis]]:
    """Analyse the sweep in ``out`` and write ``out/analysis/``; returns that directory and
    the analyses."""
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
    return dest, results

"""``chainsim discover DIR --outcome M --below/--above X``: scenario discovery (情景发现) on a
finished sweep — *under which conditions does the outcome hold?*

PRIM (the Patient Rule Induction Method, Friedman & Fisher 1999, as adapted to scenario
discovery by Bryant & Lempert 2010) peels the factor space, a few per cent of the runs
at a time, towards a box where the outcome holds for most runs (*density*) while keeping
most of the runs where it holds (*coverage*). Every box of the peeling trajectory is a
candidate: the trade-off between coverage and density is the analyst's choice, so
chainsim writes the whole trajectory (table and plot) and reports one box, the densest
with coverage at least ``--min-coverage`` (default 0.5).

The implementation is the EMA Workbench's (``ema_workbench.analysis.prim``): maintained,
BSD-licensed, the reference implementation of scenario discovery in exploratory
modelling; the standalone ``PRIM`` package is GPL-licensed and unmaintained, and a
home-made peeling would be one more thing to test. Each *run* is a case (replicates are
not averaged: their noise is part of what the box must hold against).
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from chainsim.config.loader import ScenarioError
from chainsim.fonts import use_cjk
from chainsim.results.outputs import atomic_write
from chainsim.sweep.labels import factor_label
from chainsim.vocabulary import capital, outcome_label, term


@dataclass
class Box:
    """One box of the peeling trajectory: limits of the factors it restricts."""

    index: int
    coverage: float
    density: float
    mass: float
    limits: dict[str, tuple[Any, Any] | list[Any]]  # range factor: (low, high); discrete: the values kept
    pruned_from: int | None = None  # the trajectory box whose insignificant restrictions were dropped


@dataclass
class Discovery:
    outcome: str
    condition: str  # e.g. "< 500"
    cases: int
    hits: int
    trajectory: list[Box]
    chosen: Box | None
    min_coverage: float
    manifest: dict[str, Any]  # the sweep's, for the report


#: restrictions whose quasi-p value exceeds this are dropped from the reported box
QUASI_P = 0.05


def find_boxes(
    x: Any, hit: np.ndarray, min_coverage: float = 0.5, peel_alpha: float = 0.05
) -> tuple[list[Box], Box | None]:
    """PRIM's peeling trajectory for the cases ``x`` (a DataFrame, one column per factor)
    where ``hit`` is true, and the box to report: the densest with at least
    ``min_coverage``, without its restrictions that are not significant."""
    # whole-number factors as floats: PRIM's pasting moves a limit to a midpoint (18.5), which
    # pandas refuses to write into an integer column
    x = x.astype({c: float for c in x.columns if x[c].dtype.kind in "iu"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ema_workbench warns about optional packages it does not need here
        from ema_workbench.analysis import prim

        logging.getLogger("EMA").setLevel(logging.ERROR)
        logging.getLogger("EMA.analysis.prim").setLevel(logging.ERROR)
        p = prim.Prim(x, hit.astype(bool), peel_alpha=peel_alpha, mass_min=0.05)
        box = p.find_box()
        traj = box.peeling_trajectory
        boxes = [_box(box, x, i) for i in range(len(traj))]
        eligible = [b for b in boxes if b.coverage >= min_coverage]
        if not eligible:
            return boxes, None
        best = max(eligible, key=lambda b: (b.density, b.coverage))
        # Drop the restrictions that are not significant (quasi-p > 0.05, Bryant & Lempert
        # 2010): PRIM peels greedily and picks up factors that only look restrictive by chance.
        stats = box.inspect(best.index, style="data")[0][1]
        qp = stats.iloc[:, 2:].to_numpy(float)
        for dim, row in zip(stats.index, qp, strict=True):
            if not (np.nan_to_num(row, nan=1.0) <= QUASI_P).any():
                box.drop_restriction(dim, best.index if len(box.peeling_trajectory) == len(traj) else None)
        if len(box.peeling_trajectory) == len(traj):
            return boxes, best
        chosen = _box(box, x, len(box.peeling_trajectory) - 1)
        chosen.index, chosen.pruned_from = len(traj), best.index
        return boxes, chosen


def _box(box: Any, x: Any, i: int) -> Box:
    """Box ``i`` of an EMA Workbench PrimBox, with only the factors it restricts."""
    traj, lims = box.peeling_trajectory, box.box_lims[i]
    restricted: dict[str, tuple[Any, Any] | list[Any]] = {}
    for col in x.columns:
        lo, hi = lims[col].iloc[0], lims[col].iloc[1]
        if x[col].dtype.kind in "fiu":
            if lo > x[col].min() or hi < x[col].max():
                restricted[col] = (float(lo), float(hi))
        else:
            kept = sorted(lo) if isinstance(lo, set) else lo
            if set(kept) != set(x[col].unique()):
                restricted[col] = list(kept)
    row = traj.iloc[i]
    return Box(i, float(row["coverage"]), float(row["density"]), float(row["mass"]), restricted)


def discover(
    out: Path, outcome: str, below: float | None, above: float | None, min_coverage: float
) -> Discovery:
    """Check the sweep in ``out`` and run PRIM on it (writes nothing)."""
    from chainsim.sweep.analyze import load_finished

    if (below is None) == (above is None):
        raise ScenarioError(
            "give exactly one of --below X or --above X (the condition the runs of interest meet)", out
        )
    if not 0 < min_coverage <= 1:
        raise ScenarioError(f"--min-coverage must be in (0, 1], got {min_coverage}", out)
    manifest, runs, _ = load_finished(out)
    sw = manifest["sweep"]
    if outcome not in sw["outcomes"]:
        raise ScenarioError(
            f"{out}: outcome {outcome!r} is not in this sweep; its outcomes are: {', '.join(sw['outcomes'])}",
            out,
        )
    factors = [f for f in sw["factors"] if f in runs.columns and runs[f].nunique() > 1]
    if not factors:
        raise ScenarioError(f"{out}: no factor takes more than one value: nothing to discover", out)
    y = runs[outcome].to_numpy(float)
    hit = y < below if below is not None else y > above  # type: ignore[operator]
    condition = f"< {below:g}" if below is not None else f"> {above:g}"
    if not hit.any() or hit.all():
        share = "none" if not hit.any() else "all"
        raise ScenarioError(
            f"{out}: {share} of the {len(y)} runs have {outcome} {condition} (it ranges {np.nanmin(y):.4g} … "
            f"{np.nanmax(y):.4g}): choose a threshold inside that range",
            out,
        )
    x = runs[factors].copy()
    for f in factors:
        if x[f].dtype.kind == "b" or x[f].dtype == object:
            x[f] = x[f].astype(str).astype("category")
    trajectory, chosen = find_boxes(x.reset_index(drop=True), hit, min_coverage)
    return Discovery(outcome, condition, len(y), int(hit.sum()), trajectory, chosen, min_coverage, manifest)


# --------------------------------------------------------------------------- output
def describe(limits: dict, factors: dict[str, dict], human: bool = False, zh: bool = True) -> list[str]:
    """One line per restricted factor: its name in the sweep file and ``name_zh`` (in
    tables), or with ``human`` its human name from the schema (the reported box, the plot)."""
    lines = []
    for f, lim in limits.items():
        if human:
            label = f"{f} ({factor_label(f, factors.get(f, {}), zh=zh)})"
        else:
            own = factors.get(f, {}).get("name_zh") or ""
            label = f"`{f}`" + (f" {own}" if own else "")
        if isinstance(lim, tuple):
            lines.append(f"{label}: {lim[0]:.4g} … {lim[1]:.4g}")
        else:
            lines.append(f"{label}: one of {', '.join(map(str, lim))}")
    return lines


def report_md(d: Discovery, plot_name: str) -> str:
    manifest = d.manifest
    t = {k: term(f"discover.{k}") for k in ("title", "coverage", "density")}
    sw, factors = manifest["sweep"], manifest["sweep"]["factors"]
    lines = [
        f"# {capital(t['title'].both(' '))}: {d.outcome} {d.condition}",
        "",
        f"Sweep `{sw['file']}` ({sw['design']} design, {sw['runs']} runs). Runs of interest: {d.hits} of "
        f"{d.cases} ({d.hits / d.cases:.0%}) have {d.outcome} {d.condition}.",
        "",
        f"PRIM (EMA Workbench), each run a case. *Coverage* {t['coverage'].zh} = share of the runs of interest "
        f"inside the box; *density* {t['density'].zh} = share of the runs inside the box that are of interest; *mass* = share of "
        "all runs inside the box. Every box of the peeling trajectory is a candidate (table below); the "
        f"one reported is the densest with coverage ≥ {d.min_coverage:g}.",
        "",
    ]
    if d.chosen is None:
        lines += [
            f"No box keeps coverage ≥ {d.min_coverage:g}: lower --min-coverage to see denser boxes.",
            "",
        ]
    else:
        b = d.chosen
        lines += [
            f"## The box (trajectory step {b.index if b.pruned_from is None else b.pruned_from})",
            "",
            f"Coverage {b.coverage:.2f}, density {b.density:.2f}, mass {b.mass:.2f}."
            + (
                f" Restrictions of step {b.pruned_from} that are not significant (quasi-p > {QUASI_P}, "
                "Bryant & Lempert 2010) are dropped."
                if b.pruned_from is not None
                else ""
            ),
            "",
            *(
                f"- {line}"
                for line in describe(b.limits, factors, human=True)
                or ["no restriction: the outcome holds everywhere alike"]
            ),
            "",
        ]
    lines += [
        f"![coverage–density trade-off]({plot_name})",
        "",
        "| step | coverage | density | mass | restricted factors |",
        "|---:|---:|---:|---:|---|",
    ]
    for b in d.trajectory:
        lines.append(
            f"| {b.index} | {b.coverage:.3f} | {b.density:.3f} | {b.mass:.3f} | {'; '.join(describe(b.limits, factors))} |"
        )
    return "\n".join(lines) + "\n"


def trajectory_csv(d: Discovery) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["step", "coverage", "density", "mass", "factor", "low", "high", "values", "chosen"])
    rows = d.trajectory + ([d.chosen] if d.chosen is not None and d.chosen.pruned_from is not None else [])
    for b in rows:
        chosen = int(b is d.chosen)
        if not b.limits:
            w.writerow(
                [b.index, f"{b.coverage:.6g}", f"{b.density:.6g}", f"{b.mass:.6g}", "", "", "", "", chosen]
            )
        for f, lim in b.limits.items():
            lo, hi, values = (
                (f"{lim[0]:.6g}", f"{lim[1]:.6g}", "")
                if isinstance(lim, tuple)
                else ("", "", "|".join(map(str, lim)))
            )
            w.writerow(
                [b.index, f"{b.coverage:.6g}", f"{b.density:.6g}", f"{b.mass:.6g}", f, lo, hi, values, chosen]
            )
    return buf.getvalue()


def figure(d: Discovery, zh: bool) -> Any:
    """Coverage against density along the trajectory, coloured by the number of restricted
    factors; the outcome by its human name, and the reported box's limits under the plot."""
    import matplotlib.pyplot as plt

    cov = [b.coverage for b in d.trajectory]
    den = [b.density for b in d.trajectory]
    dims = [len(b.limits) for b in d.trajectory]
    box = describe(d.chosen.limits, d.manifest["sweep"]["factors"], human=True, zh=zh) if d.chosen else []
    height = 5.5 + 0.2 * len(box)  # inches: room under the axes for the box, a line a factor
    fig, ax = plt.subplots(figsize=(8, height))
    sc = ax.scatter(cov, den, c=dims, cmap="viridis", s=40)
    if d.chosen is not None:
        ax.scatter(
            [d.chosen.coverage], [d.chosen.density], s=220, facecolors="none", edgecolors="red", linewidths=2
        )
    cov_t, den_t, dim_t = (term(f"discover.{k}") for k in ("coverage", "density", "restricted"))
    ax.set_xlabel(cov_t.both(" ") if zh else cov_t.en, fontsize=14)
    ax.set_ylabel(den_t.both(" ") if zh else den_t.en, fontsize=14)
    ax.set_title(f"{outcome_label(d.outcome, zh=zh)} {d.condition}", fontsize=13)
    ax.grid(alpha=0.3)
    fig.colorbar(sc, ax=ax, label=dim_t.both(" ") if zh else dim_t.en)
    if box:  # the circled box, in words
        fig.text(0.01, 0.01, "\n".join(box), fontsize=10, va="bottom", ha="left")
    fig.tight_layout(rect=(0, (0.2 * len(box) + 0.1) / height if box else 0, 1, 1))
    return fig


def plot(d: Discovery, path: Path) -> None:
    """:func:`figure` as a PNG (Chinese on it only where a font draws it)."""
    zh = use_cjk() is not None
    import matplotlib.pyplot as plt

    fig = figure(d, zh)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    atomic_write(path, lambda p: p.write_bytes(buf.getvalue()))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")


def write_discovery(
    out: Path, outcome: str, below: float | None, above: float | None, min_coverage: float
) -> tuple[Path, Discovery]:
    """Discover and write ``out/discovery/<outcome>_<condition>/``: report.md, trajectory.csv, tradeoff.png."""
    d = discover(out, outcome, below, above, min_coverage)  # every check first
    threshold = below if below is not None else above
    assert threshold is not None and math.isfinite(threshold)
    dest = out / "discovery" / _slug(f"{outcome}_{'below' if below is not None else 'above'}_{threshold:g}")
    dest.mkdir(parents=True, exist_ok=True)
    plot(d, dest / "tradeoff.png")
    text = trajectory_csv(d)
    atomic_write(dest / "trajectory.csv", lambda p: p.write_text(text, encoding="utf-8"))
    md = report_md(d, "tradeoff.png")
    atomic_write(dest / "report.md", lambda p: p.write_text(md, encoding="utf-8"))
    return dest, d

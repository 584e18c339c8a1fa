"""The report's figures: matplotlib PNGs sized and lettered for a projector.

Each function takes numbers already computed (:mod:`chainsim.report.stats`) and writes
one PNG through a temporary file and a rename. Intervals are drawn the same way
everywhere: a thick bar (or dark band) for parameter uncertainty between posterior draws,
a thin bar (or light band) for the total with stochastic noise added.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chainsim.fonts import use_cjk
from chainsim.report.stats import Effect
from chainsim.results.outputs import atomic_write
from chainsim.vocabulary import term

BLUE, DARK = "tab:blue", "#1f3b73"
#: large type for a projector
PROJECTOR = {
    "font.size": 15,
    "axes.titlesize": 17,
    "axes.labelsize": 15,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "legend.fontsize": 13,
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "axes.unicode_minus": False,
}


def setup() -> str | None:
    """Projector type and a CJK fallback font; the font's name, or None (then English only)."""
    return use_cjk(**PROJECTOR)


def _effect(ax: Any, e: Effect, at: float, horizontal: bool) -> None:
    """One effect at ``at`` on the other axis: thin bar = total 95 %, thick = parameter 95 %,
    open dot = mean."""

    def bar(lo_hi: tuple[float, float], **style: Any) -> None:
        if horizontal:
            ax.plot(list(lo_hi), [at, at], solid_capstyle="butt", **style)
        else:
            ax.plot([at, at], lo_hi, **style)

    bar(e.interval("total"), color=BLUE, lw=2)
    bar(e.interval("param"), color=DARK, lw=8 if horizontal else 10, alpha=0.85)
    ax.plot(*((e.mean, at) if horizontal else (at, e.mean)), "o", color="white", mec=DARK, mew=2, ms=10)


def _finish_with_bands(
    fig: Any, handles: list[Any], title: str, size: int, top: float, path: Path, draws: bool
) -> None:
    """Title, the legend of the interval widths below the panels, layout, save. Without
    posterior draws there is no parameter band: the one band is the noise."""
    fig.suptitle(title, fontsize=size)
    labels = [term("report.param_band").both(), term("report.total_band").both()]
    if not draws:
        handles, labels = handles[1:], [term("report.noise_band").both()]
    fig.legend(
        handles,
        labels,
        loc="lower center",
        ncol=2,
        bbox_to_anchor=(0.5, -0.02),
        frameon=False,
    )
    fig.tight_layout(rect=(0, 0.05, 1, top))
    _save(fig, path)


def _save(fig: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    atomic_write(path, lambda p: fig.savefig(p, format="png", bbox_inches="tight"))
    plt.close(fig)


def _grid(n: int, width: float = 6.2, height: float = 4.6) -> tuple[Any, list[Any]]:
    import matplotlib.pyplot as plt

    cols = min(n, 4) if n != 5 and n != 6 else 3
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.axis("off")
    return fig, flat


def forest(
    panels: Sequence[tuple[str, Sequence[tuple[str, Effect]]]], title: str, path: Path, draws: bool = True
) -> None:
    """One panel per outcome: each row an effect (dot = mean, thick = parameter 95 %,
    thin = total 95 %; without posterior draws only the thin noise bar), a zero line."""
    fig, axes = _grid(len(panels), height=1.2 + 0.9 * max(len(rows) for _, rows in panels))
    for ax, (label, rows) in zip(axes, panels, strict=False):
        for i, (_name, e) in enumerate(rows):
            y = len(rows) - 1 - i
            if math.isnan(e.mean):
                ax.text(0, y, "n/a", ha="center", va="center")
                continue
            _effect(ax, e, y, horizontal=True)
        ax.axvline(0, color="grey", lw=1.2, ls="--")
        ax.set_yticks(range(len(rows)), [n for n, _ in reversed(rows)])
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.set_title(label.replace(" · ", "\n"), fontsize=15)
        ax.grid(axis="x", alpha=0.3)
    from matplotlib.lines import Line2D

    legend = [Line2D([], [], color=DARK, lw=8), Line2D([], [], color=BLUE, lw=2)]
    _finish_with_bands(fig, legend, title, 20, 0.95, path, draws)


def dose(panels: Sequence[dict[str, Any]], title: str, ylabel: str, path: Path, draws: bool = True) -> None:
    """Change of an outcome against each lever's dose, relative to the reference (2023)
    level: line = mean, dark band = parameter 95 %, light band = total 95 %. A panel is
    ``{"title", "x": [...], "effects": [Effect], "reference": x0, "categorical": bool}``."""
    fig, axes = _grid(len(panels))
    for ax, p in zip(axes, panels, strict=False):
        es: list[Effect] = p["effects"]
        mean = [e.mean for e in es]
        if p.get("categorical"):
            xs = range(len(es))
            for x, e in zip(xs, es, strict=True):
                if math.isnan(e.mean):
                    continue
                _effect(ax, e, x, horizontal=False)
            ax.set_xticks(list(xs), [str(v) for v in p["x"]])
            ax.set_xlim(-0.6, len(es) - 0.4)
        else:
            x = p["x"]
            for kind, colour, alpha in (("total", BLUE, 0.18), ("param", DARK, 0.35)):
                bands = [e.interval(kind) for e in es]
                ax.fill_between(
                    x, [lo for lo, _ in bands], [hi for _, hi in bands], color=colour, alpha=alpha, lw=0
                )
            ax.plot(x, mean, "o-", color=DARK, lw=2.5, ms=8)
            ax.axvline(p["reference"], color="tab:red", lw=1.2, ls=":")
        ax.axhline(0, color="grey", lw=1.2, ls="--")
        ax.set_title(p["title"].replace(" · ", "\n"), fontsize=15)
        ax.set_ylabel(ylabel, fontsize=13)
        ax.grid(alpha=0.3)
    from matplotlib.patches import Patch

    legend = [Patch(color=DARK, alpha=0.5), Patch(color=BLUE, alpha=0.25)]
    _finish_with_bands(fig, legend, title, 19, 0.94, path, draws)


def funnels(
    arms: Sequence[tuple[str, dict[str, float]]], stages: Sequence[str], title: str, path: Path
) -> None:
    """The pipeline funnel of each arm: mean count of each stage's flow (log scale), labelled."""
    fig, axes = _grid(len(arms), width=5.0, height=3.9)
    top = max(max(v for v in counts.values() if v == v) for _, counts in arms)
    for ax, (label, counts) in zip(axes, arms, strict=False):
        vals = [counts.get(s, math.nan) for s in stages]
        y = range(len(stages))[::-1]
        ax.barh(list(y), vals, color=[DARK, BLUE, "tab:cyan", "tab:green", "tab:olive"][: len(stages)])
        for yy, v in zip(y, vals, strict=True):
            if v == v:
                ax.text(v * 1.08, yy, f"{v:,.0f}", va="center", fontsize=12)
        ax.set_xscale("log")
        ax.set_xlim(1, top * 8)
        ax.set_yticks(list(y), list(stages))
        ax.set_title(label, fontsize=15)
    fig.suptitle(title, fontsize=19)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    _save(fig, path)


def bars(e: Effect) -> str:
    """The interval a frontier bar shows: parameter uncertainty, or the noise without draws."""
    return "noise" if math.isnan(e.param_sd) else "param"


def frontier(
    points: Sequence[tuple[str, Effect, Effect]],
    xlabel: str,
    ylabel: str,
    title: str,
    path: Path,
    zero: bool = False,
) -> None:
    """Each mix at (mean x, mean y) with parameter 95 % bars; the Pareto-efficient mixes
    (no other mix better in both) joined by a line. x and y may be levels or paired
    differences from a baseline mix (then the baseline sits at 0, 0)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 7.5))
    for label, ex, ey in points:
        ax.errorbar(
            ex.mean,
            ey.mean,
            xerr=[[ex.mean - ex.interval(bars(ex))[0]], [ex.interval(bars(ex))[1] - ex.mean]],
            yerr=[[ey.mean - ey.interval(bars(ey))[0]], [ey.interval(bars(ey))[1] - ey.mean]],
            fmt="o",
            ms=11,
            color=DARK,
            ecolor=BLUE,
            elinewidth=2,
            capsize=4,
        )
        ax.annotate(label, (ex.mean, ey.mean), textcoords="offset points", xytext=(8, 8), fontsize=13)
    eff = pareto([(ex.mean, ey.mean) for _, ex, ey in points])
    front = sorted((points[i][1].mean, points[i][2].mean) for i in eff)
    if len(front) > 1:
        ax.plot(
            *zip(*front, strict=True), color="tab:red", lw=2, ls="--", label=term("report.frontier").both()
        )
        ax.legend(loc="best")
    if zero:
        ax.axhline(0, color="grey", lw=1, ls=":")
        ax.axvline(0, color="grey", lw=1, ls=":")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title.replace(" · ", "\n"), fontsize=18)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    _save(fig, path)


def pareto(xy: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats in both coordinates (both maximised)."""
    out = []
    for i, (x, y) in enumerate(xy):
        if any(x2 >= x and y2 >= y and (x2 > x or y2 > y) for j, (x2, y2) in enumerate(xy) if j != i):
            continue
        out.append(i)
    return out

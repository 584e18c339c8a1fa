"""`chainsim decompose [FACTUAL] [COUNTERFACTUAL]`: the difference between two scenarios
split into the contributions of their components (climate, each strategy, other) by exact
Shapley values over paired runs (:mod:`chainsim.results.decompose`); printed bilingually
and written as decompose.json, decompose.csv and decompose.png."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from chainsim.results.runopts import add_run_options, check_run_options, finish

DECOMPOSE_FILES = ("decompose.json", "decompose.csv", "decompose.png")
DEFAULT_FACTUAL = "scenarios/kunming_2023.yaml"
DEFAULT_COUNTERFACTUAL = "scenarios/kunming_2023_as_2022.yaml"


def add_parser(sub: argparse._SubParsersAction) -> None:

    p = sub.add_parser(
        "decompose",
        help="split the difference between two scenarios (default: 2023's growth) into the climate "
        "and each strategy (Shapley values over paired runs)",
    )
    p.add_argument(
        "factual",
        nargs="?",
        default=DEFAULT_FACTUAL,
        help=f"the factual scenario (default {DEFAULT_FACTUAL})",
    )
    p.add_argument(
        "counterfactual", nargs="?", default=DEFAULT_COUNTERFACTUAL,
        help=f"the counterfactual scenario (default {DEFAULT_COUNTERFACTUAL})",
    )  # fmt: skip
    add_run_options(p, "decompose.json, .csv and .png", "override a field in both scenarios")
    p.add_argument("--period", default="2023H1", help="reporting period decomposed (default 2023H1)")
    p.add_argument(
        "--base-period", default="2022H1", help="period the growth is measured from (default 2022H1)"
    )
    p.set_defaults(handler=run_decompose)


def run_decompose(args: argparse.Namespace) -> int:
    from chainsim.results.decompose import decompose

    check_run_options(args)
    d = decompose(
        args.factual, args.counterfactual, args.replications, args.seed, args.overrides,
        args.period, args.base_period,
    )  # fmt: skip
    return finish(args, d, write, show)


def write(out: Path, d) -> None:  # noqa: ANN001 - a Decomposition
    from chainsim.results.outdir import atomic_write, clean_tmp, write_marker

    out.mkdir(parents=True, exist_ok=True)
    write_marker(out, "decompose", DECOMPOSE_FILES)
    clean_tmp(out, DECOMPOSE_FILES)
    atomic_write(
        out / "decompose.json",
        lambda p: p.write_text(
            json.dumps(d.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        ),
    )
    atomic_write(out / "decompose.csv", lambda p: d.to_csv(p))
    atomic_write(out / "decompose.png", lambda p: plot(d, p))


def plot(d, path: Path) -> None:  # noqa: ANN001 - a Decomposition
    """One panel per metric: each component's contribution with its interval, and the total."""
    from chainsim.fonts import use_cjk

    zh = use_cjk() is not None  # without a CJK font: English labels only
    import matplotlib.pyplot as plt

    metrics = list(dict.fromkeys(r.metric for r in d.rows))
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.2), squeeze=False)
    for ax, m in zip(axes[0], metrics):
        rows = [r for r in d.rows if r.metric == m]
        y = list(range(len(rows)))[::-1]
        ax.barh(y, [r.contribution for r in rows], color=["#4c72b0"] * (len(rows) - 1) + ["#555555"])
        err = [[max(r.contribution - r.ci95_low, 0) if not math.isnan(r.ci95_low) else 0 for r in rows],
               [max(r.ci95_high - r.contribution, 0) if not math.isnan(r.ci95_high) else 0 for r in rows]]  # fmt: skip
        ax.errorbar([r.contribution for r in rows], y, xerr=err, fmt="none", ecolor="black", capsize=3)
        ax.set_yticks(y, [r.component_en + (f"\n{r.component_zh}" if zh else "") for r in rows], fontsize=7)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_title(rows[0].label_en + (f"\n{rows[0].label_zh}" if zh else ""), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=120)
    plt.close(fig)


def show(d) -> None:  # noqa: ANN001 - a Decomposition
    from chainsim.vocabulary import label

    print(f"chainsim decompose · factual = {d.factual} · counterfactual = {d.counterfactual}")
    print(
        f"seed {d.seed} · {d.replications} replicates × {2 ** len(d.components)} arms · {d.period} vs {d.base_period}"
    )
    print(label("decompose.title", "en") + " · " + label("decompose.title", "zh"))
    print(label("decompose.contribution", "en") + " · " + label("decompose.contribution", "zh"))
    for c, paths in d.components.items():
        shown = ", ".join(paths[:4]) + (f" … (+{len(paths) - 4})" if len(paths) > 4 else "")
        print(f"  {c}: {shown}")
    for m in dict.fromkeys(r.metric for r in d.rows):
        rows = [r for r in d.rows if r.metric == m]
        means = d.means[m]
        print(
            f"\n{rows[0].label_en} · {rows[0].label_zh}:  {means['counterfactual']:,.2f} → {means['factual']:,.2f}"
        )
        for r in rows:
            ci = "" if math.isnan(r.ci95_low) else f"[{r.ci95_low:+,.2f}, {r.ci95_high:+,.2f}]"
            share = "" if math.isnan(r.share) else f"{100 * r.share:5.0f} %"
            print(
                f"  {r.component_en[:34]:34s} {r.contribution:+11,.2f} {ci:26s} {share:>7s}  {r.component_zh}"
            )

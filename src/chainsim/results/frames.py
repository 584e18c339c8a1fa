"""Results as pandas DataFrames and as a plot, for one run or several side by side.

``Results.to_pandas()`` gives the tidy (long) table of every ``summary.json`` indicator
per replicate — one row per (replicate, indicator) — which R, Stata and pandas users
pivot as they like; ``kind="summary"`` the means and intervals, ``kind="timeseries"`` the
per-step table. :func:`to_pandas` and :func:`plot` take one result, a list of them, or a
mapping ``label → result`` (like Covasim's ``MultiSim``), adding a ``scenario`` column.

    import chainsim
    a = chainsim.run("scenarios/kunming_2023.yaml", replications=20)
    b = chainsim.run("scenarios/kunming_2023_as_2022.yaml", replications=20)
    chainsim.to_pandas({"2023": a, "as 2022": b}).to_csv("both.csv", index=False)
    chainsim.plot({"2023": a, "as 2022": b}, "funds_in_place_yi")
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from chainsim.results.summary import Results

Many = "Results | Sequence[Results] | Mapping[str, Results]"


def leaves(tree: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(dotted path, stat) of every ``{"mean": …, "ci95": […]}`` in a summary."""
    for key, value in tree.items():
        if not isinstance(value, dict):
            continue
        path = f"{prefix}{key}"
        if "mean" in value and "ci95" in value:
            yield path, value
        else:
            yield from leaves(value, path + ".")


def labelled(results: Any) -> list[tuple[str, Results]]:
    """(label, result) pairs of one result, a sequence or a mapping (labels: the scenario
    names, numbered where two agree)."""
    if hasattr(results, "replicates") and hasattr(results, "config"):  # one Results
        return [(results.config.name, results)]
    if isinstance(results, Mapping):
        return [(str(k), v) for k, v in results.items()]
    pairs = [(r.config.name, r) for r in results]
    names = [n for n, _ in pairs]
    return [(f"{n} #{i + 1}" if names.count(n) > 1 else n, r) for i, (n, r) in enumerate(pairs)]


def one_frame(res: Results, kind: Literal["replicates", "summary", "timeseries"]) -> pd.DataFrame:
    import pandas as pd

    if kind == "timeseries":
        return res.timeseries().to_pandas()
    if kind == "summary":
        rows = [
            {"metric": path, "mean": s["mean"], "ci95_low": s["ci95"][0], "ci95_high": s["ci95"][1]}
            for path, s in leaves(res.summary())
        ]
        return pd.DataFrame(rows, columns=["metric", "mean", "ci95_low", "ci95_high"])
    if kind != "replicates":
        raise ValueError(f"kind must be 'replicates', 'summary' or 'timeseries', not {kind!r}")
    rows = []
    for i, rep in enumerate(res.replicates):
        one = type(res)(res.config, res.seed, [rep], res.date_end, res.burn_in)  # this replicate alone
        rows += [
            {"replicate": i, "seed": rep.seed, "metric": path, "value": s["mean"]}
            for path, s in leaves(one.summary())
        ]
    return pd.DataFrame(rows, columns=["replicate", "seed", "metric", "value"])


def to_pandas(
    results: Any, kind: Literal["replicates", "summary", "timeseries"] = "replicates"
) -> pd.DataFrame:
    """One tidy DataFrame for one or several results (a ``scenario`` column first).

    kind ``"replicates"`` (default): replicate, seed, metric (the summary.json path, e.g.
    ``periods.2023H1.funds_in_place_yi``), value; ``"summary"``: metric, mean, ci95_low,
    ci95_high; ``"timeseries"``: one row per step and replicate (docs/outputs.md)."""
    import pandas as pd

    frames = []
    for label, res in labelled(results):
        frame = one_frame(res, kind)
        frame.insert(0, "scenario", label)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def quarterly(res: Results, flow: str) -> tuple[list[str], np.ndarray]:
    """(quarter labels, replicate × quarter sums) of a flow over the reported horizon; a
    quarter the run ends inside is marked with "*" (its sum covers only part of it)."""
    after = np.arange(len(res.date_end)) >= res.burn_in
    dates = res.date_end[after].astype("datetime64[D]")
    quarter = dates.astype("datetime64[M]").astype(np.int64) // 3
    keys, idx = np.unique(quarter, return_inverse=True)
    sums = np.zeros((len(res.replicates), len(keys)))
    for r, rep in enumerate(res.replicates):
        rec = rep.recorder
        np.add.at(sums[r], idx, rec.flows[after, rec.F[flow]])
    last_day = ((keys[-1] + 1) * 3).astype("datetime64[M]").astype("datetime64[D]") - np.timedelta64(1, "D")
    labels = [f"{1970 + k // 4}Q{k % 4 + 1}" for k in keys]
    if dates[-1] < last_day:
        labels[-1] += "*"
    return labels, sums


def plot(results: Any, metric: str = "funds_in_place_yi", ax: Any = None) -> Figure:
    """Quarterly totals of a flow (a period metric of docs/outputs.md, e.g.
    ``funds_in_place_yi``, ``signings``, ``fdi_usd_yi``): each result's replicate mean
    as a line, its 2.5–97.5 % replicate range as a band. Returns the figure."""
    import matplotlib.pyplot as plt

    from chainsim.fonts import use_cjk
    from chainsim.vocabulary import known, metric_term, term

    pairs = labelled(results)
    if metric not in pairs[0][1].flow_names:
        known = ", ".join(n for n in pairs[0][1].flow_names if "." not in n)
        raise ValueError(f"unknown metric {metric!r}; plot a flow: {known}")
    zh = use_cjk() is not None  # before the figure: it sets the font
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 4.8))
    else:
        fig = ax.figure
    series = [(label, res, *quarterly(res, metric)) for label, res in pairs]
    quarters = sorted({q for *_, qs, _ in series for q in qs})
    partial = any(q.endswith("*") for q in quarters)
    for label, res, qs, sums in series:
        x = [quarters.index(q) for q in qs]
        mean = sums.mean(axis=0)
        line = ax.plot(x, mean, marker="o", label=f"{label} (R = {len(res.replicates)})")[0]
        if len(res.replicates) > 1:
            lo, hi = np.percentile(sums, [2.5, 97.5], axis=0)
            ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.2)
    t = metric_term(metric) if known(f"metric.{metric}") else None
    ylabel = metric if t is None else (t.both(sep="\n", unit=True) if zh else t.text("en", unit=True))
    ax.set_ylabel(ylabel, fontsize=12)
    ax.set_xticks(range(len(quarters)), quarters)
    ax.set_xlabel(
        (term("word.per_quarter").both() if zh else term("word.per_quarter").en)
        + ("   (* the run ends inside the quarter)" if partial else "")
    )
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig

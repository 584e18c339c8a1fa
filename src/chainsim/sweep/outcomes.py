"""Outcomes: which ``summary.json`` metrics a sweep keeps, and their values in a run.

An outcome is a dotted path to one metric block (``{"mean", "ci95"}``) of ``summary.json``
(docs/outputs.md), e.g. ``periods.2023H1.funds_in_place_yi`` or ``cohorts.2022.landing_rate``;
``*`` matches any one key (``periods.*.fdi_usd_yi``). Paths are checked and expanded
against the summary structure of the base scenario, built without running the model. A
run is one replicate, so its value of a metric is that summary's ``mean``.
"""

from __future__ import annotations

import difflib
import warnings
from typing import Any

from chainsim.config.dotted import get, join
from chainsim.config.schema import Scenario


def summary_skeleton(cfg: Scenario) -> dict[str, Any]:
    """The summary.json structure of ``cfg`` without running it (a run with no flows)."""
    from chainsim.engine.calendar import Calendar
    from chainsim.engine.chains import ChainIndex
    from chainsim.engine.records import Recorder
    from chainsim.results.summary import Replicate, Results

    cal = Calendar(cfg.calendar)
    rec = Recorder(
        cal.n_steps,
        ChainIndex(cfg.chains).n_segments,
        list(cfg.events),
        list(cfg.reporting.cohorts),
        float(cal.day_of(cfg.calendar.start_date) - 1),
    )
    res = Results(config=cfg, seed=0, replicates=[Replicate(seed=0, recorder=rec)])
    res.date_end, res.burn_in = cal.date_end, cal.burn_in
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # medians of no completions
        return res.summary()


def leaf_paths(summary: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths of the numeric metrics of a summary: every {"mean", "ci95"} block."""
    out = []
    for k, v in summary.items():
        if isinstance(v, dict):
            out += [prefix + (k,)] if "mean" in v else leaf_paths(v, prefix + (k,))
    return out


def expand_outcomes(patterns: list[str], skeleton: dict[str, Any], fail: Any) -> list[str]:
    """Expand ``*`` in outcome paths against the summary; unknown paths are errors."""
    leaves = [join(p) for p in leaf_paths(skeleton)]
    out: list[str] = []
    for i, pattern in enumerate(patterns):
        parts = pattern.split(".")
        hits = [leaf for leaf in leaves if _match(parts, leaf.split("."))]
        if not hits:
            close = difflib.get_close_matches(pattern, leaves, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise fail(
                ("outcomes", i),
                f"{pattern!r} names no metric of summary.json (docs/outputs.md; "
                f"e.g. periods.2023H1.funds_in_place_yi, cohorts.2022.landing_rate){hint}",
            )
        out += [h for h in hits if h not in out]
    return out


def _match(pattern: list[str], path: list[str]) -> bool:
    return len(pattern) == len(path) and all(p in ("*", q) for p, q in zip(pattern, path, strict=True))


def outcome_value(summary: dict[str, Any], path: str) -> float | None:
    """The replicate's value of one outcome (the mean of a one-replicate summary)."""
    return get(summary, path)["mean"]

"""The report's numbers in Markdown: values, intervals and tables of effects; and every
effect row again at full precision for ``effects.csv`` (:func:`recording`)."""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from chainsim.report.labels import word
from chainsim.report.stats import Effect
from chainsim.vocabulary import outcome_label


def num(x: float, outcome: str = "") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if outcome.endswith("_rate"):
        return f"{100 * x:.1f} %"
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def ci(e: Effect, kind: str, outcome: str = "") -> str:
    return bounds(*e.interval(kind), outcome)


def bounds(lo: float, hi: float, outcome: str = "") -> str:
    if math.isnan(lo) or math.isnan(hi):
        return "–"
    return f"[{num(lo, outcome)}, {num(hi, outcome)}]"


@dataclass
class EffectLog:
    """The effect rows of the report being written (``effects.csv``), and the sweep whose
    sections are being written now."""

    sweep: str = ""
    rows: list[dict] = field(default_factory=list)


#: the log of the report being written (None: not recording); a context variable so that the
#: sections need not pass it through every table they write
_LOG: contextvars.ContextVar[EffectLog | None] = contextvars.ContextVar("effect_log", default=None)


@contextlib.contextmanager
def recording() -> Iterator[EffectLog]:
    """Collect every effect row written inside the block (set ``.sweep`` before each sweep)."""
    log = EffectLog()
    token = _LOG.set(log)
    try:
        yield log
    finally:
        _LOG.reset(token)


def _record(name: str, e: Effect, outcome: str, gain: float, draws: bool) -> None:
    log = _LOG.get()
    if log is None:
        return
    nan = (math.nan, math.nan)
    param, total = (e.interval("param"), e.interval("total")) if draws else (nan, nan)
    noise = e.interval("noise")
    log.rows.append(
        {
            "sweep": log.sweep,
            "outcome": outcome,
            "effect": name,
            "mean": e.mean,
            "parameter_95_low": param[0],
            "parameter_95_high": param[1],
            "noise_95_low": noise[0],
            "noise_95_high": noise[1],
            "total_95_low": total[0],
            "total_95_high": total[1],
            "mc_95_half_width": 1.96 * e.mc_se,
            "crn_gain": gain,
            "draws": e.k if draws else 0,
            "replicates": e.r,
        }
    )


def effect_row(name: str, e: Effect, outcome: str, u: Effect | None = None, *, draws: bool = True) -> str:
    """One effect's row; without posterior draws there is no parameter-uncertainty column."""
    ratio = (
        u.noise_sd / e.noise_sd
        if u is not None and e.noise_sd > 0 and not math.isnan(u.noise_sd)
        else math.nan
    )
    _record(name, e, outcome, ratio, draws)
    gain = "–" if math.isnan(ratio) else f"{ratio:.1f}×"
    # σ_θ is estimated as √max(between-draw − noise/R, 0): at 0 the interval would print as
    # [x, x], which reads as certainty; it means the draws differ by no more than noise
    within = draws and e.param_sd == 0.0
    param = (word("report.within_noise") if within else ci(e, "param", outcome)) + " | " if draws else ""
    total = f"{ci(e, 'total', outcome)} | " if draws else ""
    return (
        f"| {name} | **{num(e.mean, outcome)}** | {param}{ci(e, 'noise', outcome)} | "
        f"{total}±{num(1.96 * e.mc_se, outcome)} | {gain} |"
    )


def effect_head(draws: bool = True) -> list[str]:
    keys = (
        ("effect", "mean", "parameter_95", "noise_95", "total_95")
        if draws
        else ("effect", "mean", "noise_95")
    )
    words = " | ".join(word(f"report.{k}") for k in keys)
    return [f"| {words} | ± MC 95 % | CRN gain |", "|---|---:|" + "---|" * (len(keys) - 2) + "---:|---:|"]


def effect_table(
    outcome: str,
    zh: bool,
    rows: Iterable[str],
    *,
    after_name: str = "",
    above: Sequence[str] = (),
    draws: bool = True,
) -> list[str]:
    """The table of an outcome's effects: the outcome's name in bold (then ``after_name``),
    a blank line, the lines ``above`` the table, the head, one row per effect, a blank line."""
    return [f"**{outcome_label(outcome, zh)}**{after_name}", "", *above, *effect_head(draws), *rows, ""]

"""Checks of a sweep file against its base scenario, before anything runs.

Every factor must reach scenario fields (a ``key`` a single field, a ``multiply`` pattern
numeric ones, each ``sets`` override a field), every factor's extreme values and every
table point must give a valid scenario, and so must every posterior draw: a value out
of the scenario's bounds is a sweep-file error (file, line, field; exit status 2), not a
thousand failed runs. ``fail(loc, why)`` builds the error for the sweep file's ``loc``.
"""

from __future__ import annotations

import math
from typing import Any

from chainsim.config.dotted import apply, check_key, expand
from chainsim.config.loader import ScenarioError
from chainsim.config.schema import Scenario
from chainsim.sweep.posterior import PosteriorDraws
from chainsim.sweep.settings import SETTINGS, factor_settings, parse_setting, point_config
from chainsim.sweep.spec import FactorSpec, Scalar, SweepFile


def check_factor_fields(name: str, f: FactorSpec, base_data: dict, fail: Any) -> None:
    """The fields factor ``name`` sets, scales or overrides exist in the base scenario."""
    if f.key is not None:
        try:
            check_key(base_data, f.key, f.range is not None)
        except KeyError as err:
            raise fail(("factors", name, "key"), err.args[0]) from None
    elif f.multiply is not None:
        if not expand(f.multiply, base_data):
            raise fail(
                ("factors", name, "multiply"),
                f"{f.multiply!r} matches no numeric field of the base scenario "
                "(a dotted path as for --set, '*' for any key)",
            )
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in f.values or []):
            raise fail(("factors", name, "values"), "a multiply factor's values must be numbers")
    else:
        for level, texts in (f.sets or {}).items():
            for i, text in enumerate(texts):
                try:
                    key, _ = parse_setting(text)
                    check_key(base_data, key, numeric=False)
                except KeyError as err:
                    raise fail(("factors", name, "sets", level, i), err.args[0]) from None


def check_draws(draws: PosteriorDraws, base_data: dict, fail: Any) -> None:
    """Every posterior draw gives a valid scenario."""
    for k, settings in enumerate(draws.settings):
        try:
            Scenario.model_validate(apply(base_data, settings))
        except Exception as exc:  # pydantic ValidationError: its first lines
            text = "; ".join(line.strip() for line in str(exc).splitlines()[1:3])
            raise fail(
                ("posterior",),
                f"posterior draw {k} (row {draws.picks[k]} of {draws.posterior}) gives an "
                f"invalid scenario: {text}",
            ) from None


def check_values(spec: SweepFile, base_data: dict, table: list[dict] | None, fail: Any) -> None:
    """Every factor's extreme values (and every table point) must give a valid scenario,
    so that a value out of the scenario's bounds is a sweep-file error, not 1,000 failed runs."""

    def check(loc: tuple, settings: dict[str, Scalar]) -> None:
        try:
            point_config(base_data, {}, {SETTINGS: factor_settings(spec.factors, base_data, settings)})
        except Exception as exc:  # pydantic ValidationError: show its first lines
            text = "; ".join(line.strip() for line in str(exc).splitlines()[1:3])
            raise fail(loc, f"{settings} gives an invalid scenario: {text}") from None

    for name, f in spec.factors.items():
        if f.range is not None:
            lo, hi = f.range
            for v in (lo, hi):
                check(("factors", name, "range"), {name: int(v) if f.integer else v})
            if (
                not f.integer and hi > lo
            ):  # an interior value with a fraction: a whole-number field refuses it
                inside = lo + (hi - lo) / math.pi
                try:
                    check(("factors", name, "range"), {name: inside})
                except ScenarioError:
                    check(
                        ("factors", name, "range"), {name: round(inside)}
                    )  # raises itself if not for want of a whole number
                    raise fail(
                        ("factors", name, "range"),
                        f"the design draws values between {_g(lo)} and {_g(hi)} such as {_g(inside)}, which the field "
                        "refuses: it takes whole numbers — add `integer: true` to the factor",
                    ) from None
        elif f.values is not None:
            for v in f.values:  # every one: the 101st must not be the first to fail, at run time
                check(("factors", name, "values"), {name: v})
    for i, row in enumerate(table or []):
        check(("design", "table", i), row)


def _g(x: float) -> str:
    return f"{x:.6g}"

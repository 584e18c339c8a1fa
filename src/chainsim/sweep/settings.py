"""Dotted scenario keys: check them, apply them, and resolve a design point's factor values
into the ``dotted.key → value`` settings that realise them (``key``, ``multiply`` and
``sets`` factors; see :mod:`chainsim.sweep.config`)."""

from __future__ import annotations

import copy
import difflib
from typing import TYPE_CHECKING, Any

from chainsim.config.schema import Scenario

if TYPE_CHECKING:
    from chainsim.sweep.config import FactorSpec, Scalar

#: key of a design point's resolved ``dotted.key → value`` settings (multiply/sets factors, posterior draws)
SETTINGS = "_set"


class Settings(dict):
    """A point's resolved settings: a plain dict that prints short (dry runs, logs)."""

    def __repr__(self) -> str:
        return f"{{…{len(self)} resolved settings}}"


def _step(node: Any, part: str) -> Any:
    """The key of ``node`` that ``part`` names (YAML int keys such as 2023 reached by text)."""
    if isinstance(node, dict):
        if part in node:
            return part
        if part.lstrip("-").isdigit() and int(part) in node:
            return int(part)
    return None


def check_key(data: dict, key: str, numeric: bool) -> None:
    """Raise KeyError(message) unless ``key`` names a scalar field of the scenario."""
    parts, node = key.split("."), data
    for i, part in enumerate(parts):
        here = ".".join(parts[:i]) or "the top level"
        if not isinstance(node, dict):
            raise KeyError(f"{key!r}: {here} is not a mapping, so it has no {part!r}")
        k = _step(node, part)
        if k is None:
            close = difflib.get_close_matches(part, [str(x) for x in node], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise KeyError(
                f"{key!r} is not a scenario field: {here} has no key {part!r} "
                f"(it has: {', '.join(map(str, node))}){hint}"
            )
        node = node[k]
    if isinstance(node, (dict, list)):
        raise KeyError(
            f"{key!r} is a {'mapping' if isinstance(node, dict) else 'list'}, not a single "
            "value; name one field inside it"
        )
    if numeric and (isinstance(node, bool) or not isinstance(node, (int, float))):
        raise KeyError(f"{key!r} holds {node!r}, not a number, so it cannot take a range; use values")


def apply(base_data: dict, settings: dict[str, Scalar]) -> dict:
    """A copy of ``base_data`` with each dotted key set to its value."""
    data = copy.deepcopy(base_data)
    for key, value in settings.items():
        node, parts = data, key.split(".")
        for part in parts[:-1]:
            node = node[_step(node, part)]
        last = _step(node, parts[-1])
        node[parts[-1] if last is None else last] = value
    return data


def point_config(base_data: dict, keys: dict[str, str | None], point: dict[str, Any]) -> Scenario:
    """The validated scenario of one design point (``keys``: factor name → dotted key, None
    for factors that act through the point's resolved settings ``point["_set"]``)."""
    settings = {keys[n]: v for n, v in point.items() if keys.get(n)}
    settings.update(point.get(SETTINGS) or {})
    return Scenario.model_validate(apply(base_data, settings))


def parse_setting(text: str) -> tuple[str, Any]:
    """``dotted.key=value`` → (key, value parsed as YAML; dates as ISO text, as in base_data)."""
    import datetime as dt

    import yaml

    key, sep, raw = (x.strip() for x in text.partition("="))
    if not sep or not key:
        raise KeyError(
            f"{text!r}: expected dotted.key=value, e.g. strategies.leader_led.active_until=2022-12-31"
        )
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise KeyError(
            f"{text!r}: the value is not valid YAML ({getattr(exc, 'problem', None) or exc})"
        ) from None
    return key, value.isoformat() if isinstance(value, dt.date) else value


def factor_settings(factors: dict[str, FactorSpec], data: dict, point: dict[str, Any]) -> dict[str, Any]:
    """``dotted.key → value`` that realise a point's factor values on ``data`` (the base
    scenario after any posterior draw: a multiply factor scales the value found there)."""
    from chainsim.calibration.params import expand

    out: dict[str, Any] = {}
    for name, f in factors.items():
        if name not in point:
            continue
        v = point[name]
        if f.key is not None:
            out[f.key] = v
        elif f.multiply is not None:
            for path in expand(f.multiply, data):
                node: Any = data
                for part in path:
                    node = node[part]
                out[".".join(map(str, path))] = round(v * node) if isinstance(node, int) else float(v * node)
        elif f.sets is not None:
            out.update(parse_setting(text) for text in f.sets[str(v)])
    return out

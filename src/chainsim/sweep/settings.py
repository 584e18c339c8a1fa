"""A design point's settings: the ``dotted.key → value`` overrides that realise its factor
values (``key``, ``multiply`` and ``sets`` factors; see :mod:`chainsim.sweep.spec`), and
the validated scenario they give. Dotted keys themselves: :mod:`chainsim.config.dotted`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chainsim.config import dotted
from chainsim.config.schema import Scenario
from chainsim.sweep.spec import FactorSpec

#: key of a design point's resolved ``dotted.key → value`` settings (multiply/sets factors, posterior draws)
SETTINGS = "_set"


class Settings(dict):
    """A point's resolved settings: a plain dict that prints short (dry runs, logs)."""

    def __repr__(self) -> str:
        return f"{{…{len(self)} resolved settings}}"


def point_config(base_data: dict, keys: dict[str, str | None], point: dict[str, Any]) -> Scenario:
    """The validated scenario of one design point (``keys``: factor name → dotted key, None
    for factors that act through the point's resolved settings ``point["_set"]``)."""
    settings = {keys[n]: v for n, v in point.items() if keys.get(n)}
    settings.update(point.get(SETTINGS) or {})
    return Scenario.model_validate(dotted.apply(base_data, settings))


def parse_setting(text: str) -> tuple[str, Any]:
    """``dotted.key=value`` → (key, value parsed as YAML; dates as ISO text, as in base_data);
    KeyError(message) if it cannot be read."""
    try:
        key, value = dotted.parse_setting(text, example="strategies.leader_led.active_until=2022-12-31")
    except dotted.SettingError as err:
        raise KeyError(f"{text!r}: {err}") from None
    return key, value.isoformat() if isinstance(value, dt.date) else value


def factor_settings(factors: dict[str, FactorSpec], data: dict, point: dict[str, Any]) -> dict[str, Any]:
    """``dotted.key → value`` that realise a point's factor values on ``data`` (the base
    scenario after any posterior draw: a multiply factor scales the value found there)."""
    out: dict[str, Any] = {}
    for name, f in factors.items():
        if name not in point:
            continue
        v = point[name]
        if f.key is not None:
            out[f.key] = v
        elif f.multiply is not None:
            for path in dotted.expand(f.multiply, data):
                base = dotted.get(data, path)
                out[dotted.join(path)] = round(v * base) if isinstance(base, int) else float(v * base)
        elif f.sets is not None:
            out.update(parse_setting(text) for text in f.sets[str(v)])
    return out

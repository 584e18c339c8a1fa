"""Dotted keys: ``strategies.leader_led.enabled`` names one field of a nested mapping.

The one place that reads and writes them, for ``--set`` overrides (:mod:`.loader`), sweep
factors and settings (:mod:`chainsim.sweep`), calibration priors and the central
overlay (:mod:`chainsim.calibration`) and ``summary.json`` paths (outcomes, targets):

* :func:`parse_setting` reads ``dotted.key=value`` (the value as YAML, with the safe
  loader of scenario files);
* :func:`step`, :func:`check_key` and :func:`apply` walk a scenario's data by dotted key
  (YAML integer keys such as ``2023:`` are reached by their text);
* :func:`expand` finds the numeric fields a pattern matches (``*`` and globs match one
  level); :func:`get` and :func:`set_path` read and write by key path;
* :func:`nest` turns ``{"a.b": v}`` into ``{"a": {"b": v}}``; :func:`join` a key path
  into its dotted key.
"""

from __future__ import annotations

import copy
import difflib
import fnmatch
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import yaml

from chainsim.config.yamlfile import KeyPath, read_value


class SettingError(ValueError):
    """A ``dotted.key=value`` that cannot be read; ``str(err)`` says why."""


def parse_setting(text: str, example: str = "parks.anning.land_ha=900") -> tuple[str, Any]:
    """``dotted.key=value`` → (key, value read as YAML); spaces around the ``=`` and the dots
    are ignored. SettingError (naming ``example`` if the form is wrong) otherwise."""
    key, sep, raw = (x.strip() for x in text.partition("="))
    parts = [p.strip() for p in key.split(".")]
    if not sep or not all(parts):
        raise SettingError(f"expected dotted.key=value, e.g. {example}")
    try:
        value = read_value(raw)
    except yaml.YAMLError as exc:  # `problem` alone: the full str spans several lines
        raise SettingError(f"the value is not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    return ".".join(parts), value


def join(path: Iterable[Any]) -> str:
    """The dotted key of a key path: ``("periods", "2023H1", "signings")`` → ``periods.2023H1.signings``."""
    return ".".join(map(str, path))


def step(node: Any, part: str) -> Any:
    """The key of mapping ``node`` that ``part`` names (YAML int keys such as 2023 reached by
    their text), or None if there is none (or ``node`` is not a mapping)."""
    if isinstance(node, dict):
        if part in node:
            return part
        if part.lstrip("-").isdigit() and int(part) in node:
            return int(part)
    return None


def get(data: Any, path: str | Sequence[Any]) -> Any:
    """The value at a dotted key or key path (KeyError if it is not there)."""
    for part in path.split(".") if isinstance(path, str) else path:
        data = data[part]
    return data


def set_path(data: Any, path: Sequence[Any], value: Any) -> None:
    """Set the value at an existing key path's parent."""
    for k in path[:-1]:
        data = data[k]
    data[path[-1]] = value


def check_key(data: dict, key: str, numeric: bool) -> None:
    """Raise KeyError(message) unless ``key`` names a single (with ``numeric``: a numeric)
    field of ``data``; the message says what is there instead."""
    parts, node = key.split("."), data
    for i, part in enumerate(parts):
        here = ".".join(parts[:i]) or "the top level"
        if not isinstance(node, dict):
            raise KeyError(f"{key!r}: {here} is not a mapping, so it has no {part!r}")
        k = step(node, part)
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


def apply(data: dict, settings: Mapping[str, Any]) -> dict:
    """A deep copy of ``data`` with each dotted key set to its value (the parents must exist)."""
    data = copy.deepcopy(data)
    for key, value in settings.items():
        node, parts = data, key.split(".")
        for part in parts[:-1]:
            node = node[step(node, part)]
        last = step(node, parts[-1])
        node[parts[-1] if last is None else last] = value
    return data


def expand(pattern: str, data: Mapping[str, Any]) -> list[KeyPath]:
    """Key paths of the numeric fields of ``data`` that ``pattern`` matches ('*' and other
    globs match one level); empty if none."""
    return [
        path
        for path in _matches(data, pattern.split("."))
        if isinstance(v := get(data, path), (int, float)) and not isinstance(v, bool)
    ]


def _matches(data: Any, parts: list[str], prefix: KeyPath = ()) -> Iterator[KeyPath]:
    if not parts:
        yield prefix
        return
    if not isinstance(data, dict):
        return
    head, rest = parts[0], parts[1:]
    for key in data:
        if str(key) == head or (any(c in head for c in "*?[") and fnmatch.fnmatchcase(str(key), head)):
            yield from _matches(data[key], rest, prefix + (key,))


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b.c": v}`` → ``{"a": {"b": {"c": v}}}``: dotted keys (the ``--set`` form) as nested mappings."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out

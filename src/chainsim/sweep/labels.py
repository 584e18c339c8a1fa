"""Human names of scenario keys and sweep factors, in both languages, for figures and reports.

A dotted key such as ``pipeline.engage_prob_per_step`` is named by its field in the
scenario schema: the English is the field's ``title``, the Chinese the vocabulary's
:data:`chainsim.vocabulary.FIELD_ZH` entry for the field's path ("Engagement probability
per week · 接洽→洽谈概率"). A key through a mapping (``strategies.leader_led.trips.
city_2023h1.trips``) shows the mapping's keys after the title ("Leader trips [city_2023h1]").
A key the schema does not know, or a field without a title, is its own label.
"""

from __future__ import annotations

import textwrap
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from chainsim.config.schema import Scenario
from chainsim.vocabulary import field_zh, term


def schema_field(key: str) -> tuple[FieldInfo, str, list[str]] | None:
    """(the field, its schema path with ``*`` for mapping keys, the mapping keys passed) of
    a dotted scenario key, or None if the schema has no such field."""
    node: Any = Scenario
    info: FieldInfo | None = None
    path: list[str] = []
    picked: list[str] = []
    for part in key.split("."):
        node = unwrap(node)
        if isinstance(node, type) and issubclass(node, BaseModel):
            info = node.model_fields.get(part)
            if info is None:
                return None
            path.append(part)
            node = info.annotation
        elif get_origin(node) in (dict, list):
            info = None  # an entry of a mapping or list: no field of its own
            path.append("*")
            if part != "*":
                picked.append(part)
            node = get_args(node)[-1]
        else:
            return None
    return (info, ".".join(path), picked) if info is not None else None


def unwrap(tp: Any) -> Any:
    """The model, dict or list inside ``Annotated[…]`` and ``X | None``; else ``tp`` itself."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            inner = [a for a in get_args(tp) if a is not type(None)]
            tp = next((a for a in inner if get_origin(a) in (dict, list) or _is_model(a)), inner[0])
        else:
            return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def key_label(key: str, zh: bool = True) -> str:
    """ "Engagement probability per week · 接洽→洽谈概率" for ``pipeline.engage_prob_per_step``
    (English only without ``zh``, or if the vocabulary has no Chinese for it); ``key``
    itself if the schema does not know it or the field has no title."""
    found = schema_field(key)
    if found is None or not found[0].title:
        return key
    info, path, picked = found
    en = f"{info.title}" + (f" [{', '.join(picked)}]" if picked else "")
    chinese = field_zh(path) if zh else ""
    return f"{en} · {chinese}" if chinese else en


def factor_label(name: str, spec: dict[str, Any], zh: bool = True) -> str:
    """The human name of a sweep factor (``spec`` as in manifest.json): its key's label, a
    ``multiply`` factor's pattern's label as a multiplier; a factor of ``sets`` levels, or of
    a key without a title, is named by the sweep file (its name or key, and its ``name_zh``)."""
    key = spec.get("key") or spec.get("multiply")
    label = key_label(key, zh) if key else name
    if label == (key or name):  # nothing known: the sweep file's own words
        own = spec.get("name_zh") if zh else ""
        return f"{label} · {own}" if own else label
    if spec.get("multiply"):
        mult = term("word.multiplier")
        en, _, chinese = label.partition(" · ")
        label = f"{en}, {mult.en}" + (f" · {chinese}（{mult.zh}）" if chinese else "")
    return label


def axis_label(label: str, width: int = 40) -> str:
    """A bilingual label on two lines (English, then Chinese), the English wrapped at ``width``
    characters, for an axis of a figure."""
    en, _, chinese = label.partition(" · ")
    return "\n".join([textwrap.fill(en, width), *([chinese] if chinese else [])])

"""The dashboard's words, looked up in :mod:`chainsim.vocabulary` when a view is drawn.

``t(key, lang)`` gives the dashboard phrase ``ui.<key>`` (or any vocabulary term when
the key is dotted, e.g. ``strategy.leader_led``); stages and sources use the same terms
as the CLI summary and the report. Names that belong to the scenario (chains, segments,
parks, regions) come from the scenario's own ``name_en`` / ``name_zh`` fields through
:func:`name`.
"""

from __future__ import annotations

from typing import Any

from chainsim.vocabulary import LANGS, Lang, capital, label, source_term, stage_term

__all__ = ["LANGS", "Lang", "major_size", "name", "source", "stage", "t", "title"]


def t(key: str, lang: Lang, **fmt: Any) -> str:
    """The phrase ``key`` in ``lang``, formatted with ``fmt``."""
    return label(key if "." in key else f"ui.{key}", lang, **fmt)


def title(key: str, lang: Lang) -> str:
    """A vocabulary term as a control's label: "Leader-led promotion"."""
    return capital(label(key, lang))


def stage(i: int, lang: Lang) -> str:
    return stage_term(i).text(lang)


def source(i: int | str, lang: Lang) -> str:
    return source_term(i).text(lang)


def name(item: Any, lang: Lang) -> str:
    """A scenario item's own name (chains, parks, regions: ``name_en`` / ``name_zh``)."""
    get = item.get if isinstance(item, dict) else lambda k, d=None: getattr(item, k, d)
    return (get("name_zh") if lang == "zh" else get("name_en")) or get("name_en") or ""


def major_size(yi: float, lang: Lang) -> str:
    """A size threshold in words a class reads at once: "100 million yuan (1 亿元)", "1亿元";
    below 1 亿 the Chinese is in 万元 ("1173万元", not "0.1173亿元")."""
    m, w = round(yi * 100, 4), round(yi * 1e4, 2)
    return t("major_size" if yi >= 1 else "major_size_small", lang, v=yi, m=m, w=w)

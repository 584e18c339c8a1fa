"""The vocabulary's core: :class:`Term`, the registry of terms by key, and the lookups.

Terms are defined with :func:`define` (by :mod:`chainsim.vocabulary.codes` and
:mod:`chainsim.vocabulary.tables`) and looked up at call time; an unknown key falls back
to its bare name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")


@dataclass(frozen=True, slots=True)
class Term:
    """One concept: its key, English (lower case as in running text) and Chinese."""

    key: str  # "kind.name"
    en: str
    zh: str
    unit: str = ""  # 亿元, 亿美元, days …
    short_en: str = ""  # chart legends and indented rows; defaults to en
    short_zh: str = ""
    abbr: str = ""  # one-letter mark (strategies in the report's arm labels)

    @property
    def name(self) -> str:
        return self.key.partition(".")[2] or self.key

    def text(self, lang: Lang = "en", *, short: bool = False, unit: bool = False) -> str:
        """The term in ``lang``; ``unit`` appends " (亿元)" / "（亿元）"."""
        if lang == "zh":
            s = (short and self.short_zh) or self.zh
            return f"{s}（{self.unit}）" if unit and self.unit else s
        s = (short and self.short_en) or self.en
        return f"{s} ({self.unit})" if unit and self.unit else s

    def both(self, sep: str = " · ", *, short: bool = False, unit: bool = False, cap: bool = False) -> str:
        """English, then Chinese (once, if they are the same)."""
        en = self.text("en", short=short, unit=unit)
        en = capital(en) if cap else en
        return en if self.zh in ("", self.en) else f"{en}{sep}{self.text('zh', short=short)}"


def capital(text: str) -> str:
    """First letter upper case (``str.capitalize`` would lower the rest)."""
    return text[:1].upper() + text[1:]


_TERMS: dict[str, Term] = {}


def define(key: str, en: str, zh: str, **more: str) -> Term:
    """Add the term of ``key`` (a key is defined once)."""
    if key in _TERMS:
        raise ValueError(f"vocabulary: {key} defined twice")
    _TERMS[key] = Term(key, en, zh, **more)
    return _TERMS[key]


def forget(key: str) -> None:
    """Remove the term of ``key`` (a signing source unregistered at run time)."""
    del _TERMS[key]


def term(key: str) -> Term:
    """The term of ``key``; an unknown key gives a term whose en and zh are its bare name."""
    found = _TERMS.get(key)
    if found is not None:
        return found
    name = key.partition(".")[2] or key
    return Term(key, name, name)


def label(key: str, lang: Lang = "en", /, *, short: bool = False, unit: bool = False, **fmt: object) -> str:
    """The text of ``key`` in ``lang``, formatted with ``fmt`` (dashboard phrases have fields)."""
    text = term(key).text(lang, short=short, unit=unit)
    return text.format(**fmt) if fmt else text


def known(key: str) -> bool:
    return key in _TERMS


def terms(kind: str | None = None) -> list[Term]:
    """Every term, or those of one kind ("stage", "source", "metric", "ui" …), in definition order."""
    return [t for k, t in _TERMS.items() if kind is None or k.partition(".")[0] == kind]


def strategy_term(name: str) -> Term:
    return term(f"strategy.{name}")


def metric_term(name: str) -> Term:
    return term(f"metric.{name}")

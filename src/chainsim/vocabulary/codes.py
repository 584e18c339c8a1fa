"""The model's coded categories and their terms: pipeline stages and signing sources.

Codes are list indices: :class:`Stage` and the built-in :class:`Source` values, then the
sources that strategies add at run time with :func:`register_source` (``SOURCE_NAMES``
grows in place, so code that reads it when it runs sees the new source).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum

from chainsim.vocabulary.core import Term, define, forget, term

_t = define  # short, as in the term tables


# --------------------------------------------------------------------------- stages
class Stage(IntEnum):
    """Pipeline stages (MODEL.md); ``LOST`` is reachable from every stage before ``PRODUCING``."""

    POOL = 0
    CONTACTED = 1
    NEGOTIATING = 2
    SIGNED = 3
    REGISTERED = 4
    LAND = 5
    CONSTRUCTION = 6
    PRODUCING = 7
    LOST = 8


STAGE_NAMES = [s.name.lower() for s in Stage]
_STAGE_TERMS = [
    _t("stage.pool", "pool", "候选池"),
    _t("stage.contacted", "contacted", "已接洽"),
    _t("stage.negotiating", "negotiating", "洽谈中"),
    _t("stage.signed", "signed", "已签约"),
    _t("stage.registered", "registered", "已注册"),
    _t("stage.land", "got land", "已拿地"),
    _t("stage.construction", "building", "在建"),
    _t("stage.producing", "producing", "已投产"),
    _t("stage.lost", "lost", "流失"),
]
assert [t.name for t in _STAGE_TERMS] == STAGE_NAMES
STAGE_ZH = [t.zh for t in _STAGE_TERMS]  # engine.firms re-exports it; prefer stage_term()


def stage_term(stage: int | str) -> Term:
    """A stage's term from its code or name."""
    if isinstance(stage, str):
        return term(f"stage.{stage}")
    return _STAGE_TERMS[stage] if 0 <= stage < len(_STAGE_TERMS) else term(f"stage.{stage}")


# --------------------------------------------------------------------------- signing sources
class Source(IntEnum):
    """What brought a signing: exactly one per signing (the built-ins; more via register_source)."""

    NONE = -1
    LEADER_TRIP = 0
    EVENT = 1
    CHAIN_GROUP = 2
    ANCHOR_REFERRAL = 3
    ORGANIC = 4


_SOURCE_TERMS = [
    # 领导外出招商, not 领导招商 (the strategy, which also holds events): the source is the trip itself
    _t("source.leader_trip", "leader trips", "领导外出招商"),
    _t("source.event", "events", "推介活动"),
    # the chain-based strategy's groups, as in every table before; FACTS F10 says 产业(专项)招商组 (by sector)
    _t("source.chain_group", "sector groups", "产业链招商组"),
    # 龙头企业引荐, not 以商招商 (any investor bringing others): here a producing anchor firm
    # refers its own suppliers and buyers, F10's "龙头企业+市级部门+区县"
    _t("source.anchor_referral", "anchor referrals", "龙头企业引荐"),
    # 自主来访, not 自发: the firm approached the city without being contacted
    _t("source.organic", "organic arrivals", "自主来访"),
]
SOURCE_NAMES = [t.name for t in _SOURCE_TERMS]  # grows in place: see register_source
SOURCE_ZH = [t.zh for t in _SOURCE_TERMS]  # grows with it (engine.firms re-exports it; prefer source_term())
assert SOURCE_NAMES == [s.name.lower() for s in Source if s >= 0]
_SOURCE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def register_source(key: str, en: str, zh: str) -> int:
    """Add a signing source (a strategy registered at run time); its code, its index in SOURCE_NAMES.

    Registering the same key with the same labels again returns the same code; the same
    key with other labels is an error (two strategies would share one source).
    """
    if not isinstance(key, str) or not _SOURCE_KEY.match(key):
        raise ValueError(f"source key {key!r}: lower-case letters, digits and _, starting with a letter")
    if not (isinstance(en, str) and en.strip() and isinstance(zh, str) and zh.strip()):
        raise ValueError(f"source {key!r}: give an English and a Chinese label")
    if key in SOURCE_NAMES:
        code = SOURCE_NAMES.index(key)
        old = _SOURCE_TERMS[code]
        if (old.en, old.zh) != (en, zh):
            raise ValueError(
                f"source {key!r} is already registered as ({old.en!r}, {old.zh!r}), not ({en!r}, {zh!r})"
            )
        return code
    _SOURCE_TERMS.append(_t(f"source.{key}", en, zh))
    SOURCE_NAMES.append(key)
    SOURCE_ZH.append(zh)
    return len(SOURCE_NAMES) - 1


def unregister_source(key: str) -> None:
    """Remove a source added with :func:`register_source` (never a built-in one); later
    sources' codes move down by one, so build runs after, not during, the change."""
    if key not in SOURCE_NAMES:
        return
    code = SOURCE_NAMES.index(key)
    if code < len(Source) - 1:
        raise ValueError(f"source {key!r} is built in")
    forget(_SOURCE_TERMS[code].key)
    del _SOURCE_TERMS[code], SOURCE_NAMES[code], SOURCE_ZH[code]


def source_names() -> list[str]:
    """The signing sources now known, built-ins first: a copy."""
    return list(SOURCE_NAMES)


def source_code(key: str) -> int:
    """The code of a source key, or Source.NONE if it is not registered."""
    return SOURCE_NAMES.index(key) if key in SOURCE_NAMES else int(Source.NONE)


def source_term(source: int | str) -> Term:
    """A source's term from its code or key (an unknown one falls back to its key)."""
    if isinstance(source, str):
        return term(f"source.{source}")
    return _SOURCE_TERMS[source] if 0 <= source < len(_SOURCE_TERMS) else term(f"source.{source}")


@contextmanager
def sources_restored() -> Iterator[None]:
    """Undo the sources registered inside the block (for tests that register toy strategies)."""
    n = len(SOURCE_NAMES)
    try:
        yield
    finally:
        for t in _SOURCE_TERMS[n:]:
            forget(t.key)
        del _SOURCE_TERMS[n:], SOURCE_NAMES[n:], SOURCE_ZH[n:]

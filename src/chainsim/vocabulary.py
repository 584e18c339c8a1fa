"""Pipeline stages and signing sources: the vocabulary shared by the engines and outputs."""

from __future__ import annotations

from enum import IntEnum


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
STAGE_ZH = ["候选池", "已接洽", "洽谈中", "已签约", "已注册", "已拿地", "在建", "已投产", "流失"]


class Source(IntEnum):
    """What brought a signing: exactly one per signing."""

    NONE = -1
    LEADER_TRIP = 0
    EVENT = 1
    CHAIN_GROUP = 2
    ANCHOR_REFERRAL = 3
    ORGANIC = 4


SOURCE_NAMES = ["leader_trip", "event", "chain_group", "anchor_referral", "organic"]
SOURCE_ZH = ["领导招商", "推介活动", "产业链招商组", "龙头企业引荐", "自主来访"]

_SOURCE_LABELS: dict[str, tuple[str, str]] = {}


def register_source(key: str, en: str, zh: str) -> int:
    """Add a signing source brought by a registered strategy; returns its code."""
    if key in SOURCE_NAMES:
        return SOURCE_NAMES.index(key)
    SOURCE_NAMES.append(key)
    SOURCE_ZH.append(zh)
    _SOURCE_LABELS[key] = (en, zh)
    return len(SOURCE_NAMES) - 1


def source_names() -> list[str]:
    """Every signing source known now, built-ins first."""
    return list(SOURCE_NAMES)

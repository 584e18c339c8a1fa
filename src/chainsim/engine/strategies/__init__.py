"""Promotion strategies, one module each, behind one small protocol (:mod:`.base`).

Importing this package registers the built-in strategies in the order they act:
leader-led trips (一把手招商), chain-based promotion (产业链招商: sector groups and anchor
referrals), promotion events (推介活动), organic arrivals (自主来访) and the chief service
commissioners with the three reforms (首席服务专员). docs/extending.md shows how to add one.
"""

from chainsim.engine.strategies import chain_based, commissioners, events, leader_led, organic  # noqa: F401
from chainsim.engine.strategies.base import (
    NEVER,
    Ceremony,
    ContactOrder,
    Context,
    RunPlan,
    Service,
    StageFactors,
    Strategy,
    Within,
    order_keys,
    team_key,
)
from chainsim.engine.strategies.registry import REGISTRY, register, registered, unregister

__all__ = [
    "NEVER",
    "REGISTRY",
    "Ceremony",
    "ContactOrder",
    "Context",
    "RunPlan",
    "Service",
    "StageFactors",
    "Strategy",
    "Within",
    "order_keys",
    "register",
    "registered",
    "team_key",
    "unregister",
]

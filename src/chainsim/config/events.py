"""The scenario's dated events (推介活动) and the kinds they belong to.

An event of a kind (``event_kinds``: promotion conference 推介会, expo 博览会 …) takes the
kind's ceremony terms — close probabilities and the framework agreements it announces —
unless it sets its own, so one event's yield can be predicted from the others' of its kind
(docs/model.md, phases 3–4). Re-exported by :mod:`chainsim.config.schema`, whose
``Scenario`` checks the names an event uses (kind, regions, chains).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from chainsim.config.base import Strict
from chainsim.config.common import Bias, Id, Labelled, Probability


class CeremonyTerms(Strict):
    """What happens at a signing ceremony, beside who was invited. ``None`` = inherit (an
    event from its kind, a kind from the neutral default)."""

    close_prob: Probability | None = Field(
        None,
        description=(
            "Chance that an invitee still negotiating signs its project contract at the ceremony; "
            "None: pipeline.event_close_prob. Assumption (F3, F9, F11 inform it)."
        ),
    )
    open_close_prob: Probability | None = Field(
        None,
        description=(
            "Chance that a negotiating firm of the targets that was NOT invited (and is held for no other "
            "event) signs at the ceremony; None: 0. Assumption: a ceremony's signing list is arranged "
            "beforehand (项目储备, the invitees), so other firms sign through ordinary negotiation; range 0–0.2."
        ),
    )
    framework_per_project: float | None = Field(
        None,
        ge=0,
        le=10,
        description=(
            "Framework and strategic agreements (框架协议、战略合作协议) the ceremony announces per project "
            "contract it signs (Poisson); None: 0. Chinese ceremony totals count both, project statistics "
            "(引进项目, F6, F12a) only the contracts. Assumption, range 0–1 (to be estimated on F3, F9, F11)."
        ),
    )
    framework_value_factor: float | None = Field(
        None,
        gt=0,
        le=100,
        description=(
            "Mean 协议金额 of one framework agreement as a multiple of the mean project contract signed at "
            "the same ceremony (log-normal); None: 1. Scale-free, so a sector fair's small contracts and a "
            "city promotion's large ones share it. Assumption, range 1–5: framework agreements are with "
            "large groups and state intentions larger than a first project."
        ),
    )
    size_bias: Bias | None = Field(
        None,
        title="Event's preference for large firms",
        description="Invitations ∝ size^bias (who is on the signing list); None: 1. Assumption, range 0–2.5.",
    )
    framework_sigma_log: float | None = Field(
        None,
        ge=0,
        le=3,
        description="Log-sd of a framework agreement's value; None: 1.0. Assumption, range 0.5–1.5.",
    )


@dataclass(frozen=True)
class Terms:
    """An event's resolved ceremony terms (no ``None``)."""

    close_prob: float
    open_close_prob: float
    framework_per_project: float
    framework_value_factor: float
    framework_sigma_log: float
    size_bias: float


class EventKind(Labelled, CeremonyTerms):
    """A kind of event (e.g. 招商推介会, 博览会, 产业专场): the ceremony terms its events share."""


class Event(Labelled, CeremonyTerms):
    enabled: bool = Field(True, description="Switch the event off (e.g. in a counterfactual overlay).")
    kind: Id | None = Field(
        None, description="Its kind in event_kinds (the ceremony terms it inherits); None: no kind."
    )
    date: dt.date
    lever: Literal["leader_led", "chain_based"] = Field(
        description="Strategy the event belongs to; it runs only while that strategy is on."
    )
    target_regions: list[Id] = Field(default_factory=list, description="Origins invited (empty = all).")
    target_chains: list[Id] = Field(default_factory=list, description="Chains targeted (empty = all).")
    outreach_contacts: int = Field(
        0,
        ge=0,
        le=1_000_000,
        title="Firms invited before the event",
        description=(
            "Firms invited in the outreach_days before the event: its signing list (an effort, not a yield). "
            "Only invitees sign project contracts at the ceremony (and, with open_close_prob, uninvited "
            "negotiating firms of its targets). Assumption."
        ),
    )
    outreach_days: int = Field(90, ge=0, le=3650)
    invitees_negotiate: bool = Field(
        True,
        description=(
            "Invitees enter talks at once: a signing ceremony's invitations go to firms that have agreed to "
            "negotiate a project for it (项目储备, projects prepared for the ceremony); false: they start as "
            "contacted, like any other lead. Assumption (an event signs only negotiating firms, and F3's 33 "
            "signings from one promotion cannot come from cold contacts in 90 days)."
        ),
    )


def resolve_terms(event: Event, kind: EventKind | None, default_close_prob: float) -> Terms:
    """The event's own terms, else its kind's, else the neutral defaults."""

    def pick(name: str, default: float) -> float:
        for src in (event, kind):
            if src is not None and (v := getattr(src, name)) is not None:
                return float(v)
        return default

    return Terms(
        pick("close_prob", default_close_prob),
        pick("open_close_prob", 0.0),
        pick("framework_per_project", 0.0),
        pick("framework_value_factor", 1.0),
        pick("framework_sigma_log", 1.0),
        pick("size_bias", 1.0),
    )

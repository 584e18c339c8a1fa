"""What every strategy hands the engine: contact orders, keyed by team."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from chainsim.engine.firms import NEVER, Source


def team_key(name: str) -> int:
    """A stable 32-bit key per team: its random numbers never depend on the other teams."""
    return zlib.crc32(name.encode())


@dataclass(frozen=True)
class ContactOrder:
    """Contact ``len(groups)`` pool firms, one from each listed group.

    ``keys`` name each wanted firm's random numbers (team key << 24 + running number),
    so that one team's draws never depend on which other teams act this step.
    """

    source: Source
    by: str  # "region" | "segment" | "event:<id>"
    groups: NDArray[np.int64]  # group index per wanted firm
    keys: NDArray[np.uint64]  # random-number key per wanted firm
    size_bias: float = 0.0  # probability ∝ size**bias
    leader: bool = False  # a leader made the contact (signing boost)
    hold_until: float = NEVER  # event invitees: negotiating at once, signing no earlier than this day

    @property
    def engaged(self) -> bool:
        return self.hold_until > NEVER


def order_keys(team_key: int, n: int) -> NDArray[np.uint64]:
    return np.uint64(team_key << 24) + np.arange(n, dtype=np.uint64)

"""Industry-chain / precision promotion (产业链招商·精准招商, F10): sector groups aiming at
missing links, and producing anchor firms referring their partners (龙头企业引荐)."""

from __future__ import annotations

import mesa
import numpy as np
from numpy.typing import NDArray

from chainsim.config.schema import SectorGroup as SectorGroupConfig
from chainsim.engine.firms import Source
from chainsim.engine.kernels import poisson_from_uniform, poisson_scalar
from chainsim.engine.strategies.base import ContactOrder, order_keys, team_key


class SectorGroup(mesa.Agent):
    """A sector promotion group: contacts spread over its chains' segments, a share
    ``targeting_precision`` of them aimed at the segments that are missing links."""

    def __init__(
        self,
        model: mesa.Model,
        gid: str,
        cfg: SectorGroupConfig,
        segments: NDArray[np.int64],
        n_segments: int,
    ) -> None:
        super().__init__(model)
        self.gid, self.cfg, self.segments, self.n_segments = gid, cfg, segments, n_segments
        self.key = team_key("group/" + gid)
        self._cached: tuple[bytes, NDArray[np.float64]] | None = None

    def targeting(self, missing: NDArray[np.bool_], precision: float) -> NDArray[np.float64]:
        """Probability of each segment (over all chains) being the target of a contact."""
        gaps = missing[self.segments]
        if self._cached is None or self._cached[0] != gaps.tobytes():
            w = np.zeros(self.n_segments)
            w[self.segments] = (
                (1.0 - precision) / len(self.segments) if gaps.any() else 1.0 / len(self.segments)
            )
            if gaps.any():
                w[self.segments[gaps]] += precision / gaps.sum()
            self._cached = (gaps.tobytes(), w)
        return self._cached[1]


class SectorGroupPlan:
    """The sector groups' contacts for the whole run: counts and target draws are made
    once at start-up; which segments they hit is decided each step from the missing links."""

    def __init__(self, groups: list[SectorGroup], scale: NDArray[np.float64]) -> None:
        self.groups = groups
        n_steps = len(scale)
        if not groups:
            return
        streams = groups[0].model.streams
        G = len(groups)
        keys = np.array([g.key for g in groups], dtype=np.uint64)
        rates = np.array([g.cfg.contacts_per_step for g in groups])
        steps = np.repeat(np.arange(n_steps), G)
        counts = poisson_from_uniform(
            np.outer(scale, rates).ravel(), streams.poisson_counts.uniform_at(steps, np.tile(keys, n_steps))
        )
        counts = counts.reshape(n_steps, G)
        self.offsets = np.concatenate(([0], np.cumsum(counts.sum(axis=1))))
        flat = counts.ravel()
        self.who = np.repeat(np.tile(np.arange(G), n_steps), flat)
        draw_steps = np.repeat(steps, flat)
        starts = np.concatenate(([0], np.cumsum(flat)))[:-1]
        nth = np.arange(flat.sum()) - np.repeat(starts, flat)
        self.keys = (np.uint64(1) * keys[self.who] << np.uint64(24)) + nth.astype(np.uint64)
        self.u = streams.target_choice.uniform_at(draw_steps, self.keys)
        self._cum_key: bytes | None = None

    def plan(self, step: int, missing: NDArray[np.bool_], precision: float) -> ContactOrder | None:
        if not self.groups or self.offsets[step] == self.offsets[step + 1]:
            return None
        if self._cum_key != missing.tobytes():
            self._cum = np.cumsum(np.stack([g.targeting(missing, precision) for g in self.groups]), axis=1)
            self._cum /= self._cum[:, -1:]
            self._cum_key = missing.tobytes()
        sl = slice(self.offsets[step], self.offsets[step + 1])
        who, u = self.who[sl], self.u[sl]
        seg = np.minimum((self._cum[who] <= u[:, None]).sum(axis=1), self._cum.shape[1] - 1)
        return ContactOrder(Source.CHAIN_GROUP, "segment", seg, self.keys[sl])


class AnchorLiaison(mesa.Agent):
    """Producing anchor firms refer upstream/downstream partners (F10)."""

    def __init__(self, model: mesa.Model, neighbours: list[NDArray[np.int64]], prob: float) -> None:
        super().__init__(model)
        self.prob = prob
        self.key = team_key("anchor_referral")
        self.degree = np.array([len(n) for n in neighbours])
        width = max(int(self.degree.max()), 1) if len(neighbours) else 1
        self.table = np.array(
            [np.pad(n, (0, width - len(n)), constant_values=i) for i, n in enumerate(neighbours)],
            dtype=np.int64,
        ).reshape(len(neighbours), width)

    def plan(
        self, step: int, producing_anchors: NDArray[np.int64], scale: float = 1.0
    ) -> ContactOrder | None:
        # Poisson referrals per segment = one Poisson total, shared out ∝ each segment's rate
        lam = np.where(self.degree > 0, producing_anchors, 0) * (
            1.0 - (1.0 - self.prob) ** scale
        )  # referrals go to neighbours
        total = float(lam.sum())
        streams = self.model.streams
        n = poisson_scalar(
            total, float(streams.poisson_counts.uniform(step, np.array([self.key], dtype=np.uint64))[0])
        )
        if n == 0:
            return None
        u = streams.referral_target.uniform_range(step, 2 * n, offset=self.key << 24).reshape(n, 2)
        referrer = np.minimum(np.searchsorted(np.cumsum(lam), u[:, 0] * total, side="right"), len(lam) - 1)
        deg = self.degree[referrer]
        partner = self.table[referrer, np.minimum((u[:, 1] * deg).astype(np.int64), np.maximum(deg - 1, 0))]
        return ContactOrder(Source.ANCHOR_REFERRAL, "segment", partner, order_keys(self.key, n))

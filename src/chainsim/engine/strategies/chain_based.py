"""Industry-chain / precision promotion (产业链招商·精准招商, F10).

Two kinds of contact while the strategy acts (docs/model.md, phase 3):

- *Sector groups* (产业链招商组): group g makes Poisson(``contacts_per_step`` × s)
  contacts; each picks a segment of g's chains: with probability ``targeting_precision``
  uniformly among the missing links (缺链, if any), else uniformly among all of them; then
  a pool firm of that segment uniformly. Counts and the uniforms of the targets are drawn
  for the whole run at set-up; which segments they hit is decided each step from the
  chain state.
- *Anchor referrals* (龙头企业引荐, “龙头企业+市级部门+区县”): each segment makes
  Poisson(producing anchors × (1 − (1 − ``anchor_referral_prob_per_step``)^s)) referrals
  to a uniformly chosen neighbour segment; a pool firm of that segment uniformly. Drawn
  as the events of one unit-rate Poisson process per replicate, run on the cumulative
  referral hazard (the same counts in distribution, one number per referral).

Events with ``lever: chain_based`` are held by :mod:`.events` while this strategy acts.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from chainsim.engine.calendar import per_step
from chainsim.engine.strategies.base import F64, ContactOrder, Context, RunPlan, Strategy, team_key
from chainsim.engine.strategies.registry import register
from chainsim.vocabulary import Source

PAIR = np.array([0, 1], dtype=np.uint64)  # a referral's two uniforms: who refers, to whom


@register
class ChainBased(Strategy):
    """The sector groups' targeted contacts and the producing anchors' referrals."""

    key = "chain_based"
    order = 20
    sources = ("chain_group", "anchor_referral")

    def __init__(self, model: Context) -> None:
        super().__init__(model)
        cfg, cal, idx = model.config.strategies.chain_based, model.calendar, model.chains
        self.cfg = cfg
        self.active = cal.lever_mask(cfg.active_from, cfg.active_until) & cfg.enabled
        groups = list(cfg.groups.values())
        # member[g, s]: segment s belongs to one of group g's chains
        self.member = np.zeros((len(groups), idx.n_segments), dtype=bool)
        for g, group in enumerate(groups):
            self.member[g, idx.segments_of_chains(group.chains)] = True
        self.n_member = self.member.sum(axis=1)
        rates = np.array([g.contacts_per_step for g in groups], dtype=np.float64)
        self.plan = RunPlan.counts(
            model,
            [team_key("group/" + gid) for gid in cfg.groups],
            np.broadcast_to(rates, (cal.n_steps, len(groups))),
        )
        self._cum: F64 | None = None  # targeting() of the missing links in _cum_for
        self._cum_for = np.zeros(0, dtype=bool)
        # anchor referrals: each segment's neighbours, padded to a table
        self.referral_key = team_key("anchor_referral")
        self.degree = np.array([len(n) for n in idx.neighbours])
        self.has_neighbours = (self.degree > 0).astype(np.int64)
        self.reps = np.arange(model.n_reps)
        # referrals are the events of a Poisson process run on the cumulative referral
        # hazard: each replicate's unit-rate arrival times, drawn by arrival number
        self.hazard = np.zeros(model.n_reps)  # cumulative referral hazard so far
        self.referred = np.zeros(model.n_reps, dtype=np.int64)  # arrivals used so far
        self.arrivals = np.zeros((model.n_reps, 0))
        self._more_arrivals(256)
        width = max(int(self.degree.max()), 1) if len(idx.neighbours) else 1
        self.neighbour_table = np.array(
            [np.pad(n, (0, width - len(n)), constant_values=i) for i, n in enumerate(idx.neighbours)],
            dtype=np.int64,
        ).reshape(len(idx.neighbours), width)

    def contacts(self, t: int) -> list[ContactOrder]:
        if not self.active[t]:
            return []
        orders = [self._group_contacts(t), self._anchor_referrals(t)]
        return [o for o in orders if o is not None]

    def targeting(self, missing: NDArray[np.bool_]) -> F64:
        """Cumulative probability of each segment being a group's target, per (replicate,
        group): (1 − precision) spread over the group's segments, precision over its
        missing ones (all of it over the segments when none is missing)."""
        precision = self.cfg.targeting_precision
        gaps = self.member[None, :, :] & missing[:, None, :]  # (rep, group, segment)
        n_gaps = gaps.sum(axis=2, keepdims=True)
        n = self.n_member[None, :, None]
        spread = np.where(n_gaps > 0, (1.0 - precision) / n, 1.0 / n)
        w = np.where(self.member[None], spread, 0.0) + np.where(gaps, precision / np.maximum(n_gaps, 1), 0.0)
        cum = np.cumsum(w, axis=2)
        return cum / cum[:, :, -1:]

    def _group_contacts(self, t: int) -> ContactOrder | None:
        sl = self.plan.at(t)
        if sl.start == sl.stop:
            return None
        missing = self.ctx.missing
        if self._cum is None:
            self._cum, self._cum_for = self.targeting(missing), missing.copy()
        else:  # the missing links change rarely: recompute the replicates whose changed
            changed = np.flatnonzero((missing != self._cum_for).any(axis=1))
            if len(changed):
                self._cum[changed] = self.targeting(missing[changed])
                self._cum_for[changed] = missing[changed]
        rep, who, u = self.plan.rep[sl], self.plan.extra["team"][sl], self.plan.u[sl]
        seg = np.minimum((self._cum[rep, who] <= u[:, None]).sum(axis=1), self._cum.shape[2] - 1)
        return ContactOrder(Source.CHAIN_GROUP, "segment", rep, seg, self.plan.keys[sl])

    def _more_arrivals(self, k: int) -> None:
        """Extend every replicate's arrival times to ``k`` (arrival i's gap is keyed by i)."""
        have, R = self.arrivals.shape[1], self.ctx.n_reps
        if k <= have:
            return
        i = np.arange(have, k, dtype=np.uint64)
        rep = np.repeat(self.reps, k - have)
        keys = np.tile(np.uint64(self.referral_key << 24) + i, R)
        u = self.ctx.streams.poisson_counts.uniform_at(np.full(len(keys), -1), rep, keys)
        gaps = -np.log1p(-u).reshape(R, k - have)
        start = self.arrivals[:, -1:] if have else np.zeros((R, 1))
        self.arrivals = np.concatenate([self.arrivals, start + np.cumsum(gaps, axis=1)], axis=1)

    def _anchor_referrals(self, t: int) -> ContactOrder | None:
        """Referrals this step: the arrivals that fall within the step's share of the
        cumulative hazard, Σ over segments with neighbours of producing anchors × the
        step's referral probability (a Poisson count per step, as docs/model.md has it)."""
        ctx = self.ctx
        p = per_step(self.cfg.anchor_referral_prob_per_step, float(ctx.calendar.scale[t]))
        referring = ctx.anchors * self.has_neighbours  # (rep, segment), integers
        self.hazard += referring.sum(axis=1) * p
        while (self.hazard >= self.arrivals[:, -1]).any():
            self._more_arrivals(2 * self.arrivals.shape[1])
        upto = (self.arrivals <= self.hazard[:, None]).sum(axis=1)
        n, first = upto - self.referred, self.referred
        self.referred = upto
        if not n.any():
            return None
        rep = np.repeat(self.reps, n)
        k = (np.repeat(first, n) + np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)).astype(np.uint64)
        base = np.uint64(self.referral_key << 24)
        u = ctx.streams.referral_target.uniform(t, rep[:, None], base + 2 * k[:, None] + PAIR)
        u0, u1 = u[:, 0], u[:, 1]
        cum = np.cumsum(referring, axis=1)  # integer weights: the same shares in any batch
        referrer = np.minimum((cum[rep] <= (u0 * cum[rep, -1])[:, None]).sum(axis=1), cum.shape[1] - 1)
        deg = self.degree[referrer]
        partner = self.neighbour_table[
            referrer, np.minimum((u1 * deg).astype(np.int64), np.maximum(deg - 1, 0))
        ]
        return ContactOrder(Source.ANCHOR_REFERRAL, "segment", rep, partner, base + k)

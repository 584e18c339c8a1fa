"""Phase 3's engine half: turn the strategies' contact orders into contacted firms.

Every order of every strategy is merged into one list of wanted firms; those that sample
the same way (by region, by segment, from a set, with one size bias) share one kernel
call. Each wanted firm draws a candidate from its group and takes it if it is still idle
in its replicate; when two wanted firms draw the same firm, the earlier gets it
(strategies act in registry order). Those that missed draw again, a few candidates at a
time (``ATTEMPTS``: 1, then 7, then 8 per round, 16 in all) — the first round, which
settles 85–97 % of contacts (large firms and small segments are often busy), costs one
candidate each. The few that miss every round (a group nearly exhausted: ≈ 0.25 % of
contacts on the calibrated default) draw exactly among their group's idle firms
(:func:`exact_draw`), so the rounds' rejection sampling never loses a contact the
specification would make; only an exhausted group yields nobody, as in the spec. The
uniforms are keyed by (replicate seed, step, order key, attempt): a team's draws never
depend on which other teams act (docs/model.md, "Randomness").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from chainsim.engine.calendar import NEVER
from chainsim.engine.pool import Catalog
from chainsim.engine.rng import BatchStream
from chainsim.engine.strategies.base import ContactOrder
from chainsim.vocabulary import Stage

ATTEMPTS = (1, 7, 8)  # candidate draws per round; a wanted firm's keys are key × 16 + attempt
FIRST = np.cumsum((0, *ATTEMPTS))
EXACT = np.uint64(1 << 62)  # key offset of the exact draw's uniform (apart from every attempt's)


@dataclass
class Contacts:
    """The firms contacted this step, in order: replicate, slot and what the order said."""

    rep: NDArray[np.int64]
    slot: NDArray[np.int64]
    source: NDArray[np.int64]
    hold_day: NDArray[np.float64]
    mark: NDArray[np.int64]  # index of the marking strategy, or −1
    invited: NDArray[np.int64]  # the event whose signing list it is on, or −1

    @property
    def stage(self) -> NDArray[np.int64]:
        """Event invitees (a hold day) negotiate at once; the others are contacted."""
        return np.where(self.hold_day > NEVER, Stage.NEGOTIATING, Stage.CONTACTED)


def draw(
    catalog: Catalog,
    idle: NDArray[np.bool_],
    stream: BatchStream,
    step: int,
    orders: list[tuple[ContactOrder, int]],
) -> Contacts:
    """Draw the firms of ``orders`` (each with its marking-strategy index or −1) from the
    pool; ``idle`` (replicate × slot, flattened) is updated for the firms taken."""
    sizes = [len(o) for o, _ in orders]
    ways = [catalog.way(o.by, o.size_bias) for o, _ in orders]
    order_of = np.repeat(np.arange(len(orders)), sizes)  # each wanted firm's order
    rep = np.concatenate([o.rep for o, _ in orders])
    keys = np.concatenate([o.keys for o, _ in orders]) * np.uint64(FIRST[-1])
    group = np.concatenate([o.groups for o, _ in orders]) + np.array([base for _, base in ways])[order_of]
    flags = [weighted for weighted, _ in ways]
    mixed = any(flags) and not all(flags)
    weighted = np.array(flags)[order_of] if mixed else None
    n_pool = np.int64(catalog.pool.n)
    todo = np.arange(len(keys))
    picked, picked_rows = [], []
    for r in range(len(ATTEMPTS)):
        attempt = np.arange(FIRST[r], FIRST[r + 1], dtype=np.uint64)
        u = stream.uniform(step, rep[todo, None], keys[todo, None] + attempt)
        if weighted is None:
            cand = catalog.candidates(group[todo], flags[0], u)
        else:
            cand = np.empty(u.shape, dtype=np.int64)
            w = weighted[todo]
            cand[w] = catalog.candidates(group[todo][w], True, u[w])
            cand[~w] = catalog.candidates(group[todo][~w], False, u[~w])
        flat = rep[todo, None] * n_pool + cand
        available = idle[flat] & (cand >= 0) if catalog.w_empty else idle[flat]
        chosen, rows = first_available(flat, available)
        idle[chosen] = False  # taken: later rounds and rows skip them
        picked.append(chosen)
        picked_rows.append(todo[rows])
        if len(rows) == len(todo):
            break
        got = np.zeros(len(todo), dtype=bool)
        got[rows] = True
        todo = todo[~got]
    else:  # still unserved after every round: draw exactly among the group's idle firms
        u = stream.uniform(step, rep[todo], keys[todo] + EXACT)
        is_weighted = np.full(len(todo), flags[0]) if weighted is None else weighted[todo]
        chosen, rows = exact_draw(catalog, idle, rep[todo], group[todo], is_weighted, u)
        picked.append(chosen)
        picked_rows.append(todo[rows])
    flat, rows = (
        (picked[0], picked_rows[0])
        if len(picked) == 1
        else (np.concatenate(picked), np.concatenate(picked_rows))
    )
    of = order_of[rows]
    source = np.array([o.source for o, _ in orders])[of]
    hold = np.array([o.hold_until for o, _ in orders])[of]
    mark = np.array([m for _, m in orders])[of]
    invited = np.array([o.invited for o, _ in orders])[of]
    return Contacts(flat // n_pool, flat % n_pool, source, hold, mark, invited)


def first_available(
    candidates: NDArray[np.int64], available: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """From a (wanted, attempts) table, the first available candidate of each row and the
    row it came from; rows with none, and later rows that drew an earlier row's firm, drop out."""
    if available.shape[1] == 1:  # one candidate a row (the first round)
        rows = np.flatnonzero(available[:, 0])
        pick = candidates[rows, 0]
    else:
        rows = np.flatnonzero(available.any(axis=1))
        pick = candidates[rows, available[rows].argmax(axis=1)]
    if len(pick) > 1:  # the same firm for two rows: the earlier row keeps it
        order = np.argsort(pick, kind="stable")
        later = np.zeros(len(pick), dtype=bool)
        later[order[1:]] = pick[order[1:]] == pick[order[:-1]]
        if later.any():
            return pick[~later], rows[~later]
    return pick, rows


def exact_draw(
    catalog: Catalog,
    idle: NDArray[np.bool_],
    rep: NDArray[np.int64],
    group: NDArray[np.int64],
    weighted: NDArray[np.bool_],
    u: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The wanted firms that every round missed, one by one in order: each takes a firm
    drawn among its group's idle ones (by size weight in a weighted group), as the
    specification draws; a group with none idle yields nobody. Together with the rounds'
    rejection draws this samples exactly the specification's law, whatever the depletion.
    Rare (< 1 % of contacts when pools run thin), so a loop over the few rows."""
    n_pool = catalog.pool.n
    chosen, rows = [], []
    for i in range(len(group)):
        slots, weights = catalog.members(int(group[i]), bool(weighted[i]))
        flat = int(rep[i]) * n_pool + slots
        free = idle[flat]
        if not free.any():
            continue
        flat = flat[free]
        if weights is None:
            k = min(int(u[i] * len(flat)), len(flat) - 1)
        else:
            cum = np.cumsum(weights[free])
            k = min(int(np.searchsorted(cum, u[i] * cum[-1], side="right")), len(flat) - 1)
        idle[flat[k]] = False
        chosen.append(flat[k])
        rows.append(i)
    return np.array(chosen, dtype=np.int64), np.array(rows, dtype=np.int64)

"""A pipeline table: firms in talks (contacted, negotiating) or firms with a project
(signed … in construction), of every replicate of the batch, one row each.

A step never gathers from the pool's hundreds of thousands of slots: a firm's fixed
attributes are copied into its row when it is contacted, and every phase works on these
few thousand rows. Columns live in three stacked matrices (float, int, bool) with one
row per column, so appending a contact, copying the attributes and dropping the rows
that left (lost or producing) are a handful of NumPy calls whatever the number of
columns. Rows keep their order (new rows at the end, dropping keeps the rest in order), so
a replicate's rows are in the same order whether it runs alone or in a batch: every
per-replicate reduction then adds the same numbers in the same order (bit-identical
batches, docs/performance.md).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from chainsim.engine.calendar import NEVER
from chainsim.engine.pool import Pool

FLOAT = (
    *Pool.FLOAT,
    "contact_day",
    "hold_day",  # an event invitee does not sign before its event's day
    "signed_day",
    "land_day",
    "construction_day",
    "due_day",  # the day the current scheduled stage (or, contacted, the first reply) ends
    "drop_clock",  # a project's drop-out clock: exponential budget left, used up by the hazard
    "funds_left_yi",  # realised value still to arrive
    "funds_rate_yi_per_day",  # construction instalment
)
# cohorts: bit c = reporting cohort c; invited: the event whose signing list the firm is on (−1: none)
INT = (*Pool.INT, "rep", "slot", "stage", "source", "park", "cohorts", "invited")
# engages: a contacted firm's reply, drawn on contact; served: has had a commissioner; serving: holds a slot now
BOOL = (*Pool.BOOL, "engages", "served", "serving")
FLOAT_FILL = {
    "contact_day": NEVER,
    "hold_day": NEVER,
    "signed_day": NEVER,
    "land_day": NEVER,
    "construction_day": NEVER,
}
INT_FILL = {"park": -1, "invited": -1}


class Active:
    """Rows ``0 … n-1`` of the column matrices are the pipeline. ``marks`` adds one day
    column per strategy that marks its contacts (``mark_<key>``)."""

    def __init__(self, pool: Pool, marks: list[str], capacity: int = 1024) -> None:
        self.pool = pool
        self.float_cols = (*FLOAT, *(f"mark_{m}" for m in marks))
        self.marks = list(marks)
        fill = {**FLOAT_FILL, **{f"mark_{m}": NEVER for m in marks}}
        self._float_fill = np.array([fill.get(c, 0.0) for c in self.float_cols])[:, None]
        self._int_fill = np.array([INT_FILL.get(c, 0) for c in INT], dtype=np.int64)[:, None]
        self.fi = {c: i for i, c in enumerate(self.float_cols)}
        self.ii = {c: i for i, c in enumerate(INT)}
        self.bi = {c: i for i, c in enumerate(BOOL)}
        self.F = np.full((len(self.float_cols), capacity), 0.0)
        self.I = np.full((len(INT), capacity), 0, dtype=np.int64)
        self.B = np.full((len(BOOL), capacity), False)
        self.n = 0

    # -------------------------------------------------------------- columns (views)
    def f(self, name: str) -> NDArray[np.float64]:
        return self.F[self.fi[name], : self.n]

    def i(self, name: str) -> NDArray[np.int64]:
        return self.I[self.ii[name], : self.n]

    def b(self, name: str) -> NDArray[np.bool_]:
        return self.B[self.bi[name], : self.n]

    # -------------------------------------------------------------- rows
    def add(
        self,
        rep: NDArray[np.int64],
        slot: NDArray[np.int64],
        stage: NDArray[np.int64],
        source: NDArray[np.int64],
        day: float,
        hold_day: NDArray[np.float64],
        mark: NDArray[np.int64],
        invited: NDArray[np.int64] | None = None,
    ) -> None:
        """Append contacted firms; ``mark[i]`` is the index (in ``marks``) of the strategy
        that marks row i's contact day, or −1; ``invited[i]`` the event whose signing list
        it is on, or −1."""
        k = len(slot)
        if k == 0:
            return
        self._reserve(self.n + k)
        s = slice(self.n, self.n + k)
        F, I, B, pool = self.F, self.I, self.B, self.pool
        nf, ni, nb = len(Pool.FLOAT), len(Pool.INT), len(Pool.BOOL)
        floats, ints, bools = pool.unpack(pool.rows[slot])
        F[nf:, s] = self._float_fill[nf:]
        F[:nf, s] = floats
        F[self.fi["contact_day"], s] = day
        F[self.fi["hold_day"], s] = hold_day
        I[ni:, s] = self._int_fill[ni:]
        I[:ni, s] = ints
        I[ni : ni + 4, s] = (rep, slot, stage, source)
        if invited is not None:
            I[self.ii["invited"], s] = invited
        B[:nb, s] = bools
        B[nb:, s] = False
        for m in range(len(self.marks)):  # a recycled firm starts afresh: only this contact counts
            if (mark == m).any():
                F[self.fi[f"mark_{self.marks[m]}"], s] = np.where(mark == m, day, NEVER)
        self.n += k

    def take(self, other: Active, rows: NDArray[np.int64]) -> NDArray[np.int64]:
        """Append copies of ``other``'s ``rows`` (same columns); return their new rows."""
        k = len(rows)
        self._reserve(self.n + k)
        s = slice(self.n, self.n + k)
        self.F[:, s] = other.F[:, rows]
        self.I[:, s] = other.I[:, rows]
        self.B[:, s] = other.B[:, rows]
        self.n += k
        return np.arange(s.start, s.stop)

    def keep(self, rows: NDArray[np.bool_]) -> None:
        """Keep the rows where ``rows`` is true (in order); drop the others."""
        m = int(np.count_nonzero(rows))
        if m == self.n:
            return
        n = self.n
        self.F[:, :m] = np.compress(rows, self.F[:, :n], axis=1)
        self.I[:, :m] = np.compress(rows, self.I[:, :n], axis=1)
        self.B[:, :m] = np.compress(rows, self.B[:, :n], axis=1)
        self.n = m

    def drop_finished(self, live: NDArray[np.bool_], slack: float = 0.25) -> None:
        """Drop the rows of firms that left this table (``live`` false) once they are more
        than ``slack`` of it: every phase selects rows by stage, so a few finished rows cost
        less than copying the table every step."""
        if self.n - np.count_nonzero(live) > slack * self.n:
            self.keep(live)

    def _reserve(self, n: int) -> None:
        cap = self.F.shape[1]
        if n <= cap:
            return
        new = max(n, 2 * cap)
        self.F = np.concatenate([self.F, np.zeros((self.F.shape[0], new - cap))], axis=1)
        self.I = np.concatenate([self.I, np.zeros((self.I.shape[0], new - cap), dtype=np.int64)], axis=1)
        self.B = np.concatenate([self.B, np.zeros((self.B.shape[0], new - cap), dtype=bool)], axis=1)

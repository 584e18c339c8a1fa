"""The strategy protocol: what a promotion strategy hands the engines.

A strategy reads its part of the scenario, plans what it can plan for the whole run at
set-up (trip destinations, contact counts), and at named phases of each step hands the
engine *orders* and *multipliers* (docs/architecture.md):

==================  =========================================================================
hook                what the engine does with it
==================  =========================================================================
``sampling``        set-up: the ways its orders draw from the pool (tables built once)
``contacts``        phase 3: draws the ordered firms from the pool (:class:`ContactOrder`)
``ceremonies``      phase 4: a signing ceremony signs targeted ready negotiations (:class:`Ceremony`)
``sign_multiplier`` phase 5: multiplies the signing hazard of firms it contacted (its *mark*)
``service``         phase 7: slots for the largest signed projects (:class:`Service`)
``stage_factors``   phases 6 and 8: multiplies stage durations and early drop-out (:class:`StageFactors`)
``tally``           phase 10: counts it reports per step (e.g. leader trips)
==================  =========================================================================

Every hook is optional (the base class does nothing). Both engines consume the same
orders, so a strategy is written once: the vectorised engine executes them on arrays for
a batch of replicates, the reference engine on one agent per firm. Orders carry one row
per wanted firm *and replicate* (``rep``): the batch dimension is explicit, and a
strategy that plans with :class:`RunPlan` gets it for free.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import mesa
import numpy as np
from numpy.typing import NDArray

from chainsim.config.schema import Scenario
from chainsim.engine.calendar import NEVER, Calendar
from chainsim.engine.chains import ChainIndex
from chainsim.engine.kernels import lognormal_days, poisson_from_uniform
from chainsim.engine.rng import BatchStreams
from chainsim.vocabulary import source_code

I64 = NDArray[np.int64]
U64 = NDArray[np.uint64]
F64 = NDArray[np.float64]


def team_key(name: str) -> int:
    """A stable 32-bit key per team: its random numbers never depend on the other teams."""
    return zlib.crc32(name.encode())


def order_keys(team_key: int, n: int) -> U64:
    """Random-number keys of a team's ``n`` wanted firms in one step (team key << 24 + running number)."""
    return np.uint64(team_key << 24) + np.arange(n, dtype=np.uint64)


# ------------------------------------------------------------------------------ orders
@dataclass(frozen=True)
class Within:
    """A set of the pool: firms from these regions and chains (empty = all), by index."""

    regions: tuple[int, ...] = ()
    chains: tuple[int, ...] = ()


@dataclass(frozen=True)
class ContactOrder:
    """Contact one pool firm per row: row ``i`` wants a firm of group ``groups[i]`` in
    replicate ``rep[i]``, drawn with the random numbers named by ``keys[i]``.

    ``by`` says what a group is: ``"region"`` (origin region index), ``"segment"`` (global
    segment index) or a :class:`Within` set (``groups`` then all 0). Draws are uniform in
    the group, or ∝ size^``size_bias``. ``hold_until`` > NEVER makes the contact an event
    invitee: negotiating at once, signing no earlier than that day (项目储备). ``invited``
    ≥ 0: the firms go on the signing list of that event (its index in ``config.events``).
    """

    source: int
    by: str | Within
    rep: I64
    groups: I64
    keys: U64
    size_bias: float = 0.0
    hold_until: float = NEVER
    invited: int = -1

    def __len__(self) -> int:
        return len(self.groups)


@dataclass(frozen=True)
class Ceremony:
    """A signing ceremony this step. Its invitees (firms whose ``invited`` is ``invited``)
    still negotiating sign their project contracts with ``close_prob``; a negotiating firm
    within ``within`` invited to no event, or to one whose hold has passed, with
    ``open_close_prob``. A ceremony without a list (``invited`` < 0, e.g. a strategy's own)
    signs those open firms with ``close_prob``. The signers' source becomes ``source``.
    Beside the contracts, it announces framework agreements (:meth:`framework`), which bring
    no firm into the pipeline; both are tallied under ``name``."""

    name: str
    within: Within
    close_prob: float
    source: int
    invited: int = -1
    open_close_prob: float = 0.0
    framework_per_project: float = 0.0
    framework_value_factor: float = 1.0
    framework_sigma_log: float = 1.0
    key: int = 0  # random-number key of its framework draws

    @property
    def open_prob(self) -> float:
        """The signing chance of a negotiating firm within the set that is on no pending list."""
        return self.open_close_prob if self.invited >= 0 else self.close_prob

    def framework(self, streams: BatchStreams, t: int, projects: I64, value_yi: F64) -> tuple[I64, F64]:
        """Framework and strategic agreements (框架协议、战略合作协议) announced beside the
        ``projects[r]`` project contracts (worth ``value_yi[r]``) of replicate r: Poisson
        (``framework_per_project`` × contracts) of them, each worth a log-normal 协议金额 with
        mean ``framework_value_factor`` × the mean contract of this ceremony and log-sd
        ``framework_sigma_log``. Stream ``framework``, keyed by the ceremony: the same numbers
        in both engines, and in a batch as alone. Returns (count, value in 亿元) per replicate."""
        R = len(projects)
        count = np.zeros(R, dtype=np.int64)
        if self.framework_per_project <= 0.0:
            return count, np.zeros(R)
        reps, key = np.arange(R), np.uint64(self.key << 24)
        u = streams.framework.uniform(t, reps, np.full(R, key))
        count = poisson_from_uniform(self.framework_per_project * projects.astype(np.float64), u)
        rep = np.repeat(reps, count)
        nth = np.arange(len(rep)) - np.repeat(np.cumsum(count) - count, count)
        u_value = streams.framework.uniform(t, rep, key + np.uint64(1) + nth.astype(np.uint64))
        mean = self.framework_value_factor * value_yi / np.maximum(projects, 1)
        value = lognormal_days(mean[rep], self.framework_sigma_log, u_value)
        return count, np.bincount(rep, weights=value, minlength=R)


@dataclass(frozen=True)
class Service:
    """Service slots for the largest signed projects of at least ``min_value_yi`` never
    served before; a served project's stage durations × ``duration_factor`` and its
    drop-out hazard × ``drop_factor`` until production or loss. ``slots`` = 0: no new
    assignments this step (those in service keep it)."""

    slots: int
    min_value_yi: float
    duration_factor: float
    drop_factor: float


#: eligibility classes of a project for the reforms: bit r set = eligible for reform r
#: (0 拿地即开工, 1 容缺办理, 2 全程代办)
N_REFORMS = 3
N_CLASSES = 1 << N_REFORMS


@dataclass(frozen=True)
class Eligibility:
    """Which projects each reform is for: reform r applies to a project of at least
    ``min_value_yi[r]`` 亿 that, if ``industrial_only[r]``, is industrial."""

    industrial_only: tuple[bool, ...] = (False,) * N_REFORMS
    min_value_yi: tuple[float, ...] = (0.0,) * N_REFORMS

    def code(self, industrial: NDArray[np.bool_] | bool, value_yi: F64 | float) -> I64:
        """Each project's eligibility class (bit r: reform r applies to it)."""
        value = np.asarray(value_yi, dtype=np.float64)
        code = np.zeros(value.shape, dtype=np.int64)
        for r, (ind, least) in enumerate(zip(self.industrial_only, self.min_value_yi)):
            ok = value >= least
            if ind:
                ok &= np.asarray(industrial, dtype=bool)
            code |= ok.astype(np.int64) << r
        return code


ALL_ELIGIBLE = Eligibility()

Factor = float | F64  # one value for every project, or one per eligibility class (N_CLASSES)


@dataclass(frozen=True)
class StageFactors:
    """Multipliers of the mean stage durations drawn this step and of the drop-out hazard
    of signed and registered projects. Factors of several strategies multiply. A factor is
    a number (every project) or an array over the eligibility classes of ``eligibility``
    (a reform acts only on the projects it is for): :meth:`rows` gives one per project."""

    register: Factor = 1.0
    land: Factor = 1.0
    land_to_construction: Factor = 1.0
    construction: Factor = 1.0
    drop_before_land: Factor = 1.0
    eligibility: Eligibility = ALL_ELIGIBLE

    def __mul__(self, other: StageFactors) -> StageFactors:
        elig = other.eligibility if self.eligibility is ALL_ELIGIBLE else self.eligibility
        r, land, ltc, c, drop = (a * b for a, b in zip(self.astuple(), other.astuple()))
        return StageFactors(r, land, ltc, c, drop, elig)

    def astuple(self) -> tuple[Factor, ...]:
        return (self.register, self.land, self.land_to_construction, self.construction, self.drop_before_land)

    def rows(self, name: str, industrial: NDArray[np.bool_], value_yi: F64) -> F64:
        """Factor ``name`` for each project (its industrial flag and value select its class)."""
        f = np.asarray(getattr(self, name), dtype=np.float64)
        if f.ndim == 0:
            return np.full(np.shape(value_yi), float(f))
        out: F64 = f[self.eligibility.code(industrial, value_yi)]
        return out

    def one(self, name: str, industrial: bool, value_yi: float) -> float:
        """Factor ``name`` for one project (the reference engine's per-firm view)."""
        return float(self.rows(name, np.array([industrial]), np.array([value_yi]))[0])


# ------------------------------------------------------------------------------ context
class Context(Protocol):
    """What an engine offers its strategies (both engines provide it)."""

    config: Scenario
    calendar: Calendar
    chains: ChainIndex
    region_ids: list[str]
    n_reps: int
    streams: BatchStreams
    #: chain state of phase 2, one row per replicate
    missing: NDArray[np.bool_]
    anchors: I64  # anchor firms producing locally (incumbents included)


class Strategy(mesa.Agent):
    """A promotion strategy (or another source of contacts): one class, registered with
    :func:`chainsim.engine.strategies.register`.

    Class attributes: ``key`` (registry name), ``sources`` (the signing sources it brings:
    the key of a source :mod:`chainsim.vocabulary` knows, or a new one as ``(key, English,
    中文)``), ``marks_contacts`` (the engine keeps the day it last
    contacted each firm, for :meth:`sign_multiplier`), ``order`` (strategies act in
    increasing order; a firm drawn by two strategies in one step goes to the first).
    """

    key: ClassVar[str] = ""
    order: ClassVar[int] = 100
    #: flows it reports with :meth:`tally` beyond the built-in ones (e.g. its own event counts)
    tallies: ClassVar[tuple[str, ...]] = ()
    sources: ClassVar[tuple[str | tuple[str, str, str], ...]] = ()
    marks_contacts: ClassVar[bool] = False

    def __init__(self, model: Context) -> None:
        super().__init__(model)
        self.ctx = model

    @staticmethod
    def code(source: str) -> int:
        """The integer code of a signing source key (what orders carry), as registered now."""
        code = source_code(source)
        if code < 0:
            raise ValueError(f"unknown signing source {source!r}: declare it in the strategy's `sources`")
        return code

    @classmethod
    def build(cls, model: Context) -> Strategy | None:
        """The strategy for this scenario, or ``None`` if it has nothing to do in it."""
        return cls(model)

    def sampling(self) -> Sequence[tuple[str | Within, float]]:
        """The (group kind, size bias) ways its contact orders draw, so that the engine
        builds their sampling tables at set-up (optional: a new way is built on first use)."""
        return []

    def contacts(self, t: int) -> list[ContactOrder]:
        return []

    def ceremonies(self, t: int) -> list[Ceremony]:
        return []

    def sign_multiplier(self, t: int, day: float, mark_day: F64) -> F64 | None:
        return None

    def service(self, t: int) -> Service | None:
        return None

    def stage_factors(self, t: int) -> StageFactors | None:
        return None

    def tally(self, t: int) -> dict[str, float]:
        return {}


# ------------------------------------------------------------------------------ planning
@dataclass
class RunPlan:
    """A whole run's exogenous draws of one team, made at set-up for every replicate and
    served step by step: rows sorted by (step, replicate, draw), with each row's
    replicate, random-number key and one uniform (``u``) and any extra columns."""

    offsets: I64
    rep: I64
    keys: U64
    u: F64
    extra: dict[str, NDArray] = field(default_factory=dict)

    def at(self, t: int) -> slice:
        return slice(int(self.offsets[t]), int(self.offsets[t + 1]))

    @classmethod
    def poisson(cls, ctx: Context, key: int, rate_per_step: F64, stream: str = "target_choice") -> RunPlan:
        """Poisson(rate × step length) draws per step and replicate, each with a key
        (``key`` << 24 + running number within the step) and a uniform from ``stream``."""
        return cls.counts(ctx, [key], np.asarray(rate_per_step, dtype=np.float64)[:, None], stream)

    @classmethod
    def counts(cls, ctx: Context, keys: list[int], rates: F64, stream: str = "target_choice") -> RunPlan:
        """Like :meth:`poisson` for several teams at once: ``rates`` is (steps × teams),
        per nominal step. Adds ``team`` (index into ``keys``) as an extra column."""
        cal, streams, R = ctx.calendar, ctx.streams, ctx.n_reps
        n, G = cal.n_steps, len(keys)
        team_keys = np.array(keys, dtype=np.uint64)
        lam = (rates * cal.scale[:, None]).ravel()  # (step, team) row-major
        steps = np.repeat(np.arange(n), G)
        tk = np.tile(team_keys, n)
        reps = np.repeat(np.arange(R), n * G)
        u = streams.poisson_counts.uniform_at(np.tile(steps, R), reps, np.tile(tk, R))
        counts = poisson_from_uniform(np.tile(lam, R), u)  # (rep, step, team) flattened
        flat = counts
        rep_of = np.repeat(reps, flat)
        step_of = np.repeat(np.tile(steps, R), flat)
        team_of = np.repeat(np.tile(np.tile(np.arange(G), n), R), flat)
        starts = np.concatenate(([0], np.cumsum(flat)))[:-1]
        nth = np.arange(flat.sum()) - np.repeat(starts, flat)
        draw_keys = (team_keys[team_of] << np.uint64(24)) + nth.astype(np.uint64)
        u = getattr(streams, stream).uniform_at(step_of, rep_of, draw_keys)
        order = np.lexsort((rep_of, step_of))  # stable: (step, replicate, team, draw)
        offsets = np.searchsorted(step_of[order], np.arange(n + 1), side="left")
        return cls(offsets, rep_of[order], draw_keys[order], u[order], {"team": team_of[order]})

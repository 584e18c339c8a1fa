"""ChainModel: firms, parks and promotion teams wired into one Mesa model."""

from __future__ import annotations

import mesa
import numpy as np
from numpy.typing import NDArray

from chainsim.config.schema import Scenario
from chainsim.engine import build
from chainsim.engine import kernels as K
from chainsim.engine.calendar import Calendar
from chainsim.engine.chains import ChainIndex
from chainsim.engine.firms import NEVER, Firms, Source, Stage
from chainsim.engine.parks import ParkSystem
from chainsim.engine.records import Recorder
from chainsim.engine.rng import Streams
from chainsim.engine.strategies.base import ContactOrder, team_key
from chainsim.engine.strategies.chain_based import AnchorLiaison, SectorGroup, SectorGroupPlan
from chainsim.engine.strategies.commissioners import CommissionerOffice
from chainsim.engine.strategies.events import EventTeam
from chainsim.engine.strategies.leader_led import LeaderTeam

ROUNDS = 4  # sampling rounds per contact order (each of kernels.ATTEMPTS candidate draws)


class ChainModel(mesa.Model):
    """Industry-chain investment promotion in one city.

    One step (a week by default; 4-week steps in the coarse part of the burn-in) runs
    these phases in order; each reads the firm arrays, asks agents for decisions, calls a
    kernel, and writes back. docs/model.md states every rule.

    1. ``recycle``   lost firms whose cool-down has ended return to the pool; parks'
       land banks refill.
    2. ``chain_state`` local producers per segment → missing links (缺链) and supplier
       access. Reads producing counts; no randomness.
    3. ``contact``   teams plan contact orders (leader trips, sector groups, anchor
       referrals, event invitations, organic arrivals); the kernel draws those firms from
       the pool → ``contacted``. Streams: trip_destination, poisson_counts,
       contact_sampling, target_choice, referral_target.
    4. ``events``    an event on this step signs targeted ready negotiations. Stream: event_close.
    5. ``negotiate`` contacted → negotiating or lost; negotiating → signed or lost, the
       signing hazard raised by supplier access and a decaying leader boost; competing
       risks on one uniform per firm. Streams: engage, negotiate.
    6. ``sign``      each new signing chooses a park (logit, Gumbel-max) and gets its
       registration date; source, cohort and event bookkeeping. Streams: park_choice, duration.
    7. ``serve``     free commissioner slots go to the largest unserved projects; their
       remaining stage time shrinks.
    8. ``build``     scheduled transitions signed → registered → land → construction →
       producing; land needs room in the park (wait, or divert to another park);
       drop-outs after signing. Streams: duration, divert, park_choice, after_signing.
    9. ``funds``     construction instalments arrive (registration payments arrive in 8).
    10. ``record``   stage counts of the step.
    """

    def __init__(self, config: Scenario, rng: int | None = None) -> None:
        seed = config.seed if rng is None else int(rng)
        super().__init__(rng=seed)
        self.config = cfg = config
        self.seed = seed
        self.streams = Streams(seed)
        self.calendar = cal = Calendar(cfg.calendar)
        self.index = idx = ChainIndex(cfg.chains)
        self.firms = f = Firms(cfg, idx, seed)
        self.region_ids = list(cfg.population.regions)
        self.step_no = 0
        self.day = 0.0
        # The active pipeline, in two lists so that each phase touches only its firms:
        # talks = contacted or negotiating; projects = signed … construction.
        self.talks: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.projects: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._lost_queue: dict[int, list[NDArray[np.int64]]] = {}
        self.n_producing = 0
        self.n_lost = 0
        self.producing_by_segment = np.zeros(idx.n_segments, dtype=np.int64)
        self.producing_anchors_by_segment = np.zeros(idx.n_segments, dtype=np.int64)
        self.missing = np.zeros(idx.n_segments, dtype=bool)
        self.access = np.zeros(idx.n_segments)

        # Sorted views of the pool for sampling without scanning it.
        self._by_segment = f.sorted_by(f.segment, idx.n_segments)
        self._by_region = f.sorted_by(f.region, len(self.region_ids))
        self._cumw: dict[float, NDArray[np.float64]] = {}
        self._event_sets: dict[str, tuple[NDArray[np.int64], NDArray[np.float64]]] = {}

        # Agents: parks and promotion teams.
        self.parks = ParkSystem(self, cfg.parks, idx.chain_ids, cfg.location)
        s = cfg.strategies
        self.leader_teams = [
            LeaderTeam(self, lvl, s.leader_led, cal, self.region_ids) for lvl in ("city", "county")
        ]
        cb = s.chain_based
        self.chain_active = cal.lever_mask(cb.active_from, cb.active_until) & cb.enabled
        self.sector_groups = [
            SectorGroup(self, gid, g, idx.segments_of_chains(g.chains), idx.n_segments)
            for gid, g in cb.groups.items()
        ]
        self.group_plan = SectorGroupPlan(self.sector_groups, cal.scale)
        self.anchor_liaison = AnchorLiaison(self, idx.neighbours, cb.anchor_referral_prob_per_step)
        self.event_teams = []
        for eid, e in cfg.events.items():
            lever = getattr(s, e.lever)
            on = (
                e.enabled
                and lever.enabled
                and bool(
                    cal.lever_mask(lever.active_from, lever.active_until)[
                        min(cal.step_of(e.date), cal.n_steps - 1)
                    ]
                )
            )
            self.event_teams.append(EventTeam(self, eid, e, cal, on))
        cm = s.commissioners
        service_on = cal.lever_mask(cm.active_from, cm.active_until) & cm.enabled
        self.office = CommissionerOffice(self, cm.slots, cm.min_value_yi, service_on)
        rf = cm.reforms  # the reforms belong to the service strategy: off when it is off
        self.reform_active = {
            name: cal.lever_mask(r.active_from, r.active_until) & r.enabled & service_on
            for name, r in (
                ("land_and_build", rf.land_and_build),
                ("missing_docs", rf.missing_docs),
                ("full_agency", rf.full_agency),
            )
        }
        # Sampling tables are built now, not on first use, so that a step's cost follows the
        # active pipeline and never the size of the pool.
        if any(t.trips_per_step.any() for t in self.leader_teams):
            self._region_cumw(s.leader_led.size_bias)
        for e in self.event_teams:
            if e.active and e.invites_per_step.any():
                self._event_set(e.eid)
        self.organic_key = team_key("organic")
        shares = np.array([r.pool_share for r in cfg.population.regions.values()])
        self._region_cum = np.cumsum(shares / shares.sum())
        self._draw_organic_arrivals()

        rep = cfg.reporting
        self.recorder = Recorder(
            cal.n_steps,
            idx.n_segments,
            list(cfg.events),
            list(rep.cohorts),
            float(cal.day_of(cfg.calendar.start_date) - 1),
        )
        self._cohorts = list(rep.cohorts.values())
        self._cohort_as_of = np.array([cal.day_of(c.as_of) for c in self._cohorts], dtype=np.float64)
        self._cohort_open = np.array(
            [cal.steps_between(c.signed_from, c.signed_until) for c in self._cohorts]
        ).reshape(len(self._cohorts), cal.n_steps)

    # ------------------------------------------------------------------ stepping
    def step(self) -> None:
        step = self.step_no
        self.day = float(self.calendar.day_end[step])
        self.recycle(step)
        self.parks.refill(float(self.calendar.step_len[step]))
        self.chain_state()
        self.contact(step)
        event_signed = self.events(step)
        signed = np.concatenate([event_signed, self.negotiate(step)])
        self.sign(step, signed)
        self.serve(step)
        self.build(step)
        self.funds(step)
        self.record(step)
        self.step_no += 1
        if self.step_no >= self.calendar.n_steps:
            self.running = False

    def run(self) -> ChainModel:
        while self.running:
            self.step()
        return self

    # ------------------------------------------------------------------ phases
    def recycle(self, step: int) -> None:
        back = self._lost_queue.pop(step, None)
        if back:
            slots = np.concatenate(back)
            slots = slots[self.firms.stage[slots] == Stage.LOST]
            self.firms.stage[slots] = Stage.POOL
            self.n_lost -= len(slots)

    def chain_state(self) -> None:
        local = self.index.incumbents + self.producing_by_segment
        self.missing = self.index.missing(local, self.config.strategies.chain_based.missing_link_ratio)
        self.access = self.index.supplier_access(~self.missing)
        self.recorder.missing[self.step_no] = self.missing

    def contact(self, step: int) -> None:
        orders: list[ContactOrder] = []
        for team in self.leader_teams:
            if team.trips_per_step[step]:
                self.recorder.add(step, f"{team.level}_leader_trips", int(team.trips_per_step[step]))
            if (o := team.plan(step)) is not None:
                orders.append(o)
        if self.chain_active[step]:
            precision = self.config.strategies.chain_based.targeting_precision
            orders.append(self.group_plan.plan(step, self.missing, precision))
            anchors = self.index.anchor_incumbents + self.producing_anchors_by_segment
            orders.append(self.anchor_liaison.plan(step, anchors, float(self.calendar.scale[step])))
        orders.extend(e.plan(step) for e in self.event_teams)
        orders.append(self._plan_organic(step))
        self._execute(step, [o for o in orders if o is not None])

    def _plan_organic(self, step: int) -> ContactOrder | None:
        sl = slice(self._organic_offsets[step], self._organic_offsets[step + 1])
        if sl.start == sl.stop:
            return None
        return ContactOrder(Source.ORGANIC, "region", self._organic_region[sl], self._organic_keys[sl])

    def _draw_organic_arrivals(self) -> None:
        """The whole run's organic arrivals (counts and origins), drawn once at start-up."""
        n, key = self.calendar.n_steps, self.organic_key
        steps = np.arange(n)
        counts = K.poisson_from_uniform(
            self.config.organic.arrivals_per_step * self.calendar.scale,
            self.streams.poisson_counts.uniform_at(steps, np.full(n, key, dtype=np.uint64)),
        )
        self._organic_offsets = np.concatenate(([0], np.cumsum(counts)))
        arrival_step = np.repeat(steps, counts)
        nth = np.arange(len(arrival_step)) - self._organic_offsets[arrival_step]
        self._organic_keys = np.uint64(key << 24) + nth.astype(np.uint64)
        u = self.streams.target_choice.uniform_at(arrival_step, self._organic_keys)
        self._organic_region = np.searchsorted(self._region_cum, u, side="right").clip(
            0, len(self._region_cum) - 1
        )

    def _execute(self, step: int, orders: list[ContactOrder]) -> None:
        """Draw each order's firms from the pool; the first order to draw a firm gets it.
        Orders that sample the same way (same grouping and size bias) share one kernel call.
        A wanted firm whose candidates were all taken draws again (a few rounds), so every
        contact finds an idle firm unless its group is nearly exhausted."""
        if not orders:
            return
        f = self.firms
        sizes = [len(o.groups) for o in orders]
        keys = np.concatenate([o.keys for o in orders]) * np.uint64(ROUNDS * K.ATTEMPTS)
        groups = np.concatenate([o.groups for o in orders])
        ways = list(dict.fromkeys((o.by, o.size_bias) for o in orders))  # distinct sampling ways, in order
        kind = np.repeat([ways.index((o.by, o.size_bias)) for o in orders], sizes)
        kinds = dict(enumerate(ways))
        source = np.repeat([o.source for o in orders], sizes)
        leader = np.repeat([o.leader for o in orders], sizes)
        engaged = np.repeat([o.engaged for o in orders], sizes)
        hold = np.repeat([o.hold_until for o in orders], sizes)
        todo = np.arange(len(keys))
        picked: list[NDArray[np.int64]] = []
        picked_rows: list[NDArray[np.int64]] = []
        for r in range(ROUNDS):
            attempt = np.arange(r * K.ATTEMPTS, (r + 1) * K.ATTEMPTS, dtype=np.uint64)
            u = self.streams.contact_sampling.uniform(step, keys[todo, None] + attempt)
            cand = np.empty(u.shape, dtype=np.int64)
            for h, (by, bias) in kinds.items():
                rows = np.flatnonzero(kind[todo] == h) if len(kinds) > 1 else slice(None)
                cand[rows] = self._candidates(by, bias, groups[todo][rows], u[rows])
            available = (f.stage[cand] == Stage.POOL) & (cand >= 0)
            chosen, rows = K.first_available(cand, available, return_rows=True)
            f.stage[chosen] = Stage.CONTACTED  # taken: later rounds and rows skip them
            picked.append(chosen)
            picked_rows.append(todo[rows])
            todo = np.setdiff1d(todo, todo[rows], assume_unique=True)
            if len(todo) == 0:
                break
        chosen, rows = np.concatenate(picked), np.concatenate(picked_rows)
        f.source[chosen] = source[rows]
        f.contact_day[chosen] = self.day
        f.leader_day[chosen] = np.where(leader[rows], self.day, NEVER)  # a recycled firm starts afresh
        f.stage[chosen[engaged[rows]]] = Stage.NEGOTIATING
        f.hold_day[chosen] = hold[rows]
        self.talks = np.concatenate([self.talks, chosen])
        self.recorder.add(step, "contacts", len(chosen))

    def _candidates(
        self, by: str, size_bias: float, groups: NDArray[np.int64], u: NDArray[np.float64]
    ) -> NDArray[np.int64]:
        """A (wanted, attempts) table of candidate slots, one row per wanted firm."""
        g = groups[:, None]
        if by == "segment":
            sorted_slots, first, counts = self._by_segment
            return sorted_slots[K.positions_uniform(u, first, counts, g)]
        if by == "region":
            sorted_slots, first, counts = self._by_region
            if size_bias:
                return sorted_slots[K.positions_weighted(u, self._region_cumw(size_bias), first, counts, g)]
            return sorted_slots[K.positions_uniform(u, first, counts, g)]
        sorted_slots, cumw = self._event_set(by.split(":", 1)[1])
        if len(sorted_slots) == 0:  # an event with no candidates: every draw misses
            return np.zeros(u.shape, dtype=np.int64) - 1
        return sorted_slots[
            K.positions_weighted(u, cumw, np.zeros(1, np.int64), np.array([len(sorted_slots)]), g)
        ]

    def _region_cumw(self, bias: float) -> NDArray[np.float64]:
        if bias not in self._cumw:
            value = self.firms.value_yi[self._by_region[0]]
            self._cumw[bias] = np.cumsum(value if bias == 1.0 else value**bias)
        return self._cumw[bias]

    def _event_set(self, eid: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        if eid not in self._event_sets:
            e, f = self.config.events[eid], self.firms
            mask = np.ones(f.n, dtype=bool)
            if e.target_regions:
                mask &= np.isin(f.region, [self.region_ids.index(r) for r in e.target_regions])
            if e.target_chains:
                mask &= np.isin(f.chain, [self.index.chain_ids.index(c) for c in e.target_chains])
            slots = np.flatnonzero(mask)
            self._event_sets[eid] = (slots, np.cumsum(f.value_yi[slots] ** e.size_bias))
        return self._event_sets[eid]

    def events(self, step: int) -> NDArray[np.int64]:
        signed = []
        for e in self.event_teams:
            if not e.holds_event(step):
                continue
            f, cfg = self.firms, e.cfg
            ready = self.talks[f.stage[self.talks] == Stage.NEGOTIATING]
            if cfg.target_regions:
                ready = ready[
                    np.isin(f.region[ready], [self.region_ids.index(r) for r in cfg.target_regions])
                ]
            if cfg.target_chains:
                ready = ready[
                    np.isin(f.chain[ready], [self.index.chain_ids.index(c) for c in cfg.target_chains])
                ]
            ready = ready[
                self.streams.event_close.uniform(step, ready) < self.config.pipeline.event_close_prob
            ]
            f.source[ready] = Source.EVENT
            f.stage[ready] = Stage.SIGNED  # so that the negotiation phase and later events skip them
            self.recorder.event(e.eid, f, ready)
            signed.append(ready)
        return np.concatenate(signed) if signed else np.zeros(0, dtype=np.int64)

    def negotiate(self, step: int) -> NDArray[np.int64]:
        """Competing risks with one uniform per firm: advance if u < p, drop if p ≤ u < p + q."""
        f, p, s = self.firms, self.config.pipeline, self.streams
        scale = float(self.calendar.scale[step])
        st = f.stage[self.talks]
        contacted, talking = self.talks[st == Stage.CONTACTED], self.talks[st == Stage.NEGOTIATING]
        engage_p, drop_p = K.competing(p.engage_prob_per_step, p.drop_contacted_per_step, scale)
        u = s.engage.uniform(step, contacted)
        engage = u < engage_p
        lost_c = ~engage & (u < engage_p + drop_p)
        f.stage[contacted[engage]] = Stage.NEGOTIATING
        boost = 1.0 + p.leader_boost * np.exp((f.leader_day[talking] - self.day) / p.leader_boost_decay_days)
        hazard = np.minimum(
            p.sign_prob_per_step * np.exp(p.supplier_access_beta * self.access[f.segment[talking]]) * boost,
            1.0,
        )
        hazard[f.hold_day[talking] > self.day] = 0.0  # prepared for a ceremony: signs there, not before
        sign_p, drop_p = K.competing(hazard, p.drop_negotiating_per_step, scale)
        u = s.negotiate.uniform(step, talking)
        sign = u < sign_p
        lost_t = ~sign & (u < sign_p + drop_p)
        self._lose(step, np.concatenate([contacted[lost_c], talking[lost_t]]))
        self.talks = np.concatenate([contacted[~lost_c], talking[~(sign | lost_t)]])
        return talking[sign]

    def sign(self, step: int, slots: NDArray[np.int64]) -> None:
        if len(slots) == 0:
            return
        f, s = self.firms, self.streams
        f.stage[slots] = Stage.SIGNED
        f.signed_day[slots] = self.day
        f.served[slots] = f.serving[slots] = False  # a recycled firm starts a new project
        u = s.park_choice.uniform(step, (slots[:, None] * 64 + np.arange(len(self.parks.parks))).ravel())
        f.park[slots] = self.parks.choose(
            f.chain[slots], f.land_need_ha[slots], u.reshape(len(slots), -1)
        ).clip(0)
        f.due_day[slots] = self.day + self._register_days(step, slots)
        bits = np.zeros(len(slots), dtype=np.uint16)
        for c, co in enumerate(self._cohorts):
            if self._cohort_open[c, step]:
                ok = f.value_yi[slots] >= co.min_value_yi
                if co.industrial_only:
                    ok &= f.industrial[slots]
                bits |= ok.astype(np.uint16) << c
        f.cohorts[slots] = bits
        if bits.any():
            self.recorder.cohort_signed += [
                np.count_nonzero((bits >> c) & 1) for c in range(len(self._cohorts))
            ]
        self.recorder.signings(step, f, slots)
        self.projects = np.concatenate([self.projects, slots])

    def _register_days(self, step: int, slots: NDArray[np.int64]) -> NDArray[np.float64]:
        p, rf = self.config.pipeline, self.config.strategies.commissioners.reforms
        factor = 1.0
        if self.reform_active["missing_docs"][step]:
            factor *= rf.missing_docs_factor
        if self.reform_active["full_agency"][step]:
            factor *= rf.full_agency_factor
        return self._duration(step, slots, p.register_days * factor)

    def _duration(self, step: int, slots: NDArray[np.int64], mean_days: float) -> NDArray[np.float64]:
        """A stage duration drawn on entry; commissioners shorten it for served firms."""
        d = K.lognormal_days(
            mean_days, self.config.pipeline.duration_sigma_log, self.streams.duration.uniform(step, slots)
        )
        return np.where(
            self.firms.serving[slots], d * self.config.strategies.commissioners.duration_factor, d
        )

    def serve(self, step: int) -> None:
        f = self.firms
        pipeline = self.projects
        in_service = int(np.count_nonzero(f.serving[pipeline]))
        new = self.office.assign(step, pipeline[~f.served[pipeline]], f.value_yi, in_service)
        if len(new):
            f.served[new] = f.serving[new] = True
            factor = self.config.strategies.commissioners.duration_factor
            f.due_day[new] = self.day + np.maximum(f.due_day[new] - self.day, 0.0) * factor

    def build(self, step: int) -> None:
        build.advance(self, step)

    def funds(self, step: int) -> None:
        f = self.firms
        building = self.projects[f.stage[self.projects] == Stage.CONSTRUCTION]
        days = self.day - np.maximum(f.construction_day[building], self.day - self.calendar.step_len[step])
        self.pay(
            step,
            building,
            K.pay_instalments(f.funds_left_yi[building], f.funds_rate_yi_per_day[building], days),
        )

    def pay(self, step: int, slots: NDArray[np.int64], amount_yi: NDArray[np.float64]) -> None:
        f = self.firms
        f.funds_left_yi[slots] -= amount_yi
        foreign = f.foreign[slots]
        domestic = amount_yi[~foreign]
        self.recorder.add(step, "funds_in_place_yi", domestic.sum())
        self.recorder.add(step, "industrial_funds_in_place_yi", domestic[f.industrial[slots][~foreign]].sum())
        self.recorder.add(step, "fdi_usd_yi", amount_yi[foreign].sum() / self.config.pipeline.fx_cny_per_usd)

    def record(self, step: int) -> None:
        f = self.firms
        counts = np.bincount(f.stage[self.talks], minlength=len(Stage)) + np.bincount(
            f.stage[self.projects], minlength=len(Stage)
        )
        counts[Stage.PRODUCING] = self.n_producing
        counts[Stage.LOST] = self.n_lost
        counts[Stage.POOL] = f.n - counts.sum()
        self.recorder.stages[step] = counts

    def _lose(self, step: int, slots: NDArray[np.int64]) -> None:
        if len(slots) == 0:
            return
        f = self.firms
        f.stage[slots] = Stage.LOST
        f.serving[slots] = False
        self.n_lost += len(slots)
        self.recorder.add(step, "lost", len(slots))
        back = self.calendar.step_at_day(self.day + self.config.population.recontact_after_days)
        self._lost_queue.setdefault(back, []).append(slots)

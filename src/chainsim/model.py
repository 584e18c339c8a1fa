"""ChainModel: firms, parks and promotion teams wired into one Mesa model."""

from __future__ import annotations

import mesa
import numpy as np
from numpy.typing import NDArray

from . import build
from . import kernels as K
from .calendar import Calendar
from .chainmap import ChainIndex
from .firms import Firms, Source, Stage
from .parks import ParkSystem
from .records import Recorder
from .rng import Streams
from .schema import Scenario
from .teams import (AnchorLiaison, CommissionerOffice, ContactOrder, EventTeam, LeaderTeam, SectorGroup,
                    SectorGroupPlan, team_key)

ACTIVE_LO, ACTIVE_HI = int(Stage.CONTACTED), int(Stage.CONSTRUCTION)


class ChainModel(mesa.Model):
    """Industry-chain investment promotion in one city.

    One step (a week by default) runs these phases in order; each reads the firm arrays,
    asks agents for decisions, calls a kernel, and writes back:

    1. ``recycle``   lost firms whose cool-down has ended return to the pool.
    2. ``chain_state`` local producers per segment → missing links (缺链) and supplier
       access. Reads producing counts; no randomness.
    3. ``contact``   teams plan contact orders (leader trips, sector groups, anchor
       referrals, event invitations, organic arrivals); the kernel draws those firms from
       the pool → ``contacted``. Streams: trip_destination, poisson_counts,
       contact_sampling, referral_target.
    4. ``events``    an event on this step signs targeted ready negotiations. Stream: event_close.
    5. ``negotiate`` contacted → negotiating or lost; negotiating → signed or lost, the
       signing hazard raised by supplier access and a decaying leader boost.
       Streams: engage, sign, drop.
    6. ``sign``      each new signing chooses a park (logit, Gumbel-max) and gets its
       registration date; source, cohort and event bookkeeping. Streams: park_choice, duration.
    7. ``serve``     free commissioner slots go to the largest unserved projects; their
       remaining stage time shrinks.
    8. ``build``     scheduled transitions signed → registered → land → construction →
       producing; land needs room in the park (wait, or divert to another park);
       drop-outs after signing. Streams: duration, divert, park_choice, drop.
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
        self.active: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
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
        self.leader_teams = [LeaderTeam(self, lvl, s.leader_led, cal, self.region_ids) for lvl in ("city", "county")]
        cb = s.chain_based
        self.chain_active = cal.lever_mask(cb.active_from, cb.active_until) & cb.enabled
        self.sector_groups = [SectorGroup(self, gid, g, idx.segments_of_chains(g.chains), idx.n_segments)
                              for gid, g in cb.groups.items()]
        self.group_plan = SectorGroupPlan(self.sector_groups, cal.n_steps)
        self.anchor_liaison = AnchorLiaison(self, idx.neighbours, cb.anchor_referral_prob_per_step)
        self.event_teams = []
        for eid, e in cfg.events.items():
            lever = getattr(s, e.lever)
            on = e.enabled and lever.enabled and bool(cal.lever_mask(lever.active_from, lever.active_until)[min(cal.step_of(e.date), cal.n_steps - 1)])
            self.event_teams.append(EventTeam(self, eid, e, cal, on))
        cm = s.commissioners
        service_on = cal.lever_mask(cm.active_from, cm.active_until) & cm.enabled
        self.office = CommissionerOffice(self, cm.slots, cm.min_value_yi, service_on)
        rf = cm.reforms  # the reforms belong to the service strategy: off when it is off
        self.reform_active = {name: cal.lever_mask(r.active_from, r.active_until) & r.enabled & service_on
                              for name, r in (("land_and_build", rf.land_and_build), ("missing_docs", rf.missing_docs), ("full_agency", rf.full_agency))}
        self.organic_key = team_key("organic")
        shares = np.array([r.pool_share for r in cfg.population.regions.values()])
        self._region_cum = np.cumsum(shares / shares.sum())
        self._draw_organic_arrivals()

        rep = cfg.reporting
        self.recorder = Recorder(cal.n_steps, idx.n_segments, list(cfg.events), list(rep.cohorts), float(cal.day_of(cfg.calendar.start_date) - 1))
        self._cohorts = list(rep.cohorts.values())
        self._cohort_as_of = np.array([cal.day_of(c.as_of) for c in self._cohorts], dtype=np.float64)

    # ------------------------------------------------------------------ stepping
    def step(self) -> None:
        step = self.step_no
        self.day = float(self.calendar.day_end[step])
        self.recycle(step)
        self.parks.refill(self.calendar.step_days)
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
            if (o := team.plan(step)) is not None:
                orders.append(o)
                self.recorder.add(step, f"{team.level}_leader_trips", len(o.groups) // team.firms_per_trip)
        if self.chain_active[step]:
            precision = self.config.strategies.chain_based.targeting_precision
            orders.append(self.group_plan.plan(step, self.missing, precision))
            anchors = self.index.anchor_incumbents + self.producing_anchors_by_segment
            orders.append(self.anchor_liaison.plan(step, anchors))
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
        counts = K.poisson_from_uniform(self.config.organic.arrivals_per_step,
                                        self.streams.poisson_counts.uniform_at(steps, np.full(n, key, dtype=np.uint64)))
        self._organic_offsets = np.concatenate(([0], np.cumsum(counts)))
        arrival_step = np.repeat(steps, counts)
        nth = np.arange(len(arrival_step)) - self._organic_offsets[arrival_step]
        self._organic_keys = np.uint64(key << 24) + nth.astype(np.uint64)
        u = self.streams.target_choice.uniform_at(arrival_step, self._organic_keys)
        self._organic_region = np.searchsorted(self._region_cum, u, side="right").clip(0, len(self._region_cum) - 1)

    def _execute(self, step: int, orders: list[ContactOrder]) -> None:
        """Draw each order's firms from the pool; the first order to draw a firm gets it."""
        if not orders:
            return
        f = self.firms
        keys = np.concatenate([o.keys for o in orders])
        u_all = self.streams.contact_sampling.uniform(step, (keys[:, None] * np.uint64(K.ATTEMPTS) + np.arange(K.ATTEMPTS, dtype=np.uint64)))
        cands, start = [], 0
        for o in orders:
            u = u_all[start:start + len(o.groups)]
            start += len(o.groups)
            cands.append(self._candidates(o, u))
        cand = np.concatenate(cands)
        row_source = np.repeat([o.source for o in orders], [len(o.groups) for o in orders])
        row_leader = np.repeat([o.leader for o in orders], [len(o.groups) for o in orders])
        available = (f.stage[cand] == Stage.POOL) & (cand >= 0)
        chosen, rows = K.first_available(cand, available, return_rows=True)
        f.stage[chosen] = Stage.CONTACTED
        f.source[chosen] = row_source[rows]
        f.contact_day[chosen] = self.day
        f.leader_day[chosen[row_leader[rows]]] = self.day
        self.active = np.concatenate([self.active, chosen])
        self.recorder.add(step, "contacts", len(chosen))

    def _candidates(self, order: ContactOrder, u: NDArray[np.float64]) -> NDArray[np.int64]:
        """A (wanted, attempts) table of candidate slots for one order."""
        g = order.groups[:, None]
        if order.by == "segment":
            sorted_slots, first, counts = self._by_segment
            return sorted_slots[K.positions_uniform(u, first, counts, g)]
        if order.by == "region":
            sorted_slots, first, counts = self._by_region
            if order.size_bias:
                return sorted_slots[K.positions_weighted(u, self._region_cumw(order.size_bias), first, counts, g)]
            return sorted_slots[K.positions_uniform(u, first, counts, g)]
        sorted_slots, cumw = self._event_set(order.by.split(":", 1)[1])
        if len(sorted_slots) == 0:  # an event with no candidates: every draw misses
            return np.zeros(u.shape, dtype=np.int64) - 1
        return sorted_slots[K.positions_weighted(u, cumw, np.zeros(1, np.int64), np.array([len(sorted_slots)]), g)]

    def _region_cumw(self, bias: float) -> NDArray[np.float64]:
        if bias not in self._cumw:
            self._cumw[bias] = np.cumsum(self.firms.value_yi[self._by_region[0]] ** bias)
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

    def _in_stage(self, stage: Stage) -> NDArray[np.int64]:
        return self.active[self.firms.stage[self.active] == stage]

    def events(self, step: int) -> NDArray[np.int64]:
        signed = []
        for e in self.event_teams:
            if not e.holds_event(step):
                continue
            f, cfg = self.firms, e.cfg
            ready = self._in_stage(Stage.NEGOTIATING)
            if cfg.target_regions:
                ready = ready[np.isin(f.region[ready], [self.region_ids.index(r) for r in cfg.target_regions])]
            if cfg.target_chains:
                ready = ready[np.isin(f.chain[ready], [self.index.chain_ids.index(c) for c in cfg.target_chains])]
            ready = ready[self.streams.event_close.uniform(step, ready) < self.config.pipeline.event_close_prob]
            f.source[ready] = Source.EVENT
            f.stage[ready] = Stage.SIGNED  # so that a later event this step cannot take them
            self.recorder.event(e.eid, f, ready)
            signed.append(ready)
        return np.concatenate(signed) if signed else np.zeros(0, dtype=np.int64)

    def negotiate(self, step: int) -> NDArray[np.int64]:
        """Competing risks with one uniform per firm: advance if u < p, drop if p ≤ u < p + q."""
        f, p, s = self.firms, self.config.pipeline, self.streams
        contacted = self._in_stage(Stage.CONTACTED)
        u = s.engage.uniform(step, contacted)
        engage = u < p.engage_prob_per_step
        self._lose(step, contacted[~engage & (u < p.engage_prob_per_step + p.drop_contacted_per_step)])
        talking = self._in_stage(Stage.NEGOTIATING)
        f.stage[contacted[engage]] = Stage.NEGOTIATING
        boost = 1.0 + p.leader_boost * np.exp((f.leader_day[talking] - self.day) / p.leader_boost_decay_days)
        hazard = np.minimum(p.sign_prob_per_step * np.exp(p.supplier_access_beta * self.access[f.segment[talking]]) * boost, 1.0)
        u = s.negotiate.uniform(step, talking)
        sign = u < hazard
        self._lose(step, talking[~sign & (u < hazard + p.drop_negotiating_per_step)])
        return talking[sign]

    def sign(self, step: int, slots: NDArray[np.int64]) -> None:
        if len(slots) == 0:
            return
        f, p, s = self.firms, self.config.pipeline, self.streams
        f.stage[slots] = Stage.SIGNED
        f.signed_day[slots] = self.day
        f.served[slots] = f.serving[slots] = False  # a recycled firm starts a new project
        u = s.park_choice.uniform(step, (slots[:, None] * 64 + np.arange(len(self.parks.parks))).ravel())
        f.park[slots] = self.parks.choose(f.chain[slots], f.land_need_ha[slots], u.reshape(len(slots), -1)).clip(0)
        f.due_day[slots] = self.day + self._register_days(step, slots)
        bits = np.zeros(len(slots), dtype=np.uint16)
        for c, co in enumerate(self._cohorts):
            member = (np.datetime64(co.signed_from) <= self.calendar.date_end[step] <= np.datetime64(co.signed_until))
            if member:
                ok = f.value_yi[slots] >= co.min_value_yi
                if co.industrial_only:
                    ok &= f.industrial[slots]
                bits |= (ok.astype(np.uint16) << c)
        f.cohorts[slots] = bits
        self.recorder.cohort_signed += [np.count_nonzero((bits >> c) & 1) for c in range(len(self._cohorts))]
        self.recorder.signings(step, f, slots)

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
        d = K.gamma_days(mean_days, self.config.pipeline.duration_shape, self.streams.duration.uniform(step, slots))
        return np.where(self.firms.serving[slots], d * self.config.strategies.commissioners.duration_factor, d)

    def serve(self, step: int) -> None:
        f = self.firms
        st = f.stage[self.active]
        pipeline = self.active[(st >= Stage.SIGNED) & (st <= Stage.CONSTRUCTION)]
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
        building = self._in_stage(Stage.CONSTRUCTION)
        days = self.day - np.maximum(f.construction_day[building], self.day - self.calendar.step_days)
        self.pay(step, building, K.pay_instalments(f.funds_left_yi[building], f.funds_rate_yi_per_day[building], days))

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
        st = f.stage[self.active]
        keep = (st >= ACTIVE_LO) & (st <= ACTIVE_HI)
        self.active = self.active[keep]
        counts = np.bincount(st[keep], minlength=len(Stage))
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
        back = step + int(np.ceil(self.config.population.recontact_after_days / self.calendar.step_days))
        self._lost_queue.setdefault(back, []).append(slots)

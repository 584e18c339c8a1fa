"""ReferenceModel: the model of docs/model.md written for reading, one Mesa agent per firm.

It is the teaching version of :class:`chainsim.engine.model.ChainModel` ("this is what the fast
code computes") and its yardstick, written from the specification alone: it imports
only the configuration (``chainsim.config.schema``), the step calendar (``chainsim.engine.calendar``)
the stage and source vocabulary (``chainsim.vocabulary``) and the recorder
(``chainsim.engine.records``), so that its output plugs into
``Results.summary()``. All randomness comes from ``self.rng``; the two engines agree in
distribution, not draw for draw. :meth:`ReferenceModel.step` runs the ten phases of a
step in the spec's order; each firm's own rules are in :mod:`.agents`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

import mesa
import networkx as nx
import numpy as np

from chainsim.config.schema import Scenario
from chainsim.engine.calendar import Calendar, spread_by_length
from chainsim.engine.records import FLOWS, Recorder
from chainsim.reference.agents import SOURCES, FirmAgent, Group, Park, Stage, per_step, pick

TALKING = (Stage.CONTACTED, Stage.NEGOTIATING)
DURATIONS = ("signing_to_land_days", "signing_to_production_days", "construction_to_production_days")
assert all(f"signings_by_source.{s}" in FLOWS for s in SOURCES)


@dataclass
class EventPlan:
    """A dated event: its invitations per step, the step that holds it (−1: not held, its
    lever being off) and whom it targets (``None``: everyone)."""

    eid: str
    step: int
    invites: np.ndarray
    regions: set[int] | None
    chains: set[int] | None
    invited: Group


class ReferenceModel(mesa.Model):
    """Industry-chain investment promotion, one :class:`FirmAgent` per candidate firm."""

    def __init__(self, config: Scenario, rng: int | None = None) -> None:
        super().__init__(rng=config.seed if rng is None else int(rng))
        self.cfg = cfg = config
        self.calendar = cal = Calendar(cfg.calendar)
        self.region_ids = list(cfg.population.regions)
        self.t, self.day, self.step_len, self.s = 0, 0.0, 0.0, 1.0
        self._chain_maps()
        self._make_firms()
        self.parks = [
            Park(
                self,
                pid,
                p.land_ha,
                p.infrastructure_mw,
                p.land_added_ha_per_year,
                {self.chain_ids.index(c) for c in p.specialisations},
            )
            for pid, p in cfg.parks.items()
        ]
        self._levers()
        self._schedules()
        # the pipeline, as two short lists: only these firms step
        self.talks: list[FirmAgent] = []  # contacted or negotiating
        self.projects: list[FirmAgent] = []  # signed … construction
        self.returns: dict[int, list[FirmAgent]] = {}  # step → lost firms coming back
        self.n_producing = self.n_lost = 0
        self.new_signings: list[FirmAgent] = []
        self.refused: list[FirmAgent] = []
        self.flow: defaultdict[str, float] = defaultdict(float)
        rep = cfg.reporting
        self.rec = self.recorder = Recorder(
            cal.n_steps,
            self.n_segments,
            list(cfg.events),
            list(rep.cohorts),
            float(cal.day_of(cfg.calendar.start_date) - 1),
        )
        self.cohorts = list(rep.cohorts.values())
        self.as_of_day = [cal.day_of(c.as_of) for c in self.cohorts]
        self._durations: dict[str, list[tuple[float, bool, float, float]]] = {k: [] for k in DURATIONS}

    # ------------------------------------------------------------------ set-up
    def _chain_maps(self) -> None:
        """Number all segments globally; link each to its suppliers and buyers."""
        self.chain_ids = list(self.cfg.chains)
        self.seg_chain, self.incumbents, self.anchor_incumbents, self.seg_weight = [], [], [], []
        graph, index = nx.Graph(), {}
        for c, (cid, chain) in enumerate(self.cfg.chains.items()):
            for sid, seg in chain.segments.items():
                index[cid, sid] = len(self.seg_chain)
                graph.add_node(index[cid, sid])
                self.seg_chain.append(c)
                self.incumbents.append(seg.incumbents)
                self.anchor_incumbents.append(seg.anchor_incumbents)
                self.seg_weight.append(seg.pool_weight)
            graph.add_edges_from((index[cid, a], index[cid, b]) for a, b in chain.edges)
        self.n_segments = n = len(self.seg_chain)
        self.neighbours = [sorted(graph.neighbors(i)) for i in range(n)]
        self.segments_of = {
            c: [i for i in range(n) if self.seg_chain[i] == c] for c in range(len(self.chain_ids))
        }
        self.producing_by_segment = [0] * n
        self.producing_anchors = [0] * n
        self.missing = [False] * n
        self.access = [0.0] * n

    def _make_firms(self) -> None:
        """Draw every firm's fixed attributes once (docs/model.md, "Agents and state")."""
        cfg, rng = self.cfg, self.rng
        pop, size, loc = cfg.population, cfg.population.project_size, cfg.location
        n = pop.pool_size
        chains = list(cfg.chains.values())
        shares = np.array([c.pool_share for c in chains])
        chain = rng.choice(len(chains), size=n, p=shares / shares.sum())
        segment = np.zeros(n, dtype=np.int64)
        for c, segs in self.segments_of.items():
            mine = np.flatnonzero(chain == c)
            w = np.array([self.seg_weight[i] for i in segs])
            segment[mine] = np.array(segs)[rng.choice(len(segs), size=len(mine), p=w / w.sum())]
        regions = list(pop.regions.values())
        rshare = np.array([r.pool_share for r in regions])
        region = rng.choice(len(regions), size=n, p=rshare / rshare.sum())
        foreign = rng.random(n) < np.array([r.foreign_entity_share for r in regions])[region]
        anchor = rng.random(n) < size.anchor_share
        value = size.median_yi * np.exp(size.sigma_log * rng.standard_normal(n))
        value = np.minimum(np.where(anchor, value * size.anchor_size_factor, value), size.max_yi)
        industrial = np.array([c.industrial for c in chains])[chain]
        land = value * np.where(industrial, loc.land_ha_per_yi_industrial, loc.land_ha_per_yi_other)
        mw = np.where(industrial, value * loc.mw_per_yi_industrial, 0.0)
        self.firms = [
            FirmAgent(self, *a)
            for a in zip(
                chain.tolist(),
                segment.tolist(),
                region.tolist(),
                foreign.tolist(),
                anchor.tolist(),
                industrial.tolist(),
                value.tolist(),
                land.tolist(),
                mw.tolist(),
            )
        ]
        in_region: list[list[FirmAgent]] = [[] for _ in regions]
        in_segment: list[list[FirmAgent]] = [[] for _ in range(self.n_segments)]
        for f in self.firms:
            in_region[f.region].append(f)
            in_segment[f.segment].append(f)
        self.by_region = [Group(m) for m in in_region]
        self.by_segment = [Group(m) for m in in_segment]
        self._biased: dict[tuple[int, float], Group] = {}
        self.region_cum = np.cumsum(rshare)

    def _levers(self) -> None:
        """Per step: which strategies and reforms act (by lever date)."""
        cal, s = self.calendar, self.cfg.strategies

        def on(w) -> np.ndarray:
            return cal.lever_mask(w.active_from, w.active_until) & w.enabled

        self.leader_on, self.chain_on, self.service_on = (
            on(s.leader_led),
            on(s.chain_based),
            on(s.commissioners),
        )
        rf = s.commissioners.reforms  # the reforms belong to the service strategy
        self.reforms = {
            k: on(getattr(rf, k)) & self.service_on for k in ("land_and_build", "missing_docs", "full_agency")
        }

    def _schedules(self) -> None:
        """Leader trips per step (per window) and event invitations per step."""
        cal, cfg, n = self.calendar, self.cfg, self.calendar.n_steps
        ll, start = cfg.strategies.leader_led, cfg.calendar.start_date
        burn = cal.date_end < np.datetime64(start, "D")
        self.trips: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {"city": [], "county": []}
        for w in ll.trips.values():
            trips = np.zeros(n, dtype=np.int64)
            trips[~burn] = cal.spread_over(w.trips, w.start, w.end)[~burn]  # by days, even past the run
            if burn.any() and w.start <= start <= w.end:  # burn-in: this window's trips a day
                per_day = w.trips / ((w.end - w.start).days + 1)
                trips[burn] = spread_by_length(per_day * cal.step_len[burn].sum(), cal.step_len[burn])
            trips[~self.leader_on] = 0
            dest = np.cumsum([w.destinations.get(r, 0.0) for r in self.region_ids])
            self.trips[w.level].append((trips, dest))
        self.events: list[EventPlan] = []
        for eid, e in cfg.events.items():
            step = cal.step_of(e.date)
            lever = getattr(cfg.strategies, e.lever)
            held = (
                e.enabled
                and 0 <= step < n
                and bool((cal.lever_mask(lever.active_from, lever.active_until) & lever.enabled)[step])
            )
            invites = np.zeros(n, dtype=np.int64)
            first = max(cal.step_of(e.date - dt.timedelta(days=e.outreach_days)), 0)
            if held and step > first:
                invites[first:step] = spread_by_length(e.outreach_contacts, cal.step_len[first:step])
            regions = {self.region_ids.index(r) for r in e.target_regions} or None
            chains = {self.chain_ids.index(c) for c in e.target_chains} or None
            invited = Group(
                [
                    f
                    for f in self.firms
                    if (regions is None or f.region in regions) and (chains is None or f.chain in chains)
                ]
                if held
                else [],
                e.size_bias,
            )
            self.events.append(EventPlan(eid, step if held else -1, invites, regions, chains, invited))

    # ------------------------------------------------------------------ one step
    def step(self) -> None:
        cal, t = self.calendar, self.t
        self.day, self.step_len, self.s = float(cal.day_end[t]), float(cal.step_len[t]), float(cal.scale[t])
        self.new_signings, self.refused = [], []
        self.flow = defaultdict(float)  # this step's flows by FLOWS name, recorded in phase 10
        self.recycle()  # 1
        self.chain_state()  # 2
        self.contact()  # 3
        self.hold_events()  # 4
        for firm in self.talks:  # 5 negotiate
            firm.step()
        self.talks = [f for f in self.talks if f.stage in TALKING]
        for firm in self.new_signings:  # 6 sign
            firm.sign()
        self.projects.extend(self.new_signings)
        self.serve()  # 7
        self.build()  # 8
        for firm in self.projects:  # 9 funds
            if firm.stage == Stage.CONSTRUCTION:
                firm.build_instalment()
        self.record()  # 10
        self.t += 1
        if self.t >= cal.n_steps:
            self.running = False

    def run(self) -> ReferenceModel:
        while self.running:
            self.step()
        return self

    # ------------------------------------------------------------------ phases
    def recycle(self) -> None:
        for firm in self.returns.pop(self.t, []):
            firm.stage = Stage.POOL
            self.n_lost -= 1
        for park in self.parks:
            park.refill(self.step_len)

    def chain_state(self) -> None:
        """Missing links (缺链) and supplier access from the local producers."""
        local = [a + b for a, b in zip(self.incumbents, self.producing_by_segment)]
        for segs in self.segments_of.values():
            mean = sum(local[i] for i in segs) / len(segs)
            for i in segs:
                self.missing[i] = local[i] < self.cfg.strategies.chain_based.missing_link_ratio * mean
        for i, nb in enumerate(self.neighbours):
            self.access[i] = sum(not self.missing[j] for j in nb) / len(nb) if nb else 0.0
        self.rec.missing[self.t] = self.missing

    def reach(self, group: Group, source: str, leader: bool = False, hold_until: float | None = None) -> None:
        """One contact: a firm still in the pool of ``group`` (if any) becomes contacted
        (an event invitee, with ``hold_until``: negotiating at once, signing no earlier than that day)."""
        firm = group.draw(self.rng)
        if firm is not None:
            firm.contact(source, leader)
            if hold_until is not None:
                firm.stage, firm.hold_day = Stage.NEGOTIATING, hold_until
            self.talks.append(firm)
            self.flow["contacts"] += 1

    def contact(self) -> None:
        t, rng, s, cb = self.t, self.rng, self.s, self.cfg.strategies.chain_based
        ll = self.cfg.strategies.leader_led
        for level, windows in self.trips.items():  # leader trips
            per_trip = ll.firms_per_city_trip if level == "city" else ll.firms_per_county_trip
            for trips, dest in windows:
                self.flow[f"{level}_leader_trips"] += int(trips[t])
                for _ in range(int(trips[t])):
                    region = pick(dest, rng.random())
                    for _ in range(per_trip):
                        self.reach(self.region_group(region, ll.size_bias), "leader_trip", leader=True)
        if self.chain_on[t]:
            for g in cb.groups.values():  # sector groups
                segs = [i for c in g.chains for i in self.segments_of[self.chain_ids.index(c)]]
                gaps = [i for i in segs if self.missing[i]]
                for _ in range(rng.poisson(g.contacts_per_step * s)):
                    aim = gaps if gaps and rng.random() < cb.targeting_precision else segs
                    self.reach(
                        self.by_segment[aim[min(int(rng.random() * len(aim)), len(aim) - 1)]], "chain_group"
                    )
            p = per_step(cb.anchor_referral_prob_per_step, s)
            for i, nb in enumerate(self.neighbours):  # anchor referrals
                anchors = self.anchor_incumbents[i] + self.producing_anchors[i]
                for _ in range(rng.poisson(anchors * p) if anchors and nb else 0):
                    self.reach(
                        self.by_segment[nb[min(int(rng.random() * len(nb)), len(nb) - 1)]], "anchor_referral"
                    )
        for ev in self.events:  # event invitations
            hold = (
                float(self.calendar.day_end[ev.step]) if self.cfg.events[ev.eid].invitees_negotiate else None
            )
            for _ in range(int(ev.invites[t])):
                self.reach(ev.invited, "event", hold_until=hold)
        for _ in range(rng.poisson(self.cfg.organic.arrivals_per_step * s)):  # organic arrivals
            self.reach(self.by_region[pick(self.region_cum, rng.random())], "organic")

    def region_group(self, region: int, bias: float) -> Group:
        if not bias:
            return self.by_region[region]
        if (region, bias) not in self._biased:
            self._biased[region, bias] = Group(self.by_region[region].members, bias)
        return self._biased[region, bias]

    def hold_events(self) -> None:
        """On an event's step, targeted negotiating firms sign with event_close_prob."""
        for ev in self.events:
            if ev.step != self.t:
                continue
            for firm in self.talks:
                if (
                    firm.stage == Stage.NEGOTIATING
                    and (ev.regions is None or firm.region in ev.regions)
                    and (ev.chains is None or firm.chain in ev.chains)
                    and self.rng.random() < self.cfg.pipeline.event_close_prob
                ):
                    firm.stage, firm.source = Stage.SIGNED, "event"
                    self.new_signings.append(firm)
                    self.rec.event_signings[ev.eid] += 1
                    self.rec.event_value_yi[ev.eid] += firm.value_yi
        self.talks = [f for f in self.talks if f.stage in TALKING]

    def serve(self) -> None:
        """Free commissioner slots go to the largest never-served projects."""
        cm = self.cfg.strategies.commissioners
        if not self.service_on[self.t]:
            return
        free = cm.slots - sum(f.serving for f in self.projects)
        if free <= 0:
            return
        wanting = sorted(
            (f for f in self.projects if not f.served and f.value_yi >= cm.min_value_yi),
            key=lambda f: -f.value_yi,
        )
        for firm in wanting[:free]:
            firm.served = firm.serving = True
            firm.due_day = self.day + max(firm.due_day - self.day, 0.0) * cm.duration_factor

    def build(self) -> None:
        """Scheduled transitions in stage order; land first come, first served; drop-outs."""
        for stage in (Stage.SIGNED, Stage.REGISTERED, Stage.LAND, Stage.CONSTRUCTION):
            due = [f for f in self.projects if f.stage == stage and f.due_day <= self.day]
            if stage == Stage.REGISTERED:
                due.sort(key=lambda f: f.due_day)
            for firm in due:
                firm.step()
            if stage == Stage.REGISTERED:
                for firm in self.refused:
                    firm.wait_or_divert()
        self.projects = [f for f in self.projects if f.stage <= Stage.CONSTRUCTION]
        for firm in self.projects:
            firm.survive()
        self.projects = [f for f in self.projects if f.stage != Stage.LOST]

    def record(self) -> None:
        counts = [0] * len(Stage)
        for firm in self.talks + self.projects:
            counts[firm.stage] += 1
        counts[Stage.PRODUCING], counts[Stage.LOST] = self.n_producing, self.n_lost
        counts[Stage.POOL] = len(self.firms) - sum(counts)
        self.rec.stages[self.t] = counts
        for name, value in self.flow.items():
            self.rec.add(self.t, name, value)
        for name, rows in self._durations.items():
            if rows:
                days, served, value, done = (np.array(col) for col in zip(*rows))
                self.rec.durations(name, days, served.astype(bool), value, done)
                rows.clear()

    # ------------------------------------------------------------------ services for the firms
    def choose_park(self, firm: FirmAgent) -> int | None:
        """Multinomial logit by Gumbel-max over the parks whose free land covers the need."""
        best, best_score = None, -math.inf
        for i, park in enumerate(self.parks):
            if park.has_room(firm.land_need_ha):
                score = park.utility(firm.chain) - math.log(-math.log(max(self.rng.random(), 1e-300)))
                if score > best_score:
                    best, best_score = i, score
        return best

    def reform_on(self, name: str) -> bool:
        return bool(self.reforms[name][self.t])

    def reform_factor(self, name: str) -> float:
        return (
            getattr(self.cfg.strategies.commissioners.reforms, name + "_factor")
            if self.reform_on(name)
            else 1.0
        )

    def register_mean_days(self) -> float:
        return (
            self.cfg.pipeline.register_days
            * self.reform_factor("missing_docs")
            * self.reform_factor("full_agency")
        )

    def cohorts_of(self, firm: FirmAgent) -> list[int]:
        date = self.calendar.date(self.t)
        return [
            c
            for c, co in enumerate(self.cohorts)
            if co.signed_from <= date <= co.signed_until
            and firm.value_yi >= co.min_value_yi
            and (firm.industrial or not co.industrial_only)
        ]

    def note_signing(self, firm: FirmAgent) -> None:
        t, v, flow = self.t, firm.value_yi, self.flow
        flow["signings"] += 1
        flow["signing_value_yi"] += v
        flow["signings_ge_10yi"] += v >= 10
        if firm.industrial and v >= 1:
            flow["industrial_signings_ge_1yi"] += 1
            flow["industrial_signing_value_yi"] += v
            flow["industrial_signings_ge_10yi"] += v >= 10
        flow[f"signings_by_source.{firm.source}"] += 1
        self.rec.segment_signings[t, firm.segment] += 1
        for c in firm.cohorts:
            self.rec.cohort_signed[c] += 1

    def note_cohort(self, firm: FirmAgent, day: float, into: np.ndarray) -> None:
        for c in firm.cohorts:
            if day <= self.as_of_day[c]:
                into[c] += 1

    def note_duration(self, name: str, days: float, firm: FirmAgent, done_day: float) -> None:
        self._durations[name].append((days, firm.served, firm.value_yi, done_day))

    def pay(self, firm: FirmAgent, amount_yi: float) -> None:
        """Funds arrive: domestic in 到位资金 (and its industrial part), foreign in 亿美元."""
        firm.funds_left_yi -= amount_yi
        if firm.foreign:
            self.flow["fdi_usd_yi"] += amount_yi / self.cfg.pipeline.fx_cny_per_usd
        else:
            self.flow["funds_in_place_yi"] += amount_yi
            if firm.industrial:
                self.flow["industrial_funds_in_place_yi"] += amount_yi

    def add_producer(self, firm: FirmAgent) -> None:
        self.n_producing += 1
        self.producing_by_segment[firm.segment] += 1
        self.producing_anchors[firm.segment] += firm.anchor
        park = self.parks[firm.park]
        park.producers[firm.chain] = park.producers.get(firm.chain, 0) + 1

    def lose(self, firm: FirmAgent) -> None:
        """Lost: back in the pool recontact_after_days later, as a new candidate."""
        firm.stage, firm.serving = Stage.LOST, False
        self.n_lost += 1
        self.flow["lost"] += 1
        back = self.calendar.step_at_day(self.day + self.cfg.population.recontact_after_days)
        self.returns.setdefault(back, []).append(firm)

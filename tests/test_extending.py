"""Adding a strategy needs no change under src/ (issue 12; docs/extending.md walks through it).

The toy strategy below is defined here, in the test file: 基金招商, a government guidance
fund that co-invests in new-energy and new-materials projects. From 2023 it approaches a
few firms a step from those chains (larger firms likelier), and a firm it approached signs
faster (the fund's co-investment). Registered by a fixture (and unregistered after, so no
other test sees it), it runs in BOTH engines: it contacts firms, its signings show up as
their own source in summary.json, and the signings by source still add up to the signings.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import chainsim
from chainsim import vocabulary
from chainsim.engine.calendar import NEVER
from chainsim.engine.strategies import (
    REGISTRY,
    ContactOrder,
    Context,
    Strategy,
    Within,
    order_keys,
    register,
    team_key,
    unregister,
)
from chainsim.results.outputs import print_summary
from chainsim.vocabulary import source_names
from paths import DEFAULT_SCENARIO

OVERRIDES = ["population.pool_size=20000", "calendar.burn_in_steps=10"]
ENGINES = ("vectorised", "reference")


class GuidanceFund(Strategy):
    """基金招商: a government guidance fund's deal team (a toy strategy, for this test and
    docs/extending.md). From ``START`` it approaches ``FIRMS_PER_STEP`` pool firms a step
    from its chains, ∝ size^``SIZE_BIAS``; a firm it approached signs ``SIGN_BOOST`` times
    as fast while negotiating."""

    key = "guidance_fund"
    order = 60  # after the built-in strategies: a firm they draw in the same step is theirs
    sources = (("guidance_fund", "guidance fund", "基金招商"),)
    marks_contacts = True  # the engines keep the day it approached each firm (for sign_multiplier)

    CHAINS = ("green_energy", "new_materials")
    START = dt.date(2023, 1, 1)
    FIRMS_PER_STEP = 8
    SIZE_BIAS = 1.0
    SIGN_BOOST = 1.5

    def __init__(self, model: Context) -> None:
        super().__init__(model)
        self.source = self.code("guidance_fund")  # its code, known once registered
        self.within = Within(chains=tuple(model.chains.chain_ids.index(c) for c in self.CHAINS))
        self.active = model.calendar.lever_mask(self.START, None)
        self.keys = order_keys(team_key("guidance_fund"), self.FIRMS_PER_STEP)

    def sampling(self) -> list[tuple[str | Within, float]]:
        return [(self.within, self.SIZE_BIAS)]

    def contacts(self, t: int) -> list[ContactOrder]:
        if not self.active[t]:
            return []
        R, k = self.ctx.n_reps, self.FIRMS_PER_STEP
        return [
            ContactOrder(
                source=self.source,
                by=self.within,
                rep=np.repeat(np.arange(R), k),  # k firms in every replicate of the batch
                groups=np.zeros(R * k, dtype=np.int64),  # a Within set is one group
                keys=np.tile(self.keys, R),
                size_bias=self.SIZE_BIAS,
            )
        ]

    def sign_multiplier(self, t: int, day: float, mark_day: np.ndarray) -> np.ndarray:
        return np.where(mark_day > NEVER, self.SIGN_BOOST, 1.0)


@pytest.fixture
def guidance_fund():
    """Register the toy strategy for one test; afterwards unregister it, which removes its
    signing source too (the vocabulary is global: a later run must not carry its column)."""
    register(GuidanceFund)
    yield GuidanceFund
    unregister(GuidanceFund.key)
    assert "guidance_fund" not in vocabulary.source_names()


def _run(engine: str, replications: int = 2):
    return chainsim.run(chainsim.load(DEFAULT_SCENARIO, OVERRIDES), replications=replications, engine=engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_strategy_defined_in_a_test_runs_in_both_engines(guidance_fund, engine):
    results = _run(engine)
    summary = results.summary()
    periods = summary["periods"]
    fund = {p: periods[p]["signings_by_source"]["guidance_fund"]["mean"] for p in periods}
    assert fund["2022H1"] == fund["2022H2"] == 0, fund  # it acts from 2023
    assert fund["2023H1"] > 0 and fund["2023_to_aug"] >= fund["2023H1"], fund
    for p, block in periods.items():  # the sources still add up to the signings
        by_source = sum(s["mean"] for s in block["signings_by_source"].values())
        assert by_source == pytest.approx(block["signings"]["mean"]), p
    assert list(periods["2023H1"]["signings_by_source"]) == source_names()  # built-ins first, then the fund

    for rep in results.replicates:  # per replicate and step, exactly
        rec = rep.recorder
        by_source = sum(rec.flows[:, rec.F[f"signings_by_source.{s}"]] for s in rec.sources)
        assert np.array_equal(by_source, rec.flows[:, rec.F["signings"]])
    table = results.timeseries()
    assert table.column("signings_by_source_guidance_fund").to_numpy().sum() > 0
    lines: list[str] = []
    print_summary(summary, results.config, lines.append)
    assert any("guidance_fund 基金招商" in line for line in lines)


def test_its_contacts_come_from_its_chains_and_sign_faster(guidance_fund):
    """On the reference engine, firm by firm: every firm the fund brought is of its chains,
    and a firm it approached carries its mark (the day), which its sign multiplier reads."""
    from chainsim.reference import ReferenceModel

    cfg = chainsim.load(DEFAULT_SCENARIO, OVERRIDES)
    m = ReferenceModel(cfg, rng=3).run()
    chains = {m.chains.chain_ids.index(c) for c in GuidanceFund.CHAINS}
    brought = [f for f in m.firms if f.source == "guidance_fund"]
    assert brought and all(f.chain in chains for f in brought)
    start = m.calendar.day_of(GuidanceFund.START)
    assert all(f.marks["guidance_fund"] >= start for f in brought)
    fund = next(s for s in m.strategies if s.key == "guidance_fund")
    assert fund.sign_multiplier(0, 0.0, np.array([NEVER, 10.0])).tolist() == [1.0, GuidanceFund.SIGN_BOOST]
    assert m.recorder.flows[:, m.recorder.F["signings_by_source.guidance_fund"]].sum() > 0


def test_unregistered_it_leaves_no_trace():
    """After the fixture: no strategy, no source, no column (runs after the tests above)."""
    assert "guidance_fund" not in REGISTRY and "guidance_fund" not in source_names()
    summary = _run("vectorised", replications=1).summary()
    assert "guidance_fund" not in summary["periods"]["2023H1"]["signings_by_source"]

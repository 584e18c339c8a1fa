"""The shipped counterfactuals (issue 13, point 5) change 2023 only.

``kunming_2023_as_2022.yaml`` (2023 on the 2022 levers and in the 2022 climate) and
``kunming_2023_levers_2022.yaml`` (the 2022 levers under the 2023 climate) keep the reforms
and everything else of the default, so under common random numbers (same root seed)
every 2022 figure is identical to the default's. One flow differs, by design: the flower
fair of March 2023 (F9) sends its invitations from mid-December 2022 (its 90 outreach
days), so the default's 2022H2 counts those contacts (and the invitees that drop out
before the year ends); the counterfactuals, which hold no 2023 event, do not.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from chainsim import load, run
from chainsim.engine.model import ChainModel
from paths import DEFAULT_SCENARIO, SCENARIOS_DIR

SMALL = ["population.pool_size=40000", "calendar.burn_in_steps=20"]
COUNTERFACTUALS = ("kunming_2023_as_2022.yaml", "kunming_2023_levers_2022.yaml")
OUTREACH_FLOWS = {"contacts", "lost"}  # 2023 events' invitations sent in 2022 (see above)


def periods(path) -> dict:
    return run(load(path, SMALL), seed=5, replications=3).summary()["periods"]


@pytest.fixture(scope="module")
def default() -> dict:
    return periods(DEFAULT_SCENARIO)


def invitations_in_2022() -> int:
    """Invitations the default's 2023 events send in 2022 steps (one replicate)."""
    m = ChainModel(load(DEFAULT_SCENARIO, SMALL), rng=1)
    events = next(s for s in m.strategies if s.key == "events")
    in_2022 = m.calendar.date_end < np.datetime64(dt.date(2023, 1, 1))
    return int(sum(p.invites[in_2022].sum() for p in events.plans))


@pytest.mark.parametrize("name", COUNTERFACTUALS)
def test_counterfactual_keeps_2022_identical(default, name):
    cf = periods(SCENARIOS_DIR / name)
    same = lambda a, b: json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)  # noqa: E731
    assert same(cf["2022H1"], default["2022H1"])
    for metric, value in default["2022H2"].items():
        if metric not in OUTREACH_FLOWS:
            assert same(cf["2022H2"][metric], value), metric
    extra = default["2022H2"]["contacts"]["mean"] - cf["2022H2"]["contacts"]["mean"]
    assert 0 <= extra <= invitations_in_2022()
    assert not same(cf["2023H1"], default["2023H1"])  # and 2023 does change


def test_as_2022_holds_the_2022_climate_and_levers_2022_the_reopening():
    base = load(DEFAULT_SCENARIO)
    as_2022 = load(SCENARIOS_DIR / "kunming_2023_as_2022.yaml")
    levers = load(SCENARIOS_DIR / "kunming_2023_levers_2022.yaml")
    day = dt.date(2023, 5, 1)
    assert as_2022.climate.at(day) == base.climate.at(dt.date(2022, 5, 1))
    assert levers.climate == base.climate
    assert levers.strategies.commissioners == base.strategies.commissioners  # the reforms stay
    assert as_2022.strategies == levers.strategies and as_2022.events == levers.events

"""The classroom exercises of docs/teaching.md hold on the current default scenario.

Each claim an exercise makes is checked as what the page would show over 20 seeds: the
lever changed exactly as the page's control changes it (`controls.overrides`), each seed
run twice — scenario and changed lever — under common random numbers, and the claim
stated as a paired difference whose 95 % interval (t, 19 degrees of freedom) lies on the
stated side of zero (or, for "hardly changes", inside a stated band). When a recalibration
changes a claim, this test fails and the lesson is rewritten (issue 15: the calibration
relies on these tests).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from chainsim.dashboard.classroom import build
from chainsim.dashboard.controls import defaults
from chainsim.engine.records import F
from chainsim.vocabulary import SOURCE_NAMES
from paths import DEFAULT_SCENARIO

SEEDS = range(1, 21)
T975 = 2.093  # t quantile, 19 degrees of freedom
MISSING_BIOMEDICINE = (("biomedicine", "excipients_packaging"), ("biomedicine", "cro_cdmo"))


def outcomes(**levers) -> list[dict[str, float | np.ndarray]]:
    """What the page shows at the end of each seed's run (31 Aug 2023), lever as given."""
    rows = []
    for seed in SEEDS:
        m = build(defaults(DEFAULT_SCENARIO, seed=seed).replace(**levers)).model
        while m.running:
            m.step()
        flows = m.recorder.flows[m.reported]
        cohorts = m.cohort_status()
        bio = [m.chains.offset[s] for s in MISSING_BIOMEDICINE]
        rows.append(
            {
                "signings": flows[:, F["signings"]].sum(),
                "signing_value_yi": flows[:, F["signing_value_yi"]].sum(),
                "funds_in_place_yi": flows[:, F["funds_in_place_yi"]].sum(),
                "trips": flows[:, F["city_leader_trips"]].sum() + flows[:, F["county_leader_trips"]].sum(),
                "leader_signings": flows[:, F["signings_by_source.leader_trip"]].sum(),
                "by_source": {s: flows[:, F[f"signings_by_source.{s}"]].sum() for s in SOURCE_NAMES[:5]},
                "landed_share": cohorts.landed / np.maximum(cohorts.signed, 1),  # by signing quarter
                "quarters": np.array(cohorts.quarters),
                "new_producers_missing_links": float(
                    (m.producing_by_segment[0][bio] - m.producing_at_start[bio]).sum()
                ),
                # both segments no longer missing links (no longer orange on the chain map)
                "missing_links_closed": float(not any(m.missing[0, i] for i in bio)),
            }
        )
    return rows


def diff(a: list[dict], b: list[dict], key: str, index: object = ()) -> tuple[float, float, float]:
    """Mean of the paired differences a − b, and its 95 % interval."""
    d = np.array([np.asarray(x[key])[index] - np.asarray(y[key])[index] for x, y in zip(a, b)], dtype=float)
    return interval(d)


def paired(a: list[dict], b: list[dict], f: Callable[[dict, dict], float]) -> tuple[float, float, float]:
    """Mean of f(run of a, same seed's run of b) over the seeds, and its 95 % interval: for a
    claim about a combination (a difference of differences, a ratio's bound)."""
    return interval(np.array([f(x, y) for x, y in zip(a, b)], dtype=float))


def interval(d: np.ndarray) -> tuple[float, float, float]:
    """Mean of paired differences and its 95 % interval (t, 19 degrees of freedom)."""
    half = T975 * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


@pytest.fixture(scope="module")
def arms() -> dict[str, list[dict]]:
    return {
        "scenario": outcomes(),
        "commissioners_off": outcomes(commissioners_on=False),
        "trips_x2": outcomes(leader_trips=2.0),
        "precision_0": outcomes(precision=0.0),
    }


@pytest.mark.slow
def test_exercise_1_commissioners_off_lowers_landing_much_more_than_signings(arms):
    base, off = arms["scenario"], arms["commissioners_off"]
    # signings fall a little — fewer projects reach production, so fewer segments have
    # producers and supplier access falls — but by less than 5 % (the landing shares below
    # fall by 7–20 points); the fall that is clear of noise is the organic arrivals'
    mean, lo, hi = diff(off, base, "signings")
    total = np.mean([r["signings"] for r in base])
    assert -0.05 * total < lo and hi < 0, (mean, lo, hi)
    organic = paired(off, base, lambda o, b: o["by_source"]["organic"] - b["by_source"]["organic"])
    assert organic[2] < 0, organic
    # the share of each 2022 quarter that has broken ground falls, and falls more for the later quarters
    quarters = list(base[0]["quarters"])
    at = [quarters.index(q) for q in ("2022Q1", "2022Q2", "2022Q3", "2022Q4")]
    falls = [diff(off, base, "landed_share", i) for i in at]
    assert all(hi < 0 for _, _, hi in falls), falls

    def fall(o: dict, b: dict, i: int) -> float:
        return o["landed_share"][i] - b["landed_share"][i]

    for early, late in ((at[0], at[2]), (at[1], at[3]), (at[2], at[3])):  # Q3 > Q1, Q4 > Q2, Q4 > Q3
        more = paired(off, base, lambda o, b, e=early, la=late: fall(o, b, la) - fall(o, b, e))
        assert more[2] < 0, (quarters[early], quarters[late], more)
    # funds in place fall: projects that land later pay in later (on the default of 6 Dec
    # 2026's first recalibration the fall was lost in the lumpy funds; on this one it is
    # −16 %, and the lesson says so)
    _, lo, hi = diff(off, base, "funds_in_place_yi")
    assert hi < 0, (lo, hi)


@pytest.mark.slow
def test_exercise_2_doubled_trips_bring_signings_at_the_same_rate_and_less_money(arms):
    base, x2 = arms["scenario"], arms["trips_x2"]
    trips = [r["trips"] for r in base]
    assert [r["trips"] for r in x2] == [2 * t for t in trips]  # the officials' time doubles
    for key in ("signings", "signing_value_yi", "funds_in_place_yi"):
        assert diff(x2, base, key)[1] > 0, key  # signings, their value and funds rise
    # signings per trip stay about the same: within ±15 % of the scenario's
    per_trip = np.array([[r["leader_signings"] / r["trips"] for r in arm] for arm in (base, x2)])
    ratio = per_trip[1] / per_trip[0]
    half = T975 * ratio.std(ddof=1) / np.sqrt(len(ratio))
    assert 0.85 < ratio.mean() - half and ratio.mean() + half < 1.15, ratio
    # funds in place rise by less than signing value (both 亿元): paired, (Δ value − Δ funds) > 0
    gap = np.array(
        [(a["signing_value_yi"] - b["signing_value_yi"]) - (a["funds_in_place_yi"] - b["funds_in_place_yi"])
         for a, b in zip(x2, base)]
    )  # fmt: skip
    assert gap.mean() - T975 * gap.std(ddof=1) / np.sqrt(len(gap)) > 0, gap
    # ... by less than half of it: Δ funds − ½ Δ value < 0
    half_gap = paired(
        x2,
        base,
        lambda a, b: (
            (a["funds_in_place_yi"] - b["funds_in_place_yi"])
            - 0.5 * (a["signing_value_yi"] - b["signing_value_yi"])
        ),
    )
    assert half_gap[2] < 0, half_gap


@pytest.mark.slow
def test_exercise_3_aiming_at_missing_links_brings_them_more_producers(arms):
    base, p0 = arms["scenario"], arms["precision_0"]
    # with precision 60 % the two missing biomedicine segments gain more new producers than untargeted
    mean, lo, _ = diff(base, p0, "new_producers_missing_links")
    assert lo > 0, (mean, lo)
    # ... more than one and a half times as many ("nearly doubles")
    ratio = paired(
        base, p0, lambda a, b: a["new_producers_missing_links"] - 1.5 * b["new_producers_missing_links"]
    )
    assert ratio[1] > 0, ratio
    # and aiming is what closes them by 31 Aug 2023: in every seed with it, in none without
    assert [r["missing_links_closed"] for r in base] == [1.0] * len(SEEDS)
    assert [r["missing_links_closed"] for r in p0] == [0.0] * len(SEEDS)
    # the order of the signing sources the lesson reads off the chart, each gap paired within a run
    order = ("chain_group", "organic", "leader_trip", "event", "anchor_referral")
    for first, second in zip(order, order[1:]):
        gap = paired(base, base, lambda a, _, f=first, s=second: a["by_source"][f] - a["by_source"][s])
        assert gap[1] > 0, (first, second, gap)

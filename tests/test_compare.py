"""chainsim.compare: paired differences under common random numbers (issue 16, point 1)."""

from __future__ import annotations

import csv
import io
import math

import chainsim
from chainsim.results.compare import compare_results
from paths import DEFAULT_SCENARIO

SMALL = ["population.pool_size=40000", "calendar.burn_in_steps=30"]


def test_a_scenario_against_itself_differs_by_exactly_nothing():
    c = chainsim.compare(
        DEFAULT_SCENARIO, DEFAULT_SCENARIO, replications=4, overrides_a=SMALL, overrides_b=SMALL
    )
    assert c.paired and c.replications == 4
    assert len(c.rows) > 50
    for r in c.rows:
        if not math.isnan(r.diff):
            assert r.diff == 0 and r.ci95_low == 0 and r.ci95_high == 0, r


def test_a_lever_that_raises_signings_gives_a_positive_paired_difference():
    c = chainsim.compare(
        DEFAULT_SCENARIO, DEFAULT_SCENARIO, replications=8,
        overrides_a=SMALL, overrides_b=[*SMALL, "strategies.leader_led.trips.city_2023h1.trips=60"],
    )  # fmt: skip
    r = c.row("periods.2023H1.signings")
    assert c.paired and r.ci95_low > 0, r
    assert r.label_zh  # the Chinese term comes along
    # CSV: one row an indicator, the same numbers
    rows = list(csv.DictReader(io.StringIO(c.to_csv())))
    assert len(rows) == len(c.rows)
    got = next(x for x in rows if x["path"] == "periods.2023H1.signings")
    assert float(got["diff"]) == r.diff


def test_different_pools_are_compared_unpaired_and_say_why():
    a = chainsim.run(chainsim.load(DEFAULT_SCENARIO, SMALL), replications=4)
    b = chainsim.run(
        chainsim.load(DEFAULT_SCENARIO, [*SMALL, "population.project_size.median_yi=0.5"]), replications=4
    )
    c = compare_results(a, b)
    assert not c.paired and "population" in c.why_unpaired
    r = c.row("periods.2023H1.signing_value_yi")
    assert r.ci95_low < r.diff < r.ci95_high and not r.paired


def test_the_command_prints_bilingually_and_writes_json_and_csv(tmp_path, capsys):
    from chainsim.cli import main

    out = tmp_path / "cmp"
    args = ["compare", str(DEFAULT_SCENARIO), str(DEFAULT_SCENARIO), "-r", "3", "--out", str(out)]
    args += [f"--set={s}" for s in SMALL] + ["--set-b=strategies.leader_led.trips.city_2023h1.trips=60"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "B − A" in printed and "签约项目" in printed
    data = __import__("json").loads((out / "compare.json").read_text(encoding="utf-8"))
    assert (
        data["paired"]
        and data["replications"] == 3
        and "confidence interval of the mean difference" in data["interval"]
    )
    rows = list(csv.DictReader(io.StringIO((out / "compare.csv").read_text(encoding="utf-8"))))
    assert {r["path"] for r in rows} == {r["path"] for r in data["rows"]}


def test_the_command_says_in_both_languages_when_it_cannot_pair(capsys):
    """The printed header names the interval actually computed: the paired one's wording
    would claim shared random numbers that different pools do not have."""
    from chainsim.cli import main

    args = ["compare", str(DEFAULT_SCENARIO), str(DEFAULT_SCENARIO), "-r", "2"]
    args += [f"--set={s}" for s in SMALL] + ["--set-b=population.project_size.median_yi=0.5"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "paired differences" not in printed and "配对差" not in printed
    assert "difference of the means, replicates not paired" in printed and "未配对" in printed
    assert "differ in: population" in printed and "各次模拟不共享随机数" in printed
    # a long label wraps in its column instead of being cut short
    assert "registered)" in printed

"""Regression baseline: the default scenario's summary.json at a fixed seed, checked exactly.

``tests/baseline/kunming_2023.summary.json`` holds what ``chainsim.run`` gave for
scenarios/kunming_2023.yaml at the scenario's own seed with 4 replicates. Every number
must come out equal (to the last bit): a change that moves any of them is a change of
behaviour, and is made on purpose with ``./dev baseline`` (scripts/refresh_baseline.py,
which also says what moved and by how much), in a commit that says why. The settings
(scenario, replicates, fields not compared) live in that script, the one place for them.
"""

from __future__ import annotations

import importlib.util
import math
import sys

import pytest

from paths import ROOT

_spec = importlib.util.spec_from_file_location("refresh_baseline", ROOT / "scripts" / "refresh_baseline.py")
assert _spec is not None and _spec.loader is not None
baseline = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = baseline  # dataclasses look their module up while the class is built
_spec.loader.exec_module(baseline)

HOW_TO_REFRESH = (
    "If this change of behaviour is intended, refresh the baseline on purpose with `./dev baseline` "
    "(scripts/refresh_baseline.py; `--check` only shows the differences) and commit the new "
    f"{baseline.BASELINE.relative_to(ROOT)} in a commit whose message says why the model's numbers "
    "changed. If it is not intended, your change moved the numbers: find out why before refreshing."
)


def test_default_scenario_matches_the_baseline():
    rel = baseline.BASELINE.relative_to(ROOT)
    if not baseline.BASELINE.exists():
        pytest.fail(f"{rel} is missing: make it with `./dev baseline` and commit it.", pytrace=False)
    new = baseline.compute()
    changes = baseline.differences(baseline.read_baseline(), new)
    if changes:
        pytest.fail(
            f"summary.json of {baseline.SCENARIO.relative_to(ROOT)} (seed {new.get('seed')}, "
            f"{baseline.REPLICATIONS} replicates) differs from {rel}:\n"
            f"{baseline.report(changes, baseline.leaves(new))}\n\n{HOW_TO_REFRESH}",
            pytrace=False,
        )


# ----------------------------------------------------------------- the comparison itself
def test_differences_are_exact_and_say_where():
    old = {
        "chainsim_version": "0.1.0",
        "seed": 1,
        "periods": {"a": {"mean": 2.0, "ci95": [1.0, 3.0]}, "b": {"mean": None}},
        "gone": 1,
    }
    assert baseline.differences(old, old) == []
    assert baseline.differences(old, {**old, "chainsim_version": "9.9.9"}) == []  # IGNORED

    new = {
        "chainsim_version": "0.1.0",
        "seed": 1.0,  # same value, other type: summary.json would read differently
        "periods": {"a": {"mean": 2.0 + 2**-51, "ci95": [1.0, 3.0, 4.0]}, "b": {"mean": None}},
        "added": True,
    }
    changes = {c.key: c for c in baseline.differences(old, new)}
    assert set(changes) == {"seed", "periods.a.mean", "periods.a.ci95[2]", "gone", "added"}
    assert "type int → float" in changes["seed"].describe()
    assert changes["periods.a.mean"].describe().startswith("periods.a.mean: 2.0 → 2.0000000000000004")
    assert changes["gone"].describe() == "gone: removed (was 1)"
    assert changes["added"].describe() == "added: added (true)"

    nan = {"x": math.nan}
    assert baseline.differences(nan, {"x": math.nan}) == []  # NaN equals NaN here
    assert [c.key for c in baseline.differences(nan, {"x": 0.0})] == ["x"]


def test_report_lists_the_largest_changes_first():
    old = {"small": 100.0, "large": 1.0, "same": 5}
    new = {"small": 101.0, "large": 2.0, "same": 5}
    text = baseline.report(baseline.differences(old, new), baseline.leaves(new), shown=1)
    lines = text.splitlines()
    assert lines[0] == "2 of 3 values changed (largest relative change first):"
    assert lines[1] == "  large: 1.0 → 2.0  (+1, +100.00%)"
    assert "1 more" in lines[2]
    assert baseline.report([], 3) == "no change: all 3 values equal"

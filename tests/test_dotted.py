"""Tests for chainsim.config.dotted: the dotted-key helpers of --set, sweeps and calibration."""

from __future__ import annotations

import datetime as dt

import pytest

from chainsim.config import dotted

DATA = {
    "name": "x",
    "reporting": {"cohorts": {2022: {"from": "2022-01-01"}}},
    "strategies": {
        "leader_led": {"enabled": True, "trips": {"h1": {"trips": 12}, "h2": {"trips": 8}}},
        "chain_based": {"groups": {"a": {"contacts_per_step": 3.5}, "b": {"contacts_per_step": 2}}},
    },
    "regions": ["kunming", "yuxi"],
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a.b=1", ("a.b", 1)),
        (" a . b = 2023-01-31 ", ("a.b", dt.date(2023, 1, 31))),
        ("a=[x, 2]", ("a", ["x", 2])),
        ("a.b=", ("a.b", None)),
        ("a={}", ("a", {})),
        ("a=on", ("a", True)),
    ],
)
def test_parse_setting(text: str, expected: tuple) -> None:
    assert dotted.parse_setting(text) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("a.b", "expected dotted.key=value, e.g. parks.anning.land_ha=900"),
        ("=1", "expected dotted.key=value"),
        ("a..b=1", "expected dotted.key=value"),
        ("a=[1, 2", "the value is not valid YAML"),
        ("a=2023-02-30", "invalid date '2023-02-30'"),
        ("a=!!python/name:os.system", "the value is not valid YAML"),
    ],
)
def test_parse_setting_refuses(text: str, why: str) -> None:
    with pytest.raises(dotted.SettingError, match=why):
        dotted.parse_setting(text)


def test_step_get_join_and_set_path() -> None:
    cohorts = DATA["reporting"]["cohorts"]
    assert dotted.step(cohorts, "2022") == 2022 and dotted.step(cohorts, "2023") is None
    assert dotted.step(DATA, "name") == "name" and dotted.step(["a"], "0") is None
    assert dotted.get(DATA, "strategies.leader_led.trips.h1.trips") == 12
    assert dotted.get(DATA, ("reporting", "cohorts", 2022, "from")) == "2022-01-01"
    assert dotted.join(("reporting", "cohorts", 2022)) == "reporting.cohorts.2022"
    data = {"a": {"b": 1}}
    dotted.set_path(data, ("a", "b"), 2)
    assert data == {"a": {"b": 2}}


def test_check_key() -> None:
    dotted.check_key(DATA, "strategies.leader_led.trips.h1.trips", numeric=True)
    dotted.check_key(DATA, "reporting.cohorts.2022.from", numeric=False)
    for key, why in [
        ("strategies.leader_led.trip", "has no key 'trip'.*did you mean 'trips'"),
        ("strategies.leader_led", "is a mapping, not a single value"),
        ("regions", "is a list"),
        ("name.first", "name is not a mapping"),
    ]:
        with pytest.raises(KeyError, match=why):
            dotted.check_key(DATA, key, numeric=False)
    with pytest.raises(KeyError, match="not a number"):
        dotted.check_key(DATA, "strategies.leader_led.enabled", numeric=True)


def test_apply_copies_and_reaches_int_keys() -> None:
    out = dotted.apply(DATA, {"reporting.cohorts.2022.from": "2022-02-01", "strategies.new": 1})
    assert out["reporting"]["cohorts"][2022]["from"] == "2022-02-01" and out["strategies"]["new"] == 1
    assert DATA["reporting"]["cohorts"][2022]["from"] == "2022-01-01" and "new" not in DATA["strategies"]


def test_expand_matches_numeric_fields_one_level_per_glob() -> None:
    groups = "strategies.chain_based.groups"
    assert dotted.expand(f"{groups}.*.contacts_per_step", DATA) == [
        ("strategies", "chain_based", "groups", "a", "contacts_per_step"),
        ("strategies", "chain_based", "groups", "b", "contacts_per_step"),
    ]
    assert dotted.expand("strategies.leader_led.trips.h[12].trips", DATA) == [
        ("strategies", "leader_led", "trips", "h1", "trips"),
        ("strategies", "leader_led", "trips", "h2", "trips"),
    ]
    assert dotted.expand("strategies.leader_led.enabled", DATA) == []  # a bool is not a number
    assert dotted.expand("strategies.*", DATA) == [] and dotted.expand("nowhere.x", DATA) == []


def test_nest() -> None:
    assert dotted.nest({"a.b.c": 1, "a.b.d": 2, "e": 3}) == {"a": {"b": {"c": 1, "d": 2}}, "e": 3}

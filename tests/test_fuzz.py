"""Fuzzing the files users write: every generated invalid scenario gets exit status 2,
one message that names the file and the field and says what is allowed, no traceback,
and nothing written to --out. In-process through ``chainsim.cli.main`` (the command
line's own entry point) for 1,000+ cases, and through the real ``chainsim`` subprocess
for a sample."""

from __future__ import annotations

import copy
import math
import subprocess
import sys

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainsim.cli import main
from fuzzkit import check_refused, misspell, set_path, whole_file_breakage
from paths import src_env

# A small but complete scenario: loads in milliseconds, so a thousand mutations run fast.
VALID = {
    "name": "fuzz",
    "calendar": {"start_date": "2022-01-01", "end_date": "2022-06-30", "burn_in_steps": 2},
    "population": {
        "pool_size": 2000,
        "regions": {"east": {"pool_share": 0.6, "foreign_entity_share": 0.1}, "west": {"pool_share": 0.4}},
    },
    "chains": {
        "food": {
            "industrial": True,
            "pool_share": 1.0,
            "segments": {s: {"incumbents": 3, "anchor_incumbents": 1} for s in "abcdef"},
            "edges": [["a", "b"], ["b", "c"], ["c", "d"], ["d", "e"], ["e", "f"]],
        }
    },
    "parks": {"north": {"land_ha": 100.0, "infrastructure_mw": 50.0, "specialisations": ["food"]}},
    "strategies": {
        "leader_led": {
            "trips": {
                "t1": {
                    "level": "city",
                    "start": "2022-01-01",
                    "end": "2022-06-30",
                    "trips": 4,
                    "destinations": {"east": 1.0},
                }
            }
        },
        "chain_based": {"groups": {"g": {"chains": ["food"], "contacts_per_step": 1.0}}},
        "commissioners": {"slots": 3},
    },
    "events": {
        "fair": {
            "date": "2022-03-01",
            "lever": "chain_based",
            "target_chains": ["food"],
            "outreach_contacts": 10,
        }
    },
    "reporting": {
        "periods": {"h1": {"start": "2022-01-01", "end": "2022-06-30"}},
        "cohorts": {"c": {"signed_from": "2022-01-01", "signed_until": "2022-03-31", "as_of": "2022-06-30"}},
    },
}

NUMERIC = [  # (path, lower bound that must hold)
    (("population", "pool_size"), 10),
    (("calendar", "burn_in_steps"), 0),
    (("calendar", "step_days"), 1),
    (("parks", "north", "land_ha"), 0),
    (("parks", "north", "infrastructure_mw"), 0),
    (("strategies", "commissioners", "slots"), 0),
    (("organic", "arrivals_per_step"), 0),
    (("pipeline", "sign_prob_per_step"), 0),
    (("pipeline", "realisation_share"), 0),
    (("strategies", "chain_based", "groups", "g", "contacts_per_step"), 0),
    (("strategies", "leader_led", "trips", "t1", "trips"), 0),
    (("events", "fair", "outreach_contacts"), 0),
    (("chains", "food", "segments", "a", "incumbents"), 0),
    (("population", "regions", "east", "pool_share"), 0),
]
DATES = [
    ("calendar", "start_date"),
    ("calendar", "end_date"),
    ("events", "fair", "date"),
    ("strategies", "leader_led", "trips", "t1", "start"),
    ("reporting", "periods", "h1", "end"),
]
MAPPINGS = [
    (),
    ("calendar",),
    ("population",),
    ("parks", "north"),
    ("strategies",),
    ("strategies", "leader_led"),
    ("strategies", "commissioners"),
    ("events", "fair"),
    ("chains", "food"),
    ("pipeline",),
    ("location",),
]
KNOWN = {
    (): [
        "calendar",
        "population",
        "parks",
        "strategies",
        "events",
        "reporting",
        "pipeline",
        "location",
        "organic",
    ],
    ("calendar",): ["start_date", "end_date", "step_days", "burn_in_steps"],
    ("population",): ["pool_size", "regions", "project_size"],
    ("parks", "north"): ["land_ha", "infrastructure_mw"],
    ("strategies",): ["leader_led", "chain_based", "commissioners"],
    ("strategies", "leader_led"): ["enabled", "trips"],
    ("strategies", "commissioners"): ["slots", "reforms", "enabled"],
    ("events", "fair"): ["date", "lever", "target_chains"],
    ("chains", "food"): ["industrial", "segments", "edges"],
    ("pipeline",): ["sign_prob_per_step", "realisation_share"],
    ("location",): ["specialisation", "free_land"],
}


@st.composite
def broken(draw):
    """(file bytes, words the message must contain) for one invalid scenario."""
    kind = draw(
        st.sampled_from(
            [
                "misspelt",
                "unknown",
                "wrong_type",
                "nonfinite",
                "negative",
                "huge",
                "bad_date",
                "dates_reversed",
                "bad_reference",
                "bad_literal",
                "syntax",
                "empty",
                "binary",
                "not_a_mapping",
            ]
        )
    )
    d = copy.deepcopy(VALID)
    if kind == "misspelt":
        where = draw(st.sampled_from(list(KNOWN)))
        key = draw(st.sampled_from(KNOWN[where]))
        wrong = misspell(key, draw(st.integers(0, 50)))
        node = d
        for p in where:
            node = node.setdefault(p, {})
        node[wrong] = node.pop(key, 1)
        return yaml.safe_dump(d).encode(), [wrong, "allowed", "did you mean"] if wrong.lower() != key else [
            wrong
        ]
    if kind == "unknown":
        where = draw(st.sampled_from(MAPPINGS))
        key = "zz_" + draw(st.text("abcdefghij_", min_size=1, max_size=8))
        set_path(d, where + (key,), draw(st.sampled_from([1, "x", [1], {"a": 1}])))
        return yaml.safe_dump(d).encode(), [key, "allowed keys"]
    if kind in ("wrong_type", "nonfinite", "negative", "huge"):
        path, low = draw(st.sampled_from(NUMERIC))
        value = {
            "wrong_type": draw(st.sampled_from(["many", [1, 2], {"a": 1}, "1e"])),
            "nonfinite": draw(st.sampled_from([math.nan, math.inf, -math.inf])),
            "negative": low - draw(st.integers(1, 10**6)) - 0.5 * draw(st.booleans()),
            "huge": draw(st.sampled_from([1e300, 10**40, 2**70])),
        }[kind]
        set_path(d, path, value)
        return yaml.safe_dump(d).encode(), [".".join(path[-2:])]
    if kind == "bad_date":
        path = draw(st.sampled_from(DATES))
        set_path(
            d,
            path,
            draw(st.sampled_from(["2023-02-30", "2022-13-01", "yesterday", "2022/01/01x", 20220101.5])),
        )
        return yaml.safe_dump(d).encode(), [path[-1]]
    if kind == "dates_reversed":
        set_path(d, ("calendar", "end_date"), "2021-06-30")
        return yaml.safe_dump(d).encode(), ["end_date"]
    if kind == "bad_reference":
        path = draw(
            st.sampled_from(
                [
                    ("events", "fair", "target_chains"),
                    ("parks", "north", "specialisations"),
                    ("strategies", "chain_based", "groups", "g", "chains"),
                ]
            )
        )
        set_path(d, path, ["nochain"])
        return yaml.safe_dump(d).encode(), ["nochain", "known"]
    if kind == "bad_literal":
        set_path(d, ("events", "fair", "lever"), draw(st.sampled_from(["leader", "commissioners", 3])))
        return yaml.safe_dump(d).encode(), ["lever", "leader_led"]
    return whole_file_breakage(draw, kind, yaml.safe_dump(d))


@settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@given(case=broken())
def test_invalid_scenarios_in_process(tmp_path_factory, capsys, case):
    content, words = case
    d = tmp_path_factory.mktemp("fz")
    path, out = d / "scenario.yaml", d / "out"
    path.write_bytes(content)
    code = main(["run", str(path), "--out", str(out)])
    check_refused(code, capsys.readouterr().err, path, out, words)


def test_extends_loops_and_missing_files(tmp_path, capsys):
    cases = {
        "self.yaml": "extends: self.yaml\n",
        "a.yaml": "extends: b.yaml\n",
        "b.yaml": "extends: a.yaml\n",
        "orphan.yaml": "extends: no_such_file.yaml\nname: x\n",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
    for name, words in (
        ("self.yaml", ["extends"]),
        ("a.yaml", ["extends"]),
        ("orphan.yaml", ["no_such_file.yaml"]),
    ):
        out = tmp_path / ("out_" + name)
        code = main(["run", str(tmp_path / name), "--out", str(out)])
        check_refused(code, capsys.readouterr().err, tmp_path / name, out, words)


@pytest.mark.slow
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=broken())
def test_invalid_scenarios_through_the_real_command(tmp_path_factory, case):
    content, words = case
    d = tmp_path_factory.mktemp("fzp")
    path, out = d / "scenario.yaml", d / "out"
    path.write_bytes(content)
    env = src_env()
    proc = subprocess.run(
        [sys.executable, "-m", "chainsim.cli", "run", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    check_refused(proc.returncode, proc.stderr, path, out, words)


def test_the_unmutated_scenario_is_valid_and_runs(tmp_path, capsys):
    """The fuzz cases are mutations of this file: it must itself pass, or the test above proves nothing."""
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(VALID))
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 0, capsys.readouterr().err
    assert (tmp_path / "out" / "summary.json").exists()

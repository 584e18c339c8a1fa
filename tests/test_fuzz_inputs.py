"""Fuzzing the other files users write — sweep files (``experiments/*.yaml``) and the
calibration config, targets and priors: every generated invalid file gets exit status 2,
one ``chainsim: error:`` message that names the file (and the field where there is one),
no traceback, and nothing written to --out. In-process through ``chainsim.cli.main`` (the
command line's own entry point) for 1,000+ cases, and through the real subprocess for a
sample. Same pattern as tests/test_fuzz.py (scenarios)."""

from __future__ import annotations

import copy
import math
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainsim.calibration.config import load_calibration
from chainsim.cli import main
from fuzzkit import check_refused, misspell, set_path, whole_file_breakage
from paths import BASE_FRAGMENT, DEFAULT_SCENARIO, src_env

SMALL = ["population.pool_size=2000", "calendar.burn_in_steps=2"]  # loads in milliseconds

SWEEP = {
    "name": "fz",
    "base": str(DEFAULT_SCENARIO),
    "set": SMALL,
    "seed": 1,
    "replications": 1,
    "factors": {
        "slots": {"kind": "lever", "key": "strategies.commissioners.slots", "values": [0, 21]},
        "sign_prob": {"kind": "uncertainty", "key": "pipeline.sign_prob_per_step", "range": [0.01, 0.03]},
    },
    "design": {"method": "latin_hypercube", "samples": 4},
    "outcomes": ["periods.2023H1.funds_in_place_yi"],
}
CAL_FILES = {"config": "fuzz_calibration.yaml", "targets": "fuzz_targets.yaml", "priors": "fuzz_priors.yaml"}
CONFIG = {
    "name": "fz",
    "base_scenario": str(BASE_FRAGMENT),
    "targets": CAL_FILES["targets"],
    "priors": CAL_FILES["priors"],
    "fixed": SMALL,
    "particles": 4,
    "generations": 1,
    "workers": 1,
    "predictive_draws": 2,
    "check_replications": 1,
}
TARGETS = {
    "source": "fuzz",
    "targets": {
        "funds": {
            "facts": "F2a",
            "label_en": "Funds in place",
            "label_zh": "到位资金",
            "metric": "periods.2023H1.funds_in_place_yi",
            "value": 646.66,
            "unit": "亿元",
            "rounding": 0.005,
            "discrepancy": 32.3,
            "discrepancy_reason": "test",
            "tolerance": 32.3,
        }
    },
}
PRIORS = {
    "fixed_note": "fuzz",
    "parameters": {
        "sign_prob": {
            "path": "pipeline.sign_prob_per_step",
            "low": 0.003,
            "high": 0.08,
            "scale": "log",
            "reason": "test",
        }
    },
}

# Per file kind: the valid base, its mappings with a fixed key set (known keys to misspell),
# its numeric fields (path, lowest valid value, highest valid value or None, word the message
# must contain; None = the last two path parts) and hand-picked invalid edits (path, value, words).
F, SP = ("factors", "sign_prob"), ("parameters", "sign_prob")
KINDS = {
    "sweep": (
        SWEEP,
        {
            (): [
                "base",
                "set",
                "seed",
                "replications",
                "factors",
                "design",
                "outcomes",
                "common_random_numbers",
            ],
            F: ["kind", "key", "range", "integer", "log"],
            ("factors", "slots"): ["kind", "key", "values", "name_zh"],
            ("design",): ["method", "samples", "levels", "scramble"],
            ("cluster",): ["cores", "walltime", "jobs", "memory"],
        },
        [
            (("seed",), 0, 2**63 - 1, None),
            (("replications",), 1, 100_000, None),
            (("design", "samples"), 1, 10**7, None),
            (("cluster", "cores"), 1, 1024, None),
            (("cluster", "jobs"), 1, 10_000, None),
            (F + ("levels",), 2, 1000, None),
            (("design", "levels"), 2, 1000, None),
        ],
        [
            (F + ("range",), [3, 1], ["range", "empty range"]),
            (F + ("range",), [0.01, 1e300], ["sign_prob", "range"]),
            (F + ("range",), [-0.5, 0.02], ["sign_prob", "range"]),
            (F + ("range",), [0.01, math.nan], ["range"]),
            (F + ("key",), "pipeline.sign_prob_per_stepp", ["key", "did you mean"]),
            (F + ("key",), "no_such_section.x", ["key", "no_such_section"]),
            (F + ("key",), "pipeline", ["key", "mapping"]),
            (("factors", "slots", "key"), "strategies.comissioners.slots", ["key", "did you mean"]),
            (("factors", "slots", "values"), [0, -5], ["slots", "values"]),
            (("factors", "slots", "values"), [1, 1], ["repeat"]),
            (("factors", "slots", "values"), [], ["values"]),
            (
                ("factors", "run_id"),
                {"kind": "lever", "key": "pipeline.sign_prob_per_step", "values": [0.1]},
                ["run_id", "reserved"],
            ),
            (
                ("factors", "Bad Name"),
                {"kind": "lever", "key": "pipeline.sign_prob_per_step", "values": [0.1]},
                ["Bad Name"],
            ),
            (F + ("kind",), "parameter", ["kind", "lever"]),
            (F + ("integer",), True, ["integer"]),
            (("design",), {"method": "sobol", "samples": 5}, ["samples", "power of two"]),
            (("design",), {"method": "saltelli", "samples": 12}, ["samples", "power of two"]),
            (("design",), {"method": "sobol"}, ["samples"]),
            (("design",), {"method": "full_factorial", "samples": 4}, ["samples"]),
            (("design",), {"method": "random", "samples": 4}, ["method", "full_factorial"]),
            (
                ("design",),
                {"method": "table", "table_file": "no_such_points.csv"},
                ["table_file", "no_such_points.csv"],
            ),
            (("outcomes",), ["periods.2023H1.funds_in_place_yy"], ["outcomes", "funds_in_place_yy"]),
            (("outcomes",), ["no.such.metric"], ["outcomes", "no"]),
            (("outcomes",), [], ["outcomes"]),
            (("base",), "no_such_base.yaml", ["base", "no_such_base.yaml"]),
            (("base",), "", ["base"]),
            (("set",), ["population.pool_sise=2000"], ["pool_sise"]),
            (("set",), ["population.pool_size=-3"], ["pool_size"]),
            (("cluster", "walltime"), "1 hour", ["walltime"]),
        ],
    ),
    "config": (
        CONFIG,
        {
            (): [
                "name",
                "base_scenario",
                "targets",
                "priors",
                "fixed",
                "particles",
                "generations",
                "seed",
                "workers",
                "epsilon_quantile",
                "proposal",
                "predictive_draws",
                "check_replications",
            ]
        },
        [
            (("particles",), 2, 100_000, None),
            (("generations",), 1, 100, None),
            (("seed",), 0, 2**32 - 1, None),
            (("replicates_per_particle",), 1, 100, None),
            (("epsilon_quantile",), 0.01, 0.99, None),
            (("min_acceptance_rate",), 0, 0.99, None),
            (("max_walltime_minutes",), 0.01, 100_000, None),
            (("workers",), 1, 1024, None),
            (("predictive_draws",), 2, 10_000, None),
            (("check_replications",), 1, 1000, None),
        ],
        [
            (("targets",), "no_such_targets.yaml", ["targets", "no_such_targets.yaml"]),
            (("priors",), "no_such_priors.yaml", ["priors", "no_such_priors.yaml"]),
            (("base_scenario",), "no_such_base.yaml", ["base_scenario", "no_such_base.yaml"]),
            (("name",), "Bad Name", ["name"]),
            (("proposal",), "greedy", ["proposal", "defensive"]),
            (("targets",), "", ["targets"]),
        ],
    ),
    "targets": (
        TARGETS,
        {
            (): ["source", "targets"],
            ("targets", "funds"): [
                "facts",
                "label_en",
                "label_zh",
                "metric",
                "value",
                "unit",
                "rounding",
                "discrepancy",
                "tolerance",
                "weight",
            ],
        },
        [
            (("targets", "funds", "rounding"), 0, None, None),
            (("targets", "funds", "discrepancy"), 0.001, None, None),
            (("targets", "funds", "tolerance"), 0.001, None, None),
            (("targets", "funds", "weight"), 0.001, 100, None),
        ],
        [
            (("targets", "funds", "unit"), None, ["unit"]),
            (("targets", "funds", "unit"), "", ["unit"]),
            (
                ("targets", "funds", "metric"),
                "periods.2023H1.funds_in_place_yy",
                ["metric", "funds_in_place_yy", "did you mean"],
            ),
            (("targets", "funds", "metric"), "no.such.metric", ["metric", "no.such.metric"]),
            (
                ("targets", "funds", "ratio_of"),
                ["periods.2023H1.signings", "periods.2022H1.signings"],
                ["metric", "ratio_of"],
            ),
            (("targets", "funds", "band"), [0, 1], ["band"]),
            (("targets", "funds", "facts"), "2a", ["facts"]),
            (("targets", "funds", "value"), math.nan, ["value"]),
            (("targets", "funds", "value"), "lots", ["value"]),
            (("targets",), {}, ["targets"]),
            (("targets", "Funds"), {"value": 1}, ["Funds"]),
        ],
    ),
    "priors": (
        PRIORS,
        {(): ["fixed_note", "parameters"], SP: ["path", "multiply", "low", "high", "scale", "reason"]},
        [(SP + ("low",), 1e-9, 0.08, "low"), (SP + ("high",), 0.003 + 1e-9, 1.0, "high")],
        [
            (SP + ("low",), 0.5, ["low", "high"]),
            (SP + ("high",), 0.001, ["low", "high"]),
            (SP + ("low",), 0.0, ["low"]),
            (SP + ("path",), "pipeline.no_such_prob", ["path", "no_such_prob"]),
            (SP + ("path",), "calendar.start_date", ["path"]),
            (SP + ("scale",), "exp", ["scale", "linear"]),
            (SP + ("multiply",), "pipeline.sign_prob_per_step", ["path", "multiply"]),
            (SP + ("reason",), None, ["reason"]),
            (("parameters",), {}, ["parameters"]),
        ],
    ),
}


def _dump(d: dict) -> bytes:
    return yaml.safe_dump(d, allow_unicode=True, sort_keys=False).encode()


@st.composite
def broken(draw, kind: str):
    """(file bytes, words the message must contain) for one invalid file of ``kind``."""
    base, known, numeric, special = KINDS[kind]
    how = draw(
        st.sampled_from(
            [
                "misspelt",
                "unknown",
                "wrong_type",
                "nonfinite",
                "negative",
                "huge",
                "special",
                "special",
                "syntax",
                "empty",
                "binary",
                "not_a_mapping",
            ]
        )
    )
    d = copy.deepcopy(base)
    if how == "misspelt":
        where = draw(st.sampled_from(list(known)))
        key = draw(st.sampled_from(known[where]))
        wrong = misspell(key, draw(st.integers(0, 50)))
        node = d
        for p in where:
            node = node.setdefault(p, {})
        node[wrong] = node.pop(key, 1)
        return _dump(d), [wrong, "allowed", "did you mean"] if wrong.lower() != key else [wrong]
    if how == "unknown":
        where = draw(st.sampled_from(list(known)))
        key = "zz_" + draw(st.text("abcdefghij_", min_size=1, max_size=8))
        set_path(d, where + (key,), draw(st.sampled_from([1, "x", [1], {"a": 1}])))
        return _dump(d), [key, "allowed keys"]
    if how in ("wrong_type", "nonfinite", "negative", "huge"):
        choices = [n for n in numeric if how != "huge" or n[2] is not None]
        path, low, high, word = draw(st.sampled_from(choices))
        value = {
            "wrong_type": lambda: draw(st.sampled_from(["many", [1, 2], {"a": 1}, "1e"])),
            "nonfinite": lambda: draw(st.sampled_from([math.nan, math.inf, -math.inf])),
            "negative": lambda: low - draw(st.integers(1, 10**6)) - 0.5 * draw(st.booleans()),
            "huge": lambda: high + draw(st.sampled_from([1, 1e300, 10**40, 2**70])),
        }[how]()
        set_path(d, path, value)
        return _dump(d), [word or ".".join(path[-2:])]
    if how == "special":
        path, value, words = draw(st.sampled_from(special))
        set_path(d, path, value)
        return _dump(d), words
    return whole_file_breakage(draw, how, _dump(d).decode())


def _write_calibration(d: Path, kind: str | None = None, content: bytes = b"") -> Path:
    """The three calibration files in ``d``, the one of ``kind`` replaced by ``content``."""
    for k, data in (("config", CONFIG), ("targets", TARGETS), ("priors", PRIORS)):
        (d / CAL_FILES[k]).write_bytes(content if k == kind else _dump(data))
    return d / CAL_FILES[kind or "config"]


FUZZ = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)


def test_the_unmutated_bases_are_valid(tmp_path, capsys):
    """The fuzz cases are mutations of these files: they must themselves pass, or the tests prove nothing."""
    sweep, out = tmp_path / "sweep.yaml", tmp_path / "out"
    sweep.write_bytes(_dump(SWEEP))
    assert main(["sweep", str(sweep), "--out", str(out), "--dry-run"]) == 0, capsys.readouterr().err
    assert "latin_hypercube design, 4 points" in capsys.readouterr().out
    # `chainsim calibrate` has no dry run (a valid config starts sampling): its validation is load_calibration.
    cal = load_calibration(_write_calibration(tmp_path))
    assert list(cal.targets.targets) == ["funds"] and list(cal.priors.parameters) == ["sign_prob"]
    assert cal.base_data["population"]["pool_size"] == 2000
    assert not out.exists()


@settings(FUZZ, max_examples=450)
@given(case=broken("sweep"))
def test_invalid_sweep_files_in_process(tmp_path_factory, capsys, case):
    content, words = case
    d = tmp_path_factory.mktemp("fzs")
    path, out = d / "sweep.yaml", d / "out"
    path.write_bytes(content)
    code = main(["sweep", str(path), "--out", str(out), "--workers", "1", "--no-progress"])
    check_refused(code, capsys.readouterr().err, path, out, words)


@settings(FUZZ, max_examples=600)
@given(
    case=st.sampled_from(["config", "targets", "priors"]).flatmap(lambda k: st.tuples(st.just(k), broken(k)))
)
def test_invalid_calibration_files_in_process(tmp_path_factory, capsys, case):
    kind, (content, words) = case
    d = tmp_path_factory.mktemp("fzc")
    path, out = _write_calibration(d, kind, content), d / "out"
    code = main(["calibrate", str(d / CAL_FILES["config"]), "--out", str(out)])
    check_refused(code, capsys.readouterr().err, path, out, words)


def test_a_sweep_file_that_extends_itself(tmp_path, capsys):
    for name, text, words in (
        ("self.yaml", "extends: self.yaml\n", ["extends"]),
        ("orphan.yaml", "extends: no_such_file.yaml\n", ["no_such_file.yaml"]),
    ):
        (tmp_path / name).write_text(text)
        out = tmp_path / ("out_" + name)
        code = main(["sweep", str(tmp_path / name), "--out", str(out)])
        check_refused(code, capsys.readouterr().err, tmp_path / name, out, words)


@pytest.mark.parametrize(
    "fixed,word", [("population.pool_sise=2000", "pool_sise"), ("calendar.burn_in_steps=-1", "burn_in_steps")]
)
def test_a_bad_fixed_override_names_the_calibration_config(tmp_path, capsys, fixed, word):
    path, out = _write_calibration(tmp_path, "config", _dump({**CONFIG, "fixed": [fixed]})), tmp_path / "out"
    code = main(["calibrate", str(path), "--out", str(out)])
    check_refused(code, capsys.readouterr().err, path, out, [word, "fixed"])


SUBPROCESS = [
    ("sweep", KINDS["sweep"][3][0]),
    ("sweep", KINDS["sweep"][3][4]),
    ("config", KINDS["config"][3][0]),
    ("config", KINDS["config"][3][4]),
    ("targets", KINDS["targets"][3][0]),
    ("priors", KINDS["priors"][3][0]),
]


@pytest.mark.slow
@pytest.mark.parametrize("kind,edit", SUBPROCESS, ids=[f"{k}-{'.'.join(e[0])}" for k, e in SUBPROCESS])
def test_invalid_files_through_the_real_command(tmp_path, kind, edit):
    path_in_file, value, words = edit
    d = copy.deepcopy(SWEEP if kind == "sweep" else KINDS[kind][0])
    set_path(d, path_in_file, value)
    out = tmp_path / "out"
    if kind == "sweep":
        path = tmp_path / "sweep.yaml"
        path.write_bytes(_dump(d))
        args = ["sweep", str(path), "--out", str(out)]
    else:
        path = _write_calibration(tmp_path, kind, _dump(d))
        args = ["calibrate", str(tmp_path / CAL_FILES["config"]), "--out", str(out)]
    env = src_env()
    proc = subprocess.run(
        [sys.executable, "-m", "chainsim.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )
    check_refused(proc.returncode, proc.stderr, path, out, words)

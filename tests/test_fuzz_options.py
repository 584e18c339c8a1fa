"""Fuzzing the options of the sweep, experiment, analyze and calibrate commands (issue 17).

Hypothesis draws command lines from hostile option values — non-numbers, zero,
negative, huge, NaN and infinities, control characters, shell metacharacters, NUL
bytes, newlines in job-script fields, unreachable or malformed scheduler addresses (only
closed ports on 127.0.0.1: no traffic leaves the machine), odd --out places — and
checks the error boundary's promise on every one: exit 0, 1 or 2, no exception escapes,
no traceback, at most one error message, never an "internal error".
"""

from __future__ import annotations

import contextlib
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainsim.cli import main
from paths import CALIBRATION_DIR
from relkit import experiment_doc, small_scenario, sweep_doc, write_yaml


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = _closed_port()
BAD_INT = st.sampled_from(["0", "-1", "x", "1.5", "", "1e3", "99999999999999999999", " 2", "0x10", "٣"])
BAD_FLOAT = st.sampled_from(["nan", "inf", "-inf", "-1", "0", "x", "1e309", "", "1e-300"])
HOSTILE = st.sampled_from(
    [
        "",
        " ",
        "-",
        "--",
        "a;rm -rf /",
        "$(id)",
        "`id`",
        "x\ny",
        "\x1b[2J",
        "../../..",
        "a\x00b",
        "名字",
        "%s%n",
        "*",
    ]
)
SCHEDULER = st.sampled_from(
    [
        "",
        "tcp://",
        f"tcp://127.0.0.1:{PORT}",
        "tcp://127.0.0.1:99999",
        "tcp://127.0.0.1:-1",
        "tcp://[::1",
        "x y",
        "a;b",
        "\x1b[2J",
        "tcp://127.0.0.1:abc",
        "inproc://",
    ]
)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzzopts")
    base = small_scenario(tmp)
    sweep = write_yaml(tmp / "sweep.yaml", sweep_doc(base))
    exp = write_yaml(tmp / "exp.yaml", experiment_doc(base))
    with contextlib.chdir(tmp):  # relative hostile paths ("-", " ", "$(id)") land here, not in the checkout
        yield {"tmp": tmp, "sweep": sweep, "experiment": exp}


def _options(draw, table):
    """A few (flag, value) pairs from ``table``, each value drawn from its strategy."""
    names = draw(st.lists(st.sampled_from(sorted(table)), min_size=1, max_size=3, unique=True))
    out: list[str] = []
    for n in names:
        strat = table[n]
        out += [n] if strat is None else [n, draw(strat)]
    return out


SWEEP_OPTIONS = {
    "--workers": BAD_INT,
    "--batch-rows": BAD_INT,
    "--chunk": BAD_INT,
    "--timeout": BAD_FLOAT,
    "--scheduler": SCHEDULER,
    "--scheduler-file": HOSTILE,
    "--backend": HOSTILE,
    "--queue": st.one_of(HOSTILE, TEXT),
    "--memory": st.one_of(HOSTILE, TEXT),
    "--walltime": st.one_of(HOSTILE, TEXT),
    "--cores": BAD_INT,
    "--jobs": BAD_INT,
    "--cluster": st.sampled_from(["slurm", "pbs", "lsf", ""]),
    "--dry-run": None,
}


@st.composite
def sweep_args(draw, files):
    cmd = draw(st.sampled_from(["sweep", "experiment"]))
    out = files["tmp"] / f"out-{draw(st.integers(0, 10**9))}"
    where = draw(st.sampled_from(["new", "hostile"]))
    args = [cmd, str(files[cmd]), "--out", str(out) if where == "new" else draw(HOSTILE)]
    table = (
        SWEEP_OPTIONS
        if cmd == "sweep"
        else {k: SWEEP_OPTIONS[k] for k in ("--workers", "--scheduler", "--backend", "--scheduler-file")}
    )
    args += _options(draw, table)
    if "--dry-run" not in args and cmd == "sweep":
        args += ["--dry-run"] if draw(st.booleans()) else []
    return args


@st.composite
def other_args(draw, files):
    cmd = draw(st.sampled_from(["analyze", "calibrate"]))
    if cmd == "analyze":
        return ["analyze", draw(st.one_of(HOSTILE, TEXT, st.just(str(files["tmp"]))))]
    args = ["calibrate", str(CALIBRATION_DIR / "kunming_2023.yaml"), "--report-only"]
    args += ["--out", str(files["tmp"] / "cal") if draw(st.booleans()) else draw(HOSTILE)]
    args += _options(
        draw,
        {
            "--workers": BAD_INT,
            "--backend": st.sampled_from(["local", "dask", "x"]),
            "--scheduler": SCHEDULER,
            "--set": st.one_of(HOSTILE, st.builds(lambda k, v: f"{k}={v}", TEXT, TEXT)),
            "--fresh": None,
        },
    )
    return args


def check(args, capsys):
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code in (0, 1, 2), (args, code, err)
    assert "Traceback" not in err, (args, err)
    assert err.count("error:") <= 1, (args, err)
    assert "internal error" not in err, (args, err)
    if code != 0:
        assert "error:" in err or "chainsim:" in err, (args, err)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_sweep_and_experiment_options(files, capsys, data):
    check(data.draw(sweep_args(files)), capsys)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_analyze_and_calibrate_options(files, capsys, data):
    check(data.draw(other_args(files)), capsys)

"""Tests for the ``chainsim`` command line (chainsim.cli).

Acceptance criteria: every bad input gives ONE clear message on stderr naming the file,
the field (and its line where YAML gives one) and what is allowed; exit status 2; no
traceback; and nothing written to ``--out``. About half the cases run through a real
subprocess, the rest in-process through ``chainsim.cli.main``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from chainsim.cli import main
from paths import DEFAULT_SCENARIO, ROOT, src_env

SMALL = "population: {pool_size: 3000}\ncalendar: {burn_in_steps: 10}\n"


def scenario(tmp_path: Path, body: str, name: str = "scn.yaml") -> Path:
    """A scenario file extending the real one; ``extends:`` is line 1, ``body`` starts on line 2."""
    path = tmp_path / name
    path.write_text(f"extends: {DEFAULT_SCENARIO}\n{body}", encoding="utf-8")
    return path


def run_sub(*args: str) -> subprocess.CompletedProcess:
    env = src_env(PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "chainsim.cli", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def run_inproc(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean_failure(code: int, err: str, out_dir: Path, needles: list[str], existed: bool) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    assert err.startswith("chainsim: error: ") and err.count("chainsim: error:") == 1, err
    for needle in needles:
        assert needle in err, f"{needle!r} not in:\n{err}"
    if existed:
        assert out_dir.is_dir() and list(out_dir.iterdir()) == []
    else:
        assert not out_dir.exists()


# (id, scenario body or special file, extra CLI args, needles in stderr; "{f}" = the scenario path)
CASES = [
    ("missing-file", "<missing>", [], ["scenario file not found", "{f}"]),
    (
        "broken-yaml",
        "name: ok\nseed: a: b\n",
        [],
        ["{f}, line 3", "invalid YAML", "mapping values are not allowed"],
    ),
    ("empty-file", "<empty>", [], ["{f} is empty", "expected a YAML mapping"]),
    ("binary-file", "<binary>", [], ["{f} looks like a binary file", "not YAML"]),
    ("directory", "<directory>", [], ["{f} is a directory", "not a scenario file"]),
    (
        "unknown-top-key",
        "calender: {burn_in_steps: 10}\n",
        [],
        ["{f}, line 2", "calender", "unknown key 'calender'", "did you mean 'calendar'", "allowed keys here"],
    ),
    (
        "misspelled-nested-key",
        "parks:\n  anning: {lnad_ha: 5}\n",
        [],
        ["{f}, line 3", "parks.anning.lnad_ha", "did you mean 'land_ha'"],
    ),
    (
        "wrong-type",
        "population: {pool_size: many}\n",
        [],
        ["{f}, line 2", "population.pool_size", "expected an integer", "'many'"],
    ),
    (
        "negative-arrivals",
        "organic: {arrivals_per_step: -3}\n",
        [],
        ["{f}, line 2", "organic.arrivals_per_step", "must be >= 0", "got -3"],
    ),
    (
        "negative-slots",
        "strategies:\n  commissioners:\n    slots: -1\n",
        [],
        ["{f}, line 4", "strategies.commissioners.slots", "must be >= 0", "got -1"],
    ),
    (
        "end-before-start",
        "calendar:\n  start_date: 2023-01-01\n  end_date: 2022-01-01\n",
        [],
        ["{f}, line 2", "calendar", "end_date (2022-01-01) must be after start_date (2023-01-01)"],
    ),
    (
        "impossible-date",
        "calendar:\n  end_date: 2023-02-30\n",
        [],
        ["{f}, line 3", "invalid date '2023-02-30'"],
    ),
    (
        "unknown-chain",
        "events:\n  flower_fair_2023: {target_chains: [tulips]}\n",
        [],
        ["{f}", "events.flower_fair_2023.target_chains", "unknown chain 'tulips'", "known:", "flowers"],
    ),
    (
        "unknown-region",
        "strategies:\n  leader_led:\n    trips:\n      city_2022: {destinations: {atlantis: 1.0}}\n",
        [],
        [
            "{f}",
            "strategies.leader_led.trips.city_2022.destinations",
            "unknown region 'atlantis'",
            "shanghai",
        ],
    ),
    (
        "nan-float",
        "pipeline:\n  event_close_prob: .nan\n",
        [],
        ["{f}, line 3", "pipeline.event_close_prob", "must be a finite number"],
    ),
    ("extends-itself", "<self>", [], ["{f}", "'extends:' cycle", "cannot extend itself"]),
    (
        "extends-missing",
        "<extends-missing>",
        [],
        ["scenario file not found", "nowhere.yaml", "named by 'extends:' in {f}, line 1"],
    ),
    (
        "set-without-equals",
        SMALL,
        ["--set", "parks.anning.land_ha"],
        ["bad --set 'parks.anning.land_ha'", "expected dotted.key=value"],
    ),
    (
        "set-unknown-key",
        SMALL,
        ["--set", "parkz.anning.land_ha=5"],
        ["bad --set", "no key 'parkz'", "did you mean 'parks'"],
    ),
    (
        "set-unknown-leaf",
        SMALL,
        ["--set", "parks.anning.lnad_ha=5"],
        ["--set", "parks.anning.lnad_ha", "did you mean 'land_ha'"],
    ),
    (
        "period-after-the-calendar",
        SMALL + "reporting:\n  periods:\n    late: {start: 2023-07-01, end: 2023-12-31}\n",
        [],
        [
            "reporting.periods.late.end",
            "2023-12-31 is after calendar.end_date",
            "must end inside the calendar",
        ],
    ),
    (
        "period-before-the-calendar",
        SMALL + "reporting:\n  periods:\n    early: {start: 2021-07-01, end: 2022-06-30}\n",
        [],
        [
            "reporting.periods.early.start",
            "2021-07-01 is before calendar.start_date 2022-01-01",
            "must start inside the calendar",
        ],
    ),
    (
        "chain-of-one-segment",
        SMALL + "chains:\n  tiny:\n    {name_en: Tiny, name_zh: 小链, industrial: true, pool_share: 0.1,\n"
        "     segments: {only: {name_en: Only, name_zh: 唯一}}, edges: [[only, only]]}\n",
        [],
        ["chains.tiny", "needs at least 2 segments", "got 1: only"],
    ),
]


def make_input(tmp_path: Path, body: str) -> Path:
    if body == "<missing>":
        return tmp_path / "missing.yaml"
    if body == "<directory>":
        (tmp_path / "adir.yaml").mkdir()
        return tmp_path / "adir.yaml"
    path = tmp_path / "scn.yaml"
    if body == "<empty>":
        path.write_text("")
    elif body == "<binary>":
        path.write_bytes(bytes(range(256)))
    elif body == "<self>":
        path.write_text("extends: scn.yaml\nname: loop\n")
    elif body == "<extends-missing>":
        path.write_text("extends: nowhere.yaml\nname: orphan\n")
    else:
        scenario(tmp_path, body)
    return path


@pytest.mark.parametrize(
    ("how", "body", "extra", "needles"),  # alternate real subprocess / in-process
    [pytest.param(("subprocess", "inproc")[i % 2], *c[1:], id=c[0]) for i, c in enumerate(CASES)],
)
def test_bad_input_is_one_clear_error(tmp_path, capsys, how, body, extra, needles):
    # In-process cases use a pre-existing empty --out, which must stay empty.
    path = make_input(tmp_path, body)
    out_dir = tmp_path / "out"
    existed = how == "inproc"
    if existed:
        out_dir.mkdir()
    args = ["run", path, "--out", out_dir, *extra]
    if how == "subprocess":
        proc = run_sub(*args)
        code, err = proc.returncode, proc.stderr
        assert proc.stdout == ""
    else:
        code, out, err = run_inproc(capsys, *args)
        assert out == ""
    assert_clean_failure(code, err, out_dir, [n.replace("{f}", str(path)) for n in needles], existed)


def test_replications_zero_is_usage_error_subprocess(tmp_path):
    path, out_dir = scenario(tmp_path, SMALL), tmp_path / "out"
    proc = run_sub("run", path, "--out", out_dir, "--replications", "0")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--replications" in proc.stderr and "≥ 1, got 0" in proc.stderr
    assert not out_dir.exists()


@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_replications_bad_raises_systemexit_inproc(tmp_path, capsys, value):
    path, out_dir = scenario(tmp_path, SMALL), tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        main(["run", str(path), "--out", str(out_dir), "--replications", value])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--replications" in err and "whole number ≥ 1" in err and "Traceback" not in err
    assert not out_dir.exists()


def test_out_that_is_a_file_is_refused(tmp_path, capsys):
    path, target = scenario(tmp_path, SMALL), tmp_path / "taken"
    target.write_text("keep me")
    code, out, err = run_inproc(capsys, "run", path, "--out", target)
    assert code == 2 and "Traceback" not in err
    assert f"--out {target}: exists and is not a directory" in err
    assert target.read_text() == "keep me" and out == ""


@pytest.mark.parametrize("how", ["subprocess", "inproc"])
@pytest.mark.parametrize(
    ("body", "code", "needle"),
    [
        (SMALL, 0, "valid scenario 'kunming_2023'"),
        (SMALL + "organic: {arrivals_per_step: -3}\n", 2, "organic.arrivals_per_step: must be >= 0"),
    ],
    ids=["good", "bad"],
)
def test_validate(tmp_path, capsys, how, body, code, needle):
    path = scenario(tmp_path, body)
    if how == "subprocess":
        proc = run_sub("validate", path)
        got, out, err = proc.returncode, proc.stdout, proc.stderr
    else:
        got, out, err = run_inproc(capsys, "validate", path)
    assert got == code
    assert needle in (out if code == 0 else err)
    assert "Traceback" not in err
    if code == 0:
        assert "pool of 3,000 firms" in out and err == ""


def test_schema_prints_json_schema(capsys):
    code, out, _ = run_inproc(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    assert {"strategies", "extends", "calendar", "population"} <= set(schema["properties"])
    assert schema["properties"]["extends"]["type"] == "string"


# --------------------------------------------------------------------------- happy path
@pytest.fixture(scope="module")
def happy(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("happy")
    path, out_dir = scenario(tmp, SMALL, "small.yaml"), tmp / "out"
    proc = run_sub("run", path, "--out", out_dir, "--replications", "2")
    return proc, out_dir


def _metrics(node):
    """Every {"mean", ...} dict in a summary subtree."""
    if isinstance(node, dict):
        if "mean" in node:
            yield node
        else:
            for key, value in node.items():
                if key != "filter":
                    yield from _metrics(value)


def test_run_prints_table_and_writes_outputs(happy):
    proc, out_dir = happy
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Signings 签约项目" in proc.stdout and "Funds in place" in proc.stdout
    assert "2 replicates" in proc.stdout
    assert sorted(p.name for p in out_dir.iterdir()) == [
        ".chainsim-output.json",  # the marker: what chainsim wrote here (--force replaces only that)
        "scenario.resolved.yaml",
        "summary.json",
        "timeseries.parquet",
    ]


def _display_ends(line: str) -> list[int]:
    """Terminal columns where each cell of a table line ends (a CJK character is two wide;
    cells are separated by two spaces or more)."""
    ends, col = [], 0
    for i, ch in enumerate(line):
        col += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if ch != " " and (i + 1 == len(line) or line[i + 1 : i + 3] == "  "):
            ends.append(col)
    return ends


def test_summary_table_columns_line_up_with_chinese_labels(happy):
    """The indicator table (laid out by rich): plain text, no escape codes, every period's
    column ending at the same terminal column on every row whatever the Chinese in the
    labels; a label too long for its column wraps instead of pushing its numbers out."""
    proc, _ = happy
    assert "\x1b" not in proc.stdout
    lines = proc.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Indicator 指标"))
    table = lines[start : next(i for i in range(start, len(lines)) if lines[i].startswith("Year on year"))]
    head = _display_ends(table[0])[-4:]
    rows = [
        line
        for line in table[1:]
        if line.rstrip().endswith(("]", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"))
    ]
    assert len(rows) >= 15 and any("签约来源" in line for line in table)
    for line in rows:
        assert _display_ends(line)[-4:] == head, line
    landed = next(i for i, line in enumerate(table) if line.startswith("Landed"))
    assert table[landed + 1].startswith("落地项目") and table[landed + 1] not in rows  # wrapped, no values


def test_run_shows_a_moving_progress_bar_on_a_terminal(tmp_path):
    """`chainsim run -r N` draws tqdm's bar on stderr when stderr is a terminal (a real
    pseudo-terminal here), counting replicate-steps so it moves while the replicates run as
    one batch, and ends at 100 %; with stderr not a terminal it draws nothing."""
    from relkit import on_a_terminal

    path = scenario(tmp_path, SMALL, "small.yaml")
    args = [sys.executable, "-m", "chainsim", "run", str(path), "-r", "3"]
    code, out, bar = on_a_terminal(args, timeout=300)
    assert code == 0 and b"Signings" in out
    assert "3 replicate(s)" in bar and "100%" in bar and "steps" in bar
    shown = [int(p) for p in re.findall(r"(\d+)%\|", bar)]
    assert len(shown) >= 2 and shown == sorted(shown) and shown[-1] == 100, shown  # it moved
    piped = subprocess.run(args, capture_output=True, env=src_env(), cwd=ROOT, timeout=300)
    assert b"replicate(s)" not in piped.stderr and b"%|" not in piped.stderr


def test_summary_json_contract(happy):
    summary = json.loads((happy[1] / "summary.json").read_text(encoding="utf-8"))
    assert set(summary) == {
        "scenario",
        "config_hash",
        "chainsim_version",
        "seed",
        "replications",
        "periods",
        "cohorts",
        "events",
        "durations",
        "durations_by_size",
    }
    assert summary["replications"] == 2 and summary["seed"] == 20230414
    assert summary["scenario"] == "kunming_2023"
    assert set(summary["periods"]) == {"2022H1", "2022H2", "2023H1", "2023_to_aug"}
    assert set(summary["events"]) == {"flower_fair_2023", "hk_promotion_2023", "south_asia_expo_2023"}
    for block in ("periods", "cohorts", "events", "durations", "durations_by_size"):
        found = list(_metrics(summary[block]))
        assert found, block
        for m in found:
            assert set(m) == {"mean", "ci95"}, m
            assert isinstance(m["ci95"], list) and len(m["ci95"]) == 2
            if m["mean"] is not None:
                assert m["ci95"][0] <= m["mean"] + 1e-9 and m["mean"] <= m["ci95"][1] + 1e-9
    for period in summary["periods"].values():  # every non-nested period metric is a stat
        assert all("mean" in v or k == "signings_by_source" for k, v in period.items())
    assert summary["periods"]["2023H1"]["signings"]["mean"] > 0


def test_timeseries_parquet(happy):
    table = pq.read_table(happy[1] / "timeseries.parquet")
    # 10 coarse burn-in steps + 13 weekly settling steps + four steps a month for 20 months
    n_steps = 10 + 91 // 7 + 4 * 20
    assert table.num_rows == 2 * n_steps
    assert {"date", "n_pool", "n_producing", "signings", "funds_in_place_yi"} <= set(table.column_names)
    reps = table.column("replicate").to_pylist()
    assert sorted(set(reps)) == [0, 1] and reps.count(0) == n_steps
    dates = table.column("date").to_pylist()[:n_steps]
    assert dates[-1] >= dt.date(2023, 8, 31) > dates[-2]
    assert dates == sorted(dates)


def test_resolved_yaml_validates_and_reproduces(happy, tmp_path):
    proc, out_dir = happy
    resolved = out_dir / "scenario.resolved.yaml"
    data = yaml.safe_load(resolved.read_text(encoding="utf-8"))
    assert "extends" not in data and data["population"]["pool_size"] == 3000
    check = run_sub("validate", resolved)
    assert check.returncode == 0, check.stderr
    again = tmp_path / "again"
    rerun = run_sub("run", resolved, "--out", again, "--replications", "2", "--seed", "20230414")
    assert rerun.returncode == 0, rerun.stderr
    first = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    second = json.loads((again / "summary.json").read_text(encoding="utf-8"))
    assert second["config_hash"] == first["config_hash"]
    assert second == first


def test_set_override_reaches_resolved_yaml(tmp_path, capsys):
    path, out_dir = scenario(tmp_path, SMALL), tmp_path / "out"
    code, out, err = run_inproc(capsys, "run", path, "--out", out_dir, "--set", "parks.anning.land_ha=900")
    assert code == 0, err
    data = yaml.safe_load((out_dir / "scenario.resolved.yaml").read_text(encoding="utf-8"))
    assert data["parks"]["anning"]["land_ha"] == 900
    assert data["parks"]["dianzhong"]["land_ha"] == 2500  # siblings untouched
    assert "Signings 签约项目" in out and "wrote summary.json" in out


# --------------------------------------------------------------------------- known bugs
@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("events:\n  flower_fair_2023: {target_chains: [tulips]}\n", 3),
        ("strategies:\n  leader_led:\n    trips:\n      city_2022: {destinations: {atlantis: 1.0}}\n", 5),
    ],
    ids=["chain", "region"],
)
def test_cross_reference_error_gives_line(tmp_path, capsys, body, line):
    path = scenario(tmp_path, body)
    code, _, err = run_inproc(capsys, "validate", path)
    assert code == 2
    assert f"{path}, line {line}" in err and "(top level)" not in err


@pytest.mark.parametrize("seed", ["-1", str(2**63)])
def test_bad_seed_is_one_clear_error(tmp_path, seed):
    path, out_dir = scenario(tmp_path, SMALL), tmp_path / "out"
    proc = run_sub("run", path, "--out", out_dir, "--seed", seed)
    assert_clean_failure(proc.returncode, proc.stderr, out_dir, ["seed"], existed=False)


def test_out_below_a_file_is_one_clear_error(tmp_path):
    path, blocker = scenario(tmp_path, SMALL), tmp_path / "blocker"
    blocker.write_text("")
    proc = run_sub("run", path, "--out", blocker / "sub")
    assert_clean_failure(proc.returncode, proc.stderr, blocker / "sub", ["--out"], existed=False)


def test_non_empty_out_is_refused_without_force(tmp_path, capsys):
    small_scenario = scenario(tmp_path, SMALL, "small.yaml")
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["run", str(small_scenario), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "not empty" in err and "--force" in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert main(["run", str(small_scenario), "--out", str(out), "--force"]) == 0
    assert {
        "summary.json",
        "timeseries.parquet",
        "scenario.resolved.yaml",
        "notes.txt",
        ".chainsim-output.json",
    } == {p.name for p in out.iterdir()}


def test_set_with_a_space_gets_a_hint_not_argparse_noise(capsys):
    assert main(["run", "--set", "pipeline.sign_prob_per_step", "0.03"]) == 2
    err = capsys.readouterr().err
    assert "did you mean --set pipeline.sign_prob_per_step=0.03" in err
    assert "unrecognized arguments" not in err

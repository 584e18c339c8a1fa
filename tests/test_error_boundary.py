"""The one error boundary (issue 17): every subcommand, given bad input or meeting a fault,
ends in ONE message naming what and where — exit 2 for bad input (nothing written), exit 1
for a fault (saying what was kept and how to resume) — and never a traceback.

The table below runs every subcommand of ``chainsim`` (the test fails if a subcommand is
added without cases here) through bad input files (missing, a directory, a FIFO, a device
such as /dev/zero, a dangling symlink, too large, binary), bad output places (below a
file, a dangling symlink, a read-only mount) and bad result directories. I/O faults that
need the real process run as subprocesses: a full disk (a small tmpfs), a file-size limit
(``ulimit -f``), a closed stdout, and an unreachable Dask scheduler (a closed port on
127.0.0.1). The tests run as root (as CI does) to mount tmpfs; they fail loudly if they
cannot.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from chainsim.cli import _parser, main
from paths import CALIBRATION_DIR, ROOT, src_env
from relkit import experiment_doc, one_message, run_cli, small_scenario, sweep_doc, write_yaml

CALIBRATION = CALIBRATION_DIR / "kunming_2023.yaml"


def subcommands() -> set[str]:
    actions = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return set(actions[0].choices)


@contextlib.contextmanager
def tmpfs(where: Path, options: str):
    """A tmpfs mounted at ``where`` for the test (root needed; fails loudly otherwise)."""
    where.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    if proc.returncode != 0:
        pytest.fail(
            f"cannot mount a tmpfs ({options}) at {where}: {proc.stderr.decode()} — these tests need root"
        )
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- the table
def bad_file(kind: str, tmp: Path) -> Path:
    """An input path that is not a usable file."""
    p = tmp / f"input-{kind}.yaml"
    if kind == "missing":
        return p
    if kind == "directory":
        p.mkdir()
    elif kind == "fifo":
        os.mkfifo(p)
    elif kind == "device":
        return Path("/dev/zero")
    elif kind == "dangling-symlink":
        p.symlink_to(tmp / "gone.yaml")
    elif kind == "too-large":
        with open(p, "wb") as fh:
            fh.truncate(50_000_000)  # sparse: the size is refused before anything is read
    elif kind == "binary":
        p.write_bytes(bytes(range(256)) * 4)
    return p


FILE_KINDS = ["missing", "directory", "fifo", "device", "dangling-symlink", "too-large", "binary"]


def bad_out(kind: str, tmp: Path) -> Path:
    if kind == "below-a-file":
        (tmp / "afile").write_text("x")
        return tmp / "afile" / "out"
    if kind == "dangling-symlink":
        (tmp / "link").symlink_to(tmp / "nowhere")
        return tmp / "link"
    if kind == "a-file":
        (tmp / "taken").write_text("keep me")
        return tmp / "taken"
    raise AssertionError(kind)


OUT_KINDS = ["below-a-file", "dangling-symlink", "a-file"]


def inputs(tmp: Path) -> dict[str, Path]:
    """Valid inputs of each command, for the output-place cases."""
    base = small_scenario(tmp)
    sweep = write_yaml(tmp / "sweep.yaml", sweep_doc(base))
    exp = write_yaml(tmp / "exp.yaml", experiment_doc(base))
    return {"run": base, "sweep": sweep, "experiment": exp, "calibrate": CALIBRATION, "targets": base}


def result_dir(kind: str, tmp: Path, what: str) -> Path:
    """A bad result directory for analyze / report."""
    d = tmp / f"results-{kind}"
    if kind == "missing":
        return d
    if kind == "a-file":
        d.write_text("x")
        return d
    d.mkdir()
    if kind == "empty":
        return d
    name = "experiment.json" if what == "report" else "manifest.json"
    if kind == "corrupt":
        (d / name).write_text('{"format": "chainsim-')
    elif kind == "truncated-parts":
        (d / name).write_text(
            json.dumps(
                {"format": "chainsim-sweep/1", "sweep": {"hash": "x", "runs": 2}, "runs_total": 2}
                if what != "report"
                else {"format": "chainsim-experiment/1", "status": "complete", "sweeps": [{"name": "a"}]}
            )
        )
        (d / "runs").mkdir()
        (d / "runs" / "part-0000-000001.parquet").write_bytes(b"PAR1 half a file")
    return d


DIR_KINDS = ["missing", "a-file", "empty", "corrupt", "truncated-parts"]

# (command, case, build args from tmp) — every subcommand × its bad inputs
CASES: list[tuple[str, str]] = []
for cmd in (
    "run",
    "validate",
    "dashboard",
    "sweep",
    "experiment",
    "calibrate",
    "compare",
    "decompose",
    "targets",
):
    CASES += [(cmd, f"input-{k}") for k in FILE_KINDS]
for cmd in ("run", "sweep", "experiment", "calibrate", "compare", "decompose", "targets"):
    CASES += [(cmd, f"out-{k}") for k in OUT_KINDS]
for cmd in ("analyze", "report", "discover", "export"):
    CASES += [(cmd, f"dir-{k}") for k in DIR_KINDS]
CASES += [("new", "bad-name"), ("new", "file-exists")]
CASES += [("schema", "extra-argument"), ("validate", "bad-set-date"), ("sweep", "out-missing")]


def build(cmd: str, case: str, tmp: Path) -> list[str]:
    kind, _, what = case.partition("-")
    if kind == "input":
        path = bad_file(what, tmp)
        extra = {"run": ["--out", str(tmp / "o")], "sweep": ["--out", str(tmp / "o")]}.get(cmd, [])
        extra += ["--out", str(tmp / "o")] if cmd == "experiment" else []
        if cmd in ("compare", "decompose"):  # the bad file as A, then as B
            good = small_scenario(tmp)
            return [cmd, str(path), str(good)] if what != "directory" else [cmd, str(good), str(path)]
        return [cmd, str(path), *extra]
    if kind == "out":
        if what == "missing":
            return [cmd, str(inputs(tmp)[cmd])]
        if cmd in ("compare", "decompose"):
            base = str(small_scenario(tmp))
            return [cmd, base, base, "-r", "1", "--out", str(bad_out(what, tmp))]
        return [cmd, str(inputs(tmp)[cmd]), "--out", str(bad_out(what, tmp))]
    if kind == "dir":
        extra = ["--outcome", "periods.2023H1.signings", "--below", "100"] if cmd == "discover" else []
        return [cmd, str(result_dir(what, tmp, cmd)), *extra]
    if case == "bad-name":
        return [cmd, "no spaces allowed", "--out", str(tmp / "x.yaml")]
    if case == "file-exists":
        (tmp / "mine.yaml").write_text("keep me\n")
        return [cmd, "mine", "--out", str(tmp / "mine.yaml")]
    if case == "extra-argument":
        return [cmd, "surplus"]
    if case == "bad-set-date":
        return [cmd, str(small_scenario(tmp)), "--set", "calendar.end_date=2023-02-30"]
    raise AssertionError(case)


def test_the_table_covers_every_subcommand():
    assert subcommands() <= {c for c, _ in CASES}, sorted(subcommands() - {c for c, _ in CASES})


@pytest.mark.timeout(60)  # a FIFO read would block forever
@pytest.mark.parametrize("cmd, case", CASES, ids=[f"{c}-{k}" for c, k in CASES])
def test_every_subcommand_one_message_no_traceback(tmp_path, capsys, cmd, case):
    args = build(cmd, case, tmp_path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's own usage error: one message, exit 2
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert err.count("error:") == 1, err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before, "nothing may be written for bad input"


# --------------------------------------------------------------------------- faults (real processes)
def test_read_only_directory(tmp_path):
    """--out on a read-only mount: refused before any work, for every writing command."""
    ins = inputs(tmp_path)
    with tmpfs(tmp_path / "ro", "ro,size=1m") as ro:
        for cmd in ("run", "sweep", "experiment", "calibrate"):
            code = main([cmd, str(ins[cmd]), "--out", str(ro / "out")])
            assert code == 2, cmd
        for cmd in ("analyze", "report"):
            assert main([cmd, str(ro)]) == 2, cmd


def test_full_disk_run_keeps_no_partial_file(tmp_path, capsys):
    base = small_scenario(tmp_path)
    with tmpfs(tmp_path / "small", "size=48k") as disk:
        proc = run_cli("run", base, "--out", disk / "out")
        one_message(proc.returncode, proc.stderr, (1,))
        assert "no space left" in proc.stderr and str(disk / "out") in proc.stderr
        assert not list((disk / "out").glob("*.tmp")), "no partial files"


def _fill(disk: Path, leave: int) -> Path:
    """A filler file that leaves ``leave`` bytes free on ``disk``."""
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    filler = disk / "filler"
    with open(filler, "wb") as fh:
        fh.write(b"\0" * max(free - leave, 0))
    return filler


def test_full_disk_sweep_stops_and_resumes(tmp_path):
    base = small_scenario(tmp_path)
    sweep = write_yaml(
        tmp_path / "s.yaml",
        sweep_doc(
            base,
            replications=5,
            factors={
                "slots": {"kind": "lever", "key": "strategies.commissioners.slots", "values": [0, 21, 40, 60]}
            },
        ),
    )
    args = ("sweep", sweep, "--workers", "1", "--batch-rows", "1", "--no-progress")
    with tmpfs(tmp_path / "disk", "size=2m") as disk:
        filler = _fill(disk, 80 * 1024)  # the inputs and a few parts fit, not 20 parts
        proc = run_cli(*args, "--out", disk / "out")
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr
        assert "no space left" in proc.stderr.lower() or "full" in proc.stderr.lower(), proc.stderr
        assert "rerun" in proc.stderr
        manifest = json.loads((disk / "out" / "manifest.json").read_text())
        assert manifest["status"] == "stopped"  # rewritten in place: no room for a second copy
        filler.unlink()  # space freed: the same command finishes the sweep
        proc = run_cli(*args, "--out", disk / "out")
        assert proc.returncode == 0, proc.stderr
        from chainsim.sweep import read_results

        ids = read_results(disk / "out")["run_id"].to_pylist()
        assert sorted(ids) == list(range(20))


def _limit_file_size(limit: int):
    def pre() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return pre


def test_file_size_limit_is_not_a_full_disk(tmp_path):
    """`ulimit -f`: SIGXFSZ would kill the process with a core dump; instead one message
    that names the limit (not "disk full"), and no partial file."""
    base = small_scenario(tmp_path)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "chainsim.cli", "run", str(base), "--out", str(out)],
        cwd=ROOT,
        env=src_env(PYTHONIOENCODING="utf-8"),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_file_size(8192),
    )
    one_message(proc.returncode, proc.stderr, (1,))
    assert "file-size limit" in proc.stderr and "disk is full" not in proc.stderr
    assert not list(out.glob("*.tmp"))


@pytest.mark.parametrize("cmd", ["sweep", "experiment", "calibrate"])
def test_unreachable_scheduler_writes_nothing(tmp_path, cmd):
    port = closed_port()
    ins = inputs(tmp_path)
    out = tmp_path / "out"
    dask = ["--backend", "dask"] if cmd == "calibrate" else []
    proc = run_cli(cmd, ins[cmd], "--out", out, *dask, "--scheduler", f"tcp://127.0.0.1:{port}")
    one_message(proc.returncode, proc.stderr, (2,))
    assert f"127.0.0.1:{port}" in proc.stderr and not out.exists()


@pytest.mark.parametrize("content", ["not json", '{"no": "address"}', '{"address": "tcp://a b:1; rm -rf"}'])
def test_bad_scheduler_file(tmp_path, capsys, content):
    f = tmp_path / "scheduler.json"
    f.write_text(content)
    ins = inputs(tmp_path)
    code = main(["sweep", str(ins["sweep"]), "--out", str(tmp_path / "out"), "--scheduler-file", str(f)])
    err = capsys.readouterr().err
    one_message(code, err, (2,))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("damage", ["run.json", "history.db"])
def test_corrupt_calibration_files(tmp_path, capsys, damage):
    """A corrupt <name>.run.json or history database: one message, exit 2, files untouched."""
    out = tmp_path / "cal"
    out.mkdir()
    (out / "kunming_2023.run.json").write_text('{"fingerprint": ' if damage == "run.json" else "{}")
    (out / "kunming_2023.history.db").write_bytes(b"SQLite format 3\0" + b"\xff" * 100)
    code = main(["calibrate", str(CALIBRATION), "--out", str(out), "--report-only"])
    err = capsys.readouterr().err
    one_message(code, err, (2,))
    assert "--fresh" in err
    assert sorted(p.name for p in out.iterdir()) == ["kunming_2023.history.db", "kunming_2023.run.json"]


@pytest.mark.parametrize(
    "table, needle",
    [
        ("slots\n0\n21,5\n", "ragged"),
        ("slots\n0\n7\n", "is not one of its values"),
        (b"slots,\xc3\n0,1\n", "UTF-8"),
    ],
    ids=["ragged", "unknown-value", "gbk"],
)
def test_csv_design_tables(tmp_path, capsys, table, needle):
    base = small_scenario(tmp_path)
    csv = tmp_path / "design.csv"
    if isinstance(table, bytes):
        csv.write_bytes("slots\n名\n".encode("gbk"))
    else:
        csv.write_text(table, encoding="utf-8")
    sweep = write_yaml(
        tmp_path / "s.yaml", sweep_doc(base, design={"method": "table", "table_file": "design.csv"})
    )
    code = main(["sweep", str(sweep), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    one_message(code, err, (2,))
    assert needle in err and not (tmp_path / "out").exists()


def test_an_interrupted_calibration_without_out_says_where_its_files_are(tmp_path):
    """calibrate writes beside its config when --out is not given: after a fault the message
    must point there, not claim that nothing was written."""
    import argparse

    from chainsim.errors import _kept

    cfg = tmp_path / "cal.yaml"
    cfg.write_text("name: x\n", encoding="utf-8")
    (tmp_path / "x.waves").mkdir()
    said = _kept(argparse.Namespace(command="calibrate", config=cfg, out=None))
    assert str(tmp_path) in said and "rerun the same command" in said
    assert _kept(argparse.Namespace(command="run", out=None)) == "nothing was written"

"""Shared pieces of the reliability tests (test_reliability.py, test_error_boundary.py) and
of the progress-bar tests: small scenarios and sweeps, running the real command (also with
stderr on a real pseudo-terminal), and the one-message check."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
from pathlib import Path

import yaml

from paths import DEFAULT_SCENARIO, ROOT, src_env

SMALL = "population: {pool_size: 3000}\ncalendar: {burn_in_steps: 10}\n"


def small_scenario(where: Path, name: str = "small.yaml") -> Path:
    path = where / name
    path.write_text(f"extends: {DEFAULT_SCENARIO}\n{SMALL}", encoding="utf-8")
    return path


def sweep_doc(base: Path, **over: object) -> dict:
    doc = {
        "name": "rel",
        "base": str(base),
        "seed": 5,
        "replications": 2,
        "factors": {"slots": {"kind": "lever", "key": "strategies.commissioners.slots", "values": [0, 21]}},
        "design": {"method": "full_factorial"},
        "outcomes": ["periods.2023H1.signings"],
    }
    doc.update(over)
    return doc


def write_yaml(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def run_cli(
    *args: object, timeout: float = 120, env: dict | None = None, **kw
) -> subprocess.CompletedProcess:
    """``python -m chainsim.cli ARGS`` on this checkout's code."""
    return subprocess.run(
        [sys.executable, "-m", "chainsim.cli", *map(str, args)],
        cwd=ROOT,
        env=env or src_env(PYTHONIOENCODING="utf-8"),
        capture_output="stdout" not in kw,
        stderr=subprocess.PIPE if "stdout" in kw else None,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        **kw,
    )


def one_message(code: int, err: str, codes: tuple[int, ...] = (1, 2)) -> None:
    """A failure as the error boundary promises: the exit status, one message, no traceback."""
    assert code in codes, (code, err)
    assert "Traceback" not in err, err
    assert err.count("chainsim: error:") == 1, err


def experiment_doc(base: Path) -> dict:
    """A valid one-at-a-time experiment (dose_response) on ``base``: the sweep's one factor."""
    return sweep_doc(
        base,
        name="exp",
        design={"method": "one_at_a_time", "reference": {"slots": 0}},
        experiment={"role": "dose_response"},
    )


def ctrl_c_reaches() -> None:
    """``preexec_fn`` for a command a test will Ctrl-C: SIGINT back to its default in the child.

    A terminal's job gets Ctrl-C, but a CI runner (or ``nohup … &`` in a script) may start the
    test run with SIGINT ignored; children inherit that, and Python then installs no
    KeyboardInterrupt handler, so the command never sees the Ctrl-C the test sends (seen: a
    fresh-clone CI started that way failed every Ctrl-C test with exit 0)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def on_a_terminal(cmd: list[str], timeout: float) -> tuple[int, bytes, str]:
    """Run ``cmd`` with stderr on a pseudo-terminal (as in a user's shell): its exit status,
    its stdout, and everything it drew on the terminal (carriage returns kept)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=slave, env=src_env(), cwd=ROOT)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed: the process is done with it
            break
        if not chunk:
            break
        seen += chunk
    out, _ = proc.communicate(timeout=timeout)
    os.close(master)
    return proc.returncode, out, seen.decode("utf-8", "replace")

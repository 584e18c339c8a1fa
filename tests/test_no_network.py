"""Nothing reaches the network at run time: a scenario run, a small sweep on local worker
processes and a calibration step each run inside a Linux network namespace whose only
interface is loopback, so every non-loopback connection fails at the operating system.

Needs `unshare -n` (util-linux) and the right to create a namespace (root, as on CI).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from paths import ROOT, src_env

SMALL = ["--set", "population.pool_size=20000", "--set", "calendar.burn_in_steps=10"]


def offline(args: list[str], tmp: Path) -> subprocess.CompletedProcess:
    """Run `python -m chainsim.cli ARGS` with only a loopback interface."""
    script = 'ip link set lo up && exec "$@"'
    cmd = ["unshare", "-n", "sh", "-c", script, "sh", sys.executable, "-m", "chainsim.cli", *args]
    env = src_env(PYTHONIOENCODING="utf-8")
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def namespace_ok() -> None:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.fail("unshare (util-linux) and ip (iproute2) are needed to isolate the network")
    probe = subprocess.run(
        [
            "unshare",
            "-n",
            "sh",
            "-c",
            'ip link set lo up && python3 -c "import socket;'
            "socket.create_connection(('1.1.1.1', 53), timeout=2)\"",
        ],
        capture_output=True,
        text=True,
    )
    assert probe.returncode != 0, "the namespace must block non-loopback connections"
    assert "unreachable" in probe.stderr.lower() or "errno" in probe.stderr.lower(), probe.stderr


@pytest.mark.slow
def test_scenario_sweep_and_calibration_run_without_network(namespace_ok, tmp_path):
    run = offline(
        ["run", "scenarios/kunming_2023.yaml", *SMALL, "--replications", "2", "--out", str(tmp_path / "run")],
        tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "run" / "summary.json").exists()

    sweep = offline(
        [
            "sweep",
            "experiments/small_example.yaml",
            "--out",
            str(tmp_path / "sweep"),
            "--workers",
            "2",
            "--no-progress",
        ],
        tmp_path,
    )
    assert sweep.returncode == 0, sweep.stderr
    assert any((tmp_path / "sweep").rglob("*.parquet"))

    calib = offline(
        [
            "calibrate",
            "calibration/kunming_2023.yaml",
            "--out",
            str(tmp_path / "calib"),
            "--fresh",
            "--set",
            "particles=8",
            "--set",
            "generations=1",
            "--set",
            "workers=1",
            "--set",
            "predictive_draws=2",
            "--set",
            "check_replications=2",
        ],
        tmp_path,
    )
    assert calib.returncode == 0, calib.stdout[-2000:] + calib.stderr[-2000:]
    assert any((tmp_path / "calib").iterdir())

"""Where things are in this checkout, for the tests: ``from paths import ROOT, DEFAULT_SCENARIO``.

Plain constants live here, not in conftest.py (pytest does not mean conftest.py to be
imported). Absolute paths, so a test does not depend on the directory pytest runs from.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
SCENARIOS_DIR = ROOT / "scenarios"
DEFAULT_SCENARIO = SCENARIOS_DIR / "kunming_2023.yaml"
BASE_FRAGMENT = (
    SCENARIOS_DIR / "_fragments" / "kunming_base.yaml"
)  # the uncalibrated base calibrations start from
CALIBRATION_DIR = ROOT / "calibration"
EXPERIMENTS_DIR = ROOT / "experiments"


def src_env(**extra: str) -> dict[str, str]:
    """The environment for a ``python -m chainsim.cli`` subprocess: this checkout's ``src/``
    on PYTHONPATH (not whatever chainsim the virtualenv has installed), plus ``extra``."""
    return {**os.environ, "PYTHONPATH": str(SRC), **extra}

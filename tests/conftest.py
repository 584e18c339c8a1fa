"""Session-wide set-up for the tests.

Shared constants (ROOT, the scenario paths, the environment for a ``chainsim`` subprocess)
are plain values in ``tests/paths.py``: ``from paths import ROOT``. pytest does not mean
conftest.py to be imported, so only hooks and fixtures belong here.

The tests run chainsim two ways: imported in-process, and as ``python -m chainsim.cli``
subprocesses with this checkout's ``src/`` on PYTHONPATH. Both must be the same code. In a
git worktree whose virtualenv has another checkout installed (editable), the in-process
import would silently test that other checkout, so the session stops and says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from paths import SRC


def _imported_from() -> Path:
    import chainsim

    return Path(chainsim.__file__).resolve().parent


def pytest_report_header(config: pytest.Config) -> str:
    return f"chainsim imported from: {_imported_from()}"


def pytest_sessionstart(session: pytest.Session) -> None:
    here, want = _imported_from(), SRC / "chainsim"
    if here != want:
        pytest.exit(
            f"the tests import chainsim from {here}, but their subprocesses run {want}. "
            f"Put this checkout first: PYTHONPATH={SRC} python -m pytest ... "
            "(or `./dev setup` in this checkout to install it into its own .venv).",
            returncode=4,
        )

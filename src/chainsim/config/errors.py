"""The user-input error of every chainsim file and option, and how values are shown in it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any


class ScenarioError(Exception):
    """A user-input problem. ``str(err)`` is the full human message; exit code 2."""

    exit_code = 2

    def __init__(
        self, message: str, path: str | Path | None = None, field: str | None = None, line: int | None = None
    ) -> None:
        super().__init__(message)
        self.path, self.field, self.line = (None if path is None else str(path)), field, line


def show(value: Any) -> str:
    """``value`` as an error message shows it: a kind for containers and null, else short."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null (empty)"
    text = value.isoformat() if isinstance(value, dt.date) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

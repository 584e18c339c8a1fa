"""The strict base class of every validated input: scenario, sweep and calibration files."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

#: terminal control characters (ESC sequences, C1 codes); newlines and tabs are text
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class Strict(BaseModel):
    """A model that forbids unknown keys (a misspelt key is an error, not a silent default),
    is frozen (a loaded input cannot drift while it runs), rejects NaN and infinities, and
    refuses terminal control characters in text (a name printed must not drive the terminal)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if isinstance(value, str) and CONTROL.search(value):
            raise ValueError("contains a terminal control character (such as ESC); remove it")
        return value

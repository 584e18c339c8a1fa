"""The strict base class of every validated input: scenario, sweep and calibration files."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A model that forbids unknown keys (a misspelt key is an error, not a silent default),
    is frozen (a loaded input cannot drift while it runs) and rejects NaN and infinities."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

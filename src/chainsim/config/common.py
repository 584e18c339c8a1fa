"""What the scenario's sections share: constrained number and id types (bounds that
several fields have, named once), labels and active windows."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, model_validator

from chainsim.config.base import Strict

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Factor = Annotated[float, Field(ge=0.0, le=10.0)]
Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
# bounds that several fields share, named once
Count = Annotated[int, Field(ge=0, le=100_000)]  # firms, trips, slots
Days = Annotated[float, Field(gt=0, le=3650)]  # a mean duration or decay time, up to 10 years
Weight = Annotated[float, Field(ge=-20, le=20)]  # a utility weight of the park choice
PerYi = Annotated[float, Field(ge=0, le=100)]  # land or grid demand per 亿元 of a project
Bias = Annotated[float, Field(ge=0, le=3)]  # selection ∝ size^bias


class Labelled(Strict):
    name_en: str = Field("", max_length=80, description="English label.")
    name_zh: str = Field("", max_length=40, description="Chinese label (中文名).")


class Window(Strict):
    """An optional active window; ``None`` means unbounded on that side."""

    active_from: dt.date | None = Field(None, description="First day the lever acts (lever date).")
    active_until: dt.date | None = Field(None, description="Last day the lever acts (lever date).")

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.active_from and self.active_until and self.active_until < self.active_from:
            raise ValueError("active_until must not be before active_from")
        return self

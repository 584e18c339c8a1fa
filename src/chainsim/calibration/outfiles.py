"""Where a calibration's files go: ``<out>/<name>.*`` and ``<out>/report/``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paths:
    """Where a calibration's files go: ``<out>/<name>.*`` and ``<out>/report/``."""

    out: Path
    name: str

    @property
    def db(self) -> Path:
        return self.out / f"{self.name}.history.db"

    @property
    def meta(self) -> Path:
        return self.out / f"{self.name}.run.json"

    @property
    def posterior(self) -> Path:
        return self.out / f"{self.name}.posterior.csv"

    @property
    def central(self) -> Path:
        return self.out / f"{self.name}.calibrated.yaml"

    @property
    def report_dir(self) -> Path:
        return self.out / "report"

"""One finished sweep of a ``chainsim experiment``, as the report reads it.

The runs come from :func:`chainsim.sweep.analyze.load_finished` (complete, and the hash
the experiment recorded); :meth:`SweepData.array` cuts out one design point's draw ×
replicate values, the unit every paired effect (:mod:`chainsim.report.stats`) is computed on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from chainsim.config.loader import ScenarioError
from chainsim.report.labels import HEADLINE
from chainsim.vocabulary import known, strategy_term


class SweepData:
    """One finished sweep of the experiment: its record and its runs."""

    def __init__(self, rec: dict[str, Any], out: Path) -> None:
        from chainsim.sweep.analyze import load_finished

        self.rec, self.dir = rec, out / rec["name"]
        manifest, self.runs, _ = load_finished(self.dir)
        if manifest["sweep"]["hash"] != rec["hash"]:
            raise ScenarioError(
                f"{self.dir}: holds results of sweep hash {manifest['sweep']['hash'][:12]}, but "
                f"experiment.json recorded {rec['hash'][:12]}; rerun `chainsim experiment`",
                self.dir,
            )
        if "draw" not in self.runs:
            self.runs["draw"] = 0
        self.factors: dict[str, dict] = rec["factors"]
        self.outcomes = [o for o in HEADLINE if o in rec["outcomes"]] or rec["outcomes"][:8]

    @property
    def draws(self) -> bool:
        """Did the sweep run posterior draws (else: one parameter set, no parameter spread)?"""
        return bool(self.rec.get("draws"))

    def runs_phrase(self) -> str:
        """ "K posterior draws × R replicates", or "R replicates (one parameter set, no posterior draws)"."""
        r = self.rec["replications"]
        if self.draws:
            return f"{self.rec['draws']} posterior draws × {r} replicates"
        return f"{r} replicates (one parameter set: no posterior draws, so no parameter uncertainty)"

    def level_phrase(self, names: list[str], level: str) -> str:
        """What a factorial level does, read from the factors' ``sets`` (not assumed): e.g.
        "off from 1 January 2023" when every factor's level ends its strategy on 31 December 2022."""
        import datetime as dt

        overrides = [o for n in names for o in (self.factors[n].get("sets") or {}).get(level, [])]
        if not overrides:
            return f"{level}: as in the base scenario"
        ends = {o.split("=", 1)[1].strip() for o in overrides if o.split("=", 1)[0].endswith(".active_until")}
        if len(ends) == 1 and len(overrides) == len(names):
            try:
                day = dt.date.fromisoformat(ends.pop()) + dt.timedelta(days=1)
            except ValueError:
                pass
            else:
                return f"{level} from {day.day} {day:%B %Y}"
        return f"{level}: " + ", ".join(f"`{o}`" for o in overrides)

    def array(self, where: dict[str, Any], outcome: str) -> np.ndarray:
        """Draw × replicate values of ``outcome`` at the design point ``where``."""
        mask = np.ones(len(self.runs), dtype=bool)
        for f, v in where.items():
            mask &= (self.runs[f] == v).to_numpy()
        sub = self.runs.loc[mask, ["draw", "replicate", outcome]]
        if sub.empty:
            raise ScenarioError(f"{self.dir}: no runs at {where}", self.dir)
        return sub.pivot(index="draw", columns="replicate", values=outcome).sort_index().to_numpy(float)

    def label(self, name: str, zh: bool) -> str:
        if known(f"strategy.{name}"):
            t = strategy_term(name)
            return t.both(short=True) if zh else t.short_en
        cn = self.factors.get(name, {}).get("name_zh", "")
        return f"{name.replace('_', ' ')} · {cn}" if zh and cn else name.replace("_", " ")

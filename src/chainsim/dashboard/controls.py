"""The dashboard's levers and how they become a scenario.

A :class:`Levers` value is what the sliders and switches show. It turns into ordinary
``--set`` overrides of the chosen scenario file (:func:`overrides`), so the model the
class sees is exactly what ``chainsim run SCENARIO --set …`` would run, and the page can
print that command. Multipliers (leader trips ×, sector-group effort ×) scale every trip
window and every group of the scenario.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from chainsim.config.loader import ScenarioError, resolve_scenario, validate
from chainsim.config.schema import Scenario

REFORMS = ("land_and_build", "missing_docs", "full_agency")


@dataclass(frozen=True)
class Levers:
    """Everything a teacher can set before pressing Reset."""

    scenario: str
    seed: int
    leader_on: bool = True
    leader_trips: float = 1.0  # × every trip window's number of trips
    chain_on: bool = True
    precision: float = 0.6  # share of sector-group contacts aimed at missing links
    effort: float = 1.0  # × every sector group's contacts per step
    commissioners_on: bool = True
    slots: int = 21
    land_and_build: bool = True
    missing_docs: bool = True
    full_agency: bool = True

    def replace(self, **changes: object) -> Levers:
        return dataclasses.replace(self, **changes)


def load_base(path: str | Path) -> tuple[Scenario, bool]:
    """The scenario file as written, and whether a calibrated file is part of it.

    "Calibrated" means that the file or one it ``extends:`` is a ``*.calibrated.yaml``
    (what ``chainsim calibrate`` writes), so the page can say so instead of warning.
    """
    data, source = resolve_scenario(path, ())
    cfg = validate(Scenario, data, source)
    calibrated = any(".calibrated." in Path(origin.file.split(" (", 1)[0]).name for origin in source.values())
    return cfg, calibrated  # type: ignore[return-value]


def defaults(path: str | Path, seed: int | None = None) -> Levers:
    """The levers as the scenario file sets them (multipliers 1)."""
    cfg, _ = load_base(path)
    s = cfg.strategies
    rf = s.commissioners.reforms
    return Levers(
        scenario=str(path),
        seed=cfg.seed if seed is None else seed,
        leader_on=s.leader_led.enabled,
        chain_on=s.chain_based.enabled,
        precision=float(s.chain_based.targeting_precision),
        commissioners_on=s.commissioners.enabled,
        slots=s.commissioners.slots,
        land_and_build=rf.land_and_build.enabled,
        missing_docs=rf.missing_docs.enabled,
        full_agency=rf.full_agency.enabled,
    )


def overrides(levers: Levers, base: Scenario) -> list[str]:
    """``--set`` overrides that turn ``base`` into the scenario of ``levers`` (only what differs)."""
    s = base.strategies
    out: list[str] = []

    def put(key: str, value: object, current: object) -> None:
        if value != current:
            out.append(f"strategies.{key}={str(value).lower() if isinstance(value, bool) else value}")

    put("leader_led.enabled", levers.leader_on, s.leader_led.enabled)
    if levers.leader_trips != 1.0:
        for wid, w in s.leader_led.trips.items():
            put(f"leader_led.trips.{wid}.trips", int(round(w.trips * levers.leader_trips)), w.trips)
    put("chain_based.enabled", levers.chain_on, s.chain_based.enabled)
    put("chain_based.targeting_precision", round(levers.precision, 4), s.chain_based.targeting_precision)
    if levers.effort != 1.0:
        for gid, g in s.chain_based.groups.items():
            put(
                f"chain_based.groups.{gid}.contacts_per_step",
                round(g.contacts_per_step * levers.effort, 6),
                g.contacts_per_step,
            )
    put("commissioners.enabled", levers.commissioners_on, s.commissioners.enabled)
    put("commissioners.slots", int(levers.slots), s.commissioners.slots)
    for r in REFORMS:
        put(
            f"commissioners.reforms.{r}.enabled",
            getattr(levers, r),
            getattr(s.commissioners.reforms, r).enabled,
        )
    return out


def scenario_choices(start: str | Path) -> list[str]:
    """The scenario files next to ``start`` (fragments, ``_*.yaml``, left out), ``start`` first."""
    start = Path(start)
    here = sorted(
        str(p)
        for p in start.parent.glob("*.yaml")
        if not p.name.startswith("_") and p.resolve() != start.resolve()
    )
    return [str(start), *here]


def parse_seed(text: str) -> int:
    """A seed typed into the page (an InputText gives a str)."""
    try:
        value = int(str(text).strip())
    except ValueError:
        raise ScenarioError(f"seed {text!r}: not a whole number") from None
    if not 0 <= value < 2**63:
        raise ScenarioError(f"seed {value}: must be from 0 to 2**63 - 1")
    return value


def command(levers: Levers, base: Scenario) -> str:
    """The ``chainsim run`` command of the same model (one replicate, this seed)."""
    sets = " ".join(f"--set {o}" for o in overrides(levers, base))
    return f"chainsim run {levers.scenario} --seed {levers.seed} {sets}".rstrip()

"""The scenario's cross-references, checked once every section is valid: names used in one
place (a chain named by an event, a region named by a trip window …) must exist in another,
trip windows of one level must not overlap, chains' pool shares must sum to 1, and events,
reporting periods and cohorts must lie inside the calendar. :class:`chainsim.config.schema.Scenario`
raises them as one validation error, each with its field path."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chainsim.config.schema import Scenario


def reference_errors(s: Scenario) -> list[tuple[tuple, str]]:
    """Every broken cross-reference of ``s``: (field path, message)."""
    regions, chains = set(s.population.regions), set(s.chains)
    errors: list[tuple[tuple, str]] = []

    def need(kind: str, loc: tuple, names: list[str] | dict, known: set[str]) -> None:
        for i, name in enumerate(names):
            if name not in known:
                where = loc + ((name,) if isinstance(names, dict) else (i,))
                errors.append((where, f"unknown {kind} '{name}'; known: {', '.join(sorted(known))}"))

    total = sum(c.pool_share for c in s.chains.values())
    if abs(total - 1.0) > 1e-6:
        errors.append(
            (("chains",), f"pool_share values of the chains must sum to 1 (they sum to {total:.6f})")
        )
    for pid, park in s.parks.items():
        need("chain", ("parks", pid, "specialisations"), park.specialisations, chains)
    windows = sorted(s.strategies.leader_led.trips.items(), key=lambda kv: (kv[1].level, kv[1].start))
    for (aid, a), (bid, b) in zip(windows, windows[1:]):
        if a.level == b.level and b.start <= a.end:
            errors.append(
                (
                    ("strategies", "leader_led", "trips", bid, "start"),
                    f"{b.level} trip windows '{aid}' and '{bid}' overlap; a level's windows must not overlap",
                )
            )
    for wid, w in s.strategies.leader_led.trips.items():
        need("region", ("strategies", "leader_led", "trips", wid, "destinations"), w.destinations, regions)
    for gid, g in s.strategies.chain_based.groups.items():
        need("chain", ("strategies", "chain_based", "groups", gid, "chains"), g.chains, chains)
    cal = s.calendar
    for eid, e in s.events.items():
        need("region", ("events", eid, "target_regions"), e.target_regions, regions)
        need("chain", ("events", eid, "target_chains"), e.target_chains, chains)
        if e.kind is not None and e.kind not in s.event_kinds:
            known = ", ".join(sorted(s.event_kinds)) or "(none)"
            errors.append((("events", eid, "kind"), f"unknown event kind '{e.kind}'; known: {known}"))
        if e.enabled and not (cal.start_date <= e.date <= cal.end_date):
            errors.append(
                (
                    ("events", eid, "date"),
                    f"{e.date} is outside the calendar {cal.start_date} … {cal.end_date}",
                )
            )
    for name, period in s.reporting.periods.items():
        if period.start < cal.start_date:  # it would count the burn-in's flows, dated before the start
            errors.append(
                (
                    ("reporting", "periods", name, "start"),
                    f"{period.start} is before calendar.start_date {cal.start_date}: a period must start "
                    "inside the calendar (before it the burn-in runs, whose flows are not reported); move "
                    f"its start or delete it (--set reporting.periods.{name}=null)",
                )
            )
        if period.end > cal.end_date:  # its flows would be counted over part of it only
            errors.append(
                (
                    ("reporting", "periods", name, "end"),
                    f"{period.end} is after calendar.end_date {cal.end_date}: a period must end "
                    "inside the calendar (its total would cover part of it only)",
                )
            )
    for name, c in s.reporting.cohorts.items():
        if c.as_of > cal.end_date:
            errors.append(
                (
                    ("reporting", "cohorts", name, "as_of"),
                    f"{c.as_of} is after calendar.end_date {cal.end_date}",
                )
            )
    return errors

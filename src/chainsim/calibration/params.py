"""The estimated parameters: prior, internal ↔ natural scale, and scenario overrides.

pyabc works in an *internal* space where every prior is uniform: log-scale parameters are
sampled as log10(value), so its Gaussian perturbation kernel moves them by factors
rather than by absolute steps. :meth:`ParameterSpace.assignments` turns a natural-scale
parameter set into ``dotted.path → value`` assignments on the base scenario (``path``
priors set the value, ``multiply`` priors scale the base value), which is exactly what
``--set`` would do; integer fields are rounded. A ``path`` may name a field that is null in
the base (e.g. a chain's own ``project_size.median_yi``, null = the population's): it is
set, creating the parent mapping. A ``balance`` prior sets a share and rescales its partner
fields so the group keeps its base sum (the funds_* disbursement shares add up to 1).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chainsim.calibration.schema import Prior, PriorsFile
from chainsim.config.dotted import expand, get, join
from chainsim.config.loader import ScenarioError, SourceMap, validate
from chainsim.config.schema import Scenario

#: a parameter counts as identified when its posterior sd is below this share of its prior
#: sd on the sampling scale (log10 for log-scale priors): issue 14's rule, read by the
#: calibration report and the recovery check alike
IDENTIFIED = 0.5


class ParameterSpace:
    """The priors of one calibration, bound to its base scenario."""

    def __init__(self, priors: PriorsFile, base_data: Mapping[str, Any]) -> None:
        self.priors: dict[str, Prior] = dict(priors.parameters)
        self.base = base_data
        self.names = list(self.priors)
        self._paths = {n: _fields(pr, base_data) for n, pr in self.priors.items()}
        self._balance = {
            n: [p for pat in pr.balance for p in expand(pat, base_data)]
            for n, pr in self.priors.items()
            if pr.balance
        }

    # ---------------------------------------------------------------- scales
    def internal_bounds(self, name: str) -> tuple[float, float]:
        p = self.priors[name]
        return (math.log10(p.low), math.log10(p.high)) if p.scale == "log" else (p.low, p.high)

    def to_natural(self, internal: Mapping[str, float]) -> dict[str, float]:
        return {
            n: (10 ** float(internal[n]) if self.priors[n].scale == "log" else float(internal[n]))
            for n in self.names
        }

    def to_internal(self, natural: Mapping[str, float]) -> dict[str, float]:
        return {
            n: (math.log10(natural[n]) if self.priors[n].scale == "log" else float(natural[n]))
            for n in self.names
        }

    def prior_sd(self, name: str, natural: bool = False) -> float:
        """Standard deviation of the uniform prior (internal scale unless natural)."""
        p = self.priors[name]
        if natural and p.scale == "log":  # sd of 10**U, U uniform on [a, b]
            a, b = math.log10(p.low), math.log10(p.high)
            k = math.log(10)
            m1 = (p.high - p.low) / (k * (b - a))
            m2 = (p.high**2 - p.low**2) / (2 * k * (b - a))
            return math.sqrt(max(m2 - m1**2, 0.0))
        a, b = self.internal_bounds(name) if not natural else (p.low, p.high)
        return (b - a) / math.sqrt(12)

    def pyabc_prior(self) -> Any:
        import pyabc

        return pyabc.Distribution(
            **{
                n: pyabc.RV("uniform", lo, hi - lo)
                for n in self.names
                for lo, hi in [self.internal_bounds(n)]
            }
        )

    # ---------------------------------------------------------------- overrides
    def overrides(self, natural: Mapping[str, float]) -> list[tuple[tuple, Any]]:
        """(key path, value) pairs that apply a natural-scale parameter set to the base."""
        out: list[tuple[tuple, Any]] = []
        for n, prior in self.priors.items():
            for path in self._paths[n]:
                base = _get_or_none(self.base, path)
                value = natural[n] * base if prior.multiply is not None else natural[n]
                out.append((path, round(value) if isinstance(base, int) else float(value)))
            if n in self._balance:  # the partners keep the group's base sum, in proportion
                (path,) = self._paths[n]
                partners = self._balance[n]
                rest = sum(get(self.base, p) for p in partners)
                scale = (get(self.base, path) + rest - natural[n]) / rest if rest else 0.0
                out += [(p, float(get(self.base, p) * scale)) for p in partners]
        return out

    def assignments(self, natural: Mapping[str, float]) -> dict[str, Any]:
        """``dotted.path → value`` for a natural-scale parameter set."""
        return {join(path): value for path, value in self.overrides(natural)}

    def scenario_data(self, natural: Mapping[str, float]) -> dict:
        """A deep copy of the base scenario with the parameters applied."""
        data = copy.deepcopy(self.base)
        for path, value in self.overrides(natural):
            node = data
            for k in path[:-1]:  # a null parent (e.g. a chain without its own project_size) becomes {}
                if node.get(k) is None:
                    node[k] = {}
                node = node[k]
            node[path[-1]] = value
        return data


def _get_or_none(data: Mapping[str, Any], path: tuple) -> Any:
    node: Any = data
    for k in path:
        if not isinstance(node, Mapping) or node.get(k) is None:
            return None
        node = node[k]
    return node


def _fields(prior: Prior, base: Mapping[str, Any]) -> list[tuple]:
    """Key paths a prior sets (see :func:`_pattern_fields`)."""
    return [p for pat in prior.patterns for p in _pattern_fields(pat, prior.path is not None, base)]


def _pattern_fields(pat: str, sets: bool, base: Mapping[str, Any]) -> list[tuple]:
    """The numeric fields ``pat`` matches; for a prior that sets its value, also a literal
    path to a field that is null in the base (the low/high check validates it)."""
    found = expand(pat, base)
    if not found and sets and not any(c in pat for c in "*?[") and _null_parent(base, pat):
        found = [tuple(pat.split("."))]
    return found


def _null_parent(base: Mapping[str, Any], pat: str) -> bool:
    """True when ``pat`` names a null field of the base, or runs through a null block (an
    optional block such as a chain's project_size, which the schema fills in)."""
    parts, node = pat.split("."), base
    for k in parts[:-1]:
        if not isinstance(node, Mapping) or k not in node:
            return False
        if node[k] is None:
            return True
        node = node[k]
    return isinstance(node, Mapping) and node.get(parts[-1], 0) is None


def check_priors(priors: PriorsFile, base_data: Mapping[str, Any], file: Path) -> None:
    """Each prior must reach a numeric scenario field, and both ends must be valid values."""
    space = ParameterSpace(priors, base_data)
    for name, prior in priors.parameters.items():
        kind = "path" if prior.path is not None else "multiply"
        for pattern in [*prior.patterns, *(prior.balance or [])]:
            sets = prior.path is not None and pattern in prior.patterns
            if not _pattern_fields(pattern, sets, base_data):
                raise ScenarioError(
                    f"{file}: parameters.{name}.{kind}: {pattern!r} names no numeric field of the base "
                    "scenario (dotted path as for --set; see `chainsim schema`)",
                    file,
                    f"parameters.{name}.{kind}",
                )
        for end in ("low", "high"):
            natural = {
                n: math.sqrt(p.low * p.high) if p.scale == "log" else (p.low + p.high) / 2
                for n, p in priors.parameters.items()
            }
            natural[name] = getattr(prior, end)
            try:
                validate(Scenario, space.scenario_data(natural), SourceMap(str(file)))
            except ScenarioError as err:
                why = str(err).splitlines()[-1].strip()
                raise ScenarioError(
                    f"{file}: parameters.{name}.{end} = {getattr(prior, end)} gives an invalid scenario: {why}",
                    file,
                    f"parameters.{name}.{end}",
                ) from None

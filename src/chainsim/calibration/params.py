"""The estimated parameters: prior, internal ↔ natural scale, and scenario overrides.

pyabc works in an *internal* space where every prior is uniform: log-scale parameters are
sampled as log10(value), so its Gaussian perturbation kernel moves them by factors
rather than by absolute steps. :meth:`ParameterSpace.assignments` turns a natural-scale
parameter set into ``dotted.path → value`` assignments on the base scenario (``path``
priors set the value, ``multiply`` priors scale the base value), which is exactly what
``--set`` would do; integer fields are rounded.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chainsim.calibration.schema import Prior, PriorsFile
from chainsim.config.dotted import expand, get, join, set_path
from chainsim.config.loader import ScenarioError, SourceMap, validate
from chainsim.config.schema import Scenario


class ParameterSpace:
    """The priors of one calibration, bound to its base scenario."""

    def __init__(self, priors: PriorsFile, base_data: Mapping[str, Any]) -> None:
        self.priors: dict[str, Prior] = dict(priors.parameters)
        self.base = base_data
        self.names = list(self.priors)
        self._paths = {
            n: [p for pat in pr.patterns for p in expand(pat, base_data)] for n, pr in self.priors.items()
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
    def assignments(self, natural: Mapping[str, float]) -> dict[str, Any]:
        """``dotted.path → value`` for a natural-scale parameter set."""
        out: dict[str, Any] = {}
        for n, prior in self.priors.items():
            for path in self._paths[n]:
                base = get(self.base, path)
                value = natural[n] * base if prior.multiply is not None else natural[n]
                out[join(path)] = round(value) if isinstance(base, int) else float(value)
        return out

    def scenario_data(self, natural: Mapping[str, float]) -> dict:
        """A deep copy of the base scenario with the parameters applied."""
        data = copy.deepcopy(self.base)
        for n in self.names:
            for path in self._paths[n]:
                base = get(self.base, path)
                value = natural[n] * base if self.priors[n].multiply is not None else natural[n]
                set_path(data, path, round(value) if isinstance(base, int) else float(value))
        return data


def check_priors(priors: PriorsFile, base_data: Mapping[str, Any], file: Path) -> None:
    """Each prior must reach a numeric scenario field, and both ends must be valid values."""
    space = ParameterSpace(priors, base_data)
    for name, prior in priors.parameters.items():
        kind = "path" if prior.path is not None else "multiply"
        for pattern in prior.patterns:
            if not expand(pattern, base_data):
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

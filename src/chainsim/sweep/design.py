"""Design points from the factors: full factorial, Latin hypercube, Sobol, Saltelli, table.

Sampled designs draw points in the unit cube with ``scipy.stats.qmc``, seeded from the
sweep seed (:func:`chainsim.sweep.seeds.design_seed`), and map each coordinate to a factor:
a range linearly or on a log scale (integers uniformly over low…high), a list of values by
equal-width bins. The same sweep file always gives the same points, in the same order, so
point ``i`` means the same thing on every run, backend and resume.

The ``saltelli`` design is the sampling scheme of Sobol sensitivity indices (Saltelli
2002; Saltelli et al. 2010), drawn by SALib's ``sobol.sample(calc_second_order=False)``:
two Sobol' matrices A and B of N rows, and for each factor ``j`` the matrix A with column
``j`` from B; points are ordered A_i, AB_i1 … AB_ik, B_i for each base row i, the order
SALib's ``sobol.analyze`` reads. The ``morris`` design is SALib's ``morris.sample``. SALib
comes with the ``analysis`` extra; without it these two designs stop with a message
saying so, before anything is written. A change of a design's points for the same file
is versioned (:data:`chainsim.sweep.spec.DESIGN_VERSION`).

The ``one_at_a_time`` design is the reference point, then each factor's other values in
turn with every other factor at its reference value (dose–response curves).

Points whose factors act through ``multiply`` or ``sets``, and every point of a sweep with
posterior draws, carry their resolved ``dotted.key → value`` settings under ``"_set"``, so
a worker only applies them. With K posterior draws each design point i becomes K points
``i·K + k`` (``k`` in the ``draw`` column), the draw's parameters applied first and the
factors on top.
"""

from __future__ import annotations

import importlib
import itertools
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import qmc

from chainsim.config.dotted import apply
from chainsim.config.loader import ScenarioError
from chainsim.sweep.config import Sweep
from chainsim.sweep.seeds import design_seed
from chainsim.sweep.settings import SETTINGS, Settings, factor_settings
from chainsim.sweep.spec import DRAW, FactorSpec, Scalar

Point = dict[str, Scalar]


def design_points(sweep: Sweep) -> list[Point]:
    """All design points of a sweep, in their fixed order (point id = list index)."""
    return resolve(sweep, file_points(sweep))


def file_points(sweep: Sweep) -> list[Point]:
    """The design points of the file's factors (before crossing with posterior draws)."""
    spec, factors = sweep.spec.design, sweep.design_factors
    if spec.method == "table":
        assert sweep.table is not None
        return [{n: row[n] for n in factors} for row in sweep.table]
    if spec.method == "full_factorial":
        axes = [_levels(f, f.levels or spec.levels) for f in factors.values()]
        return [dict(zip(factors, combo, strict=True)) for combo in itertools.product(*axes)]
    if spec.method == "one_at_a_time":
        ref = dict(spec.reference or {})
        points = [dict(ref)]
        for name, f in factors.items():
            points += [{**ref, name: v} for v in f.values or [] if v != ref[name]]
        return points
    unit = unit_sample(spec.method, len(factors), spec.samples or 0, sweep.seed, spec.scramble, spec.levels)
    return [{n: _from_unit(f, u[j]) for j, (n, f) in enumerate(factors.items())} for u in unit]


def resolve(sweep: Sweep, points: list[Point]) -> list[Point]:
    """Cross with the posterior draws and attach each point's resolved settings (see the
    module docstring); a sweep of plain ``key`` factors keeps its points as they are."""
    factors = sweep.design_factors
    if sweep.posterior is None and all(f.key is not None for f in factors.values()):
        return points
    draws: list[dict[str, Any]] = sweep.posterior.settings if sweep.posterior else [{}]
    needs_data = any(f.multiply is not None for f in factors.values())
    # the scenario each draw's multiply factors scale (one copy per draw, not per point)
    datas = [apply(sweep.base_data, d) if needs_data and d else sweep.base_data for d in draws]
    out = []
    for point in points:
        for k, (draw, data) in enumerate(zip(draws, datas, strict=True)):
            q: Point = dict(point)
            if sweep.posterior is not None:
                q[DRAW] = k
            q[SETTINGS] = Settings({**draw, **factor_settings(factors, data, point)})  # type: ignore[assignment]
            out.append(q)
    return out


def n_points(sweep: Sweep) -> int:
    spec, factors = sweep.spec.design, sweep.design_factors
    per = sweep.posterior.k if sweep.posterior is not None else 1
    if spec.method == "table":
        return len(sweep.table or []) * per
    if spec.method == "full_factorial":
        return math.prod(len(_levels(f, f.levels or spec.levels)) for f in factors.values()) * per
    if spec.method == "one_at_a_time":
        return (1 + sum(len(f.values or []) - 1 for f in factors.values())) * per
    k = len(factors)
    per_sample = {"saltelli": k + 2, "morris": k + 1}.get(spec.method, 1)
    return (spec.samples or 0) * per_sample * per


def unit_sample(
    method: str, k: int, n: int, seed: int, scramble: bool = True, levels: int = 4
) -> NDArray[np.float64]:
    """``n`` points (``n·(k+2)`` for saltelli, ``n·(k+1)`` for morris) in [0, 1]^k."""
    rng = np.random.default_rng(design_seed(seed))
    if method == "latin_hypercube":
        return qmc.LatinHypercube(d=k, rng=rng).random(n)
    if method == "sobol":
        return qmc.Sobol(d=k, scramble=scramble, rng=rng).random_base2(int(math.log2(n)))
    problem = {"num_vars": k, "names": [f"x{j}" for j in range(k)], "bounds": [[0.0, 1.0]] * k}
    points: NDArray[np.float64]
    if method == "morris":  # r trajectories of k+1 points on a p-level grid
        morris = salib_sampler("morris", method)
        points = morris.sample(problem, n, num_levels=levels, seed=int(rng.integers(2**31)))
        return points
    if method == "saltelli":
        # the generator itself, not a number drawn from it: the points stay those of the
        # scrambled Sobol' sequence of 2k dimensions that earlier versions drew (design version 1)
        sobol = salib_sampler("sobol", method)
        points = sobol.sample(problem, n, calc_second_order=False, scramble=scramble, seed=rng)
        return points
    raise ValueError(f"unknown sampled design {method!r}")


def salib_sampler(name: str, method: str) -> Any:
    """SALib's ``SALib.sample.<name>`` module, or a ScenarioError (exit 2) naming the extra
    that installs it: the core install runs every other design without SALib."""
    try:
        return importlib.import_module(f"SALib.sample.{name}")
    except ImportError:
        raise ScenarioError(
            f"a {method} design is drawn by SALib, which is not installed; install the analysis "
            "extra (pip install 'chainsim[analysis]') or choose another design method"
        ) from None


def _levels(f: FactorSpec, levels: int) -> list[Scalar]:
    if f.values is not None:
        return list(f.values)
    assert f.range is not None
    lo, hi = f.range
    grid = np.geomspace(lo, hi, levels) if f.log else np.linspace(lo, hi, levels)
    if f.integer:
        return sorted({int(round(x)) for x in grid})  # fewer levels if the range is short
    return [float(f"{x:.12g}") for x in grid]  # 0.02, not linspace's 0.019999999999999997


def _from_unit(f: FactorSpec, u: float) -> Scalar:
    if f.values is not None:
        return f.values[min(int(u * len(f.values)), len(f.values) - 1)]
    assert f.range is not None
    lo, hi = f.range
    if f.integer:  # equal-probability bins over the whole numbers lo…hi
        return int(min(lo + math.floor(u * (hi - lo + 1)), hi))
    if f.log:
        return float(math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))))
    return float(lo + u * (hi - lo))

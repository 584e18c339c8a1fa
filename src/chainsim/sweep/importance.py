"""Factor importance for any sweep design, and the warnings that say when not to trust it.

``chainsim analyze`` picks the method the design supports (all from SALib, except the
rank correlation, from SciPy):

==================  ==========================================================================
design              indices
==================  ==========================================================================
``saltelli``        Sobol first-order S1 and total ST (variance-based; Saltelli et al. 2010)
``morris``          Morris elementary effects: μ* (mean |effect|, over the full factor range)
                    and σ (its spread: interactions or non-linearity) (Campolongo et al. 2007)
any other sample    Borgonovo's δ (moment-independent: the whole output distribution, not only
(latin_hypercube,   its variance; it accepts any sample, Plischke et al. 2013) and Spearman's
sobol, factorial,   rank correlation ρ (the sign and strength of a monotone effect)
table)
(too few points     Spearman's ρ alone, ranked by |ρ| (δ's density estimate needs bins of
for δ)              points; about 50 or more)
``one_at_a_time``   the swing: largest minus smallest outcome over the factor's values, the
                    other factors at the reference (a dose–response, not a global index)
==================  ==========================================================================

Every index comes with a 95 % interval (bootstrap for Sobol, δ and μ*; Fisher's z for ρ)
and factors are ranked by the method's main index. Warnings flag what makes the numbers
unreliable: a small Saltelli base size, Sobol estimates outside [0, 1] beyond their
interval, intervals as wide as the index, replicate noise larger than the factors' effect.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

RESAMPLES = 1000
#: name of the random dummy factor of the δ method
DUMMY = "(random dummy)"
#: Saltelli base sizes below this give intervals too wide to rank factors (Saltelli et al. 2010 use 500+)
MIN_SALTELLI_BASE = 64
#: Morris trajectories below this give unstable μ* rankings (Campolongo et al. 2007 use 10–20)
MIN_MORRIS_TRAJECTORIES = 10
#: replicate noise above this share of the total variance is flagged
NOISE_WARNING = 0.3

#: the main index of each method (factors are ranked by it) and the others it reports
METHODS = {
    "sobol": ("ST", ("S1", "ST")),
    "morris": ("mu_star", ("mu_star", "sigma")),
    "delta": ("delta", ("delta", "rho")),
    "rank": ("rho", ("rho",)),  # a sample too small for δ
    "swing": ("swing", ("swing",)),
}

Interval = tuple[float, float, float]  # value, low, high


@dataclass
class Importance:
    """One outcome's factor importance: ``values[factor][index] = (value, low, high)``."""

    method: str
    values: dict[str, dict[str, Interval]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: δ of a random dummy factor (the noise floor of the δ method), when computed
    threshold: Interval | None = None

    @property
    def main(self) -> str:
        return METHODS[self.method][0]

    def ranked(self) -> list[str]:
        """Factors from the most to the least important by the main index (NaN last)."""

        def key(f: str) -> float:
            v = self.values[f][self.main][0]
            return -abs(v) if math.isfinite(v) else math.inf

        return sorted(self.values, key=key)


def _problem(factors: list[str]) -> dict:
    return {"num_vars": len(factors), "names": factors, "bounds": [[0.0, 1.0]] * len(factors)}


def sobol(y: NDArray[np.float64], factors: list[str], base: int, seed: int) -> Importance:
    """S1 and ST of point means in Saltelli order (A, AB_1 … AB_k, B per base row)."""
    from SALib.analyze import sobol as salib_sobol

    res = salib_sobol.analyze(
        _problem(factors), y, calc_second_order=False, num_resamples=RESAMPLES, conf_level=0.95, seed=seed
    )
    imp = Importance("sobol")
    for j, f in enumerate(factors):
        imp.values[f] = {k: _iv(res[k][j], res[f"{k}_conf"][j]) for k in ("S1", "ST")}
    if base < MIN_SALTELLI_BASE:
        imp.warnings.append(
            f"the Saltelli base size N = {base} is small: Sobol indices need N ≥ {MIN_SALTELLI_BASE} "
            "(often 500 or more) before their intervals are narrow enough to rank factors"
        )
    outside = [
        f"{f} {k} = {v[0]:.2f}"
        for f, row in imp.values.items()
        for k, v in row.items()
        if v[2] < 0 or v[1] > 1
    ]
    if outside:
        imp.warnings.append(
            "estimates outside [0, 1] beyond their interval (" + ", ".join(outside) + "): "
            "too few samples for this output's variance; increase samples"
        )
    wide = [f for f, row in imp.values.items() if row["ST"][2] - row["ST"][1] > 0.5]
    if wide:
        imp.warnings.append(
            f"ST intervals wider than 0.5 for {', '.join(wide)}: the ranking is not reliable; increase samples"
        )
    return imp


def morris(
    x_unit: NDArray[np.float64], y: NDArray[np.float64], factors: list[str], levels: int, seed: int
) -> Importance:
    """μ* and σ of elementary effects, for trajectories in design order (x in [0, 1])."""
    from SALib.analyze import morris as salib_morris

    res = salib_morris.analyze(
        _problem(factors), x_unit, y, num_resamples=RESAMPLES, conf_level=0.95, num_levels=levels, seed=seed
    )
    imp = Importance("morris")
    for j, f in enumerate(factors):
        sigma = float(res["sigma"][j])
        imp.values[f] = {
            "mu_star": _iv(res["mu_star"][j], res["mu_star_conf"][j]),
            "sigma": (sigma, sigma, sigma),
        }
    trajectories = len(y) // (len(factors) + 1)
    if trajectories < MIN_MORRIS_TRAJECTORIES:
        imp.warnings.append(
            f"{trajectories} Morris trajectories are few: μ* rankings settle with about "
            f"{MIN_MORRIS_TRAJECTORIES}–20 (Campolongo, Cariboni & Saltelli 2007); increase samples"
        )
    return imp


def delta_and_rank(
    x: NDArray[np.float64], y: NDArray[np.float64], factors: list[str], seed: int
) -> Importance:
    """Borgonovo's δ (bootstrap interval) and Spearman's ρ (Fisher-z interval) of any sample."""
    from SALib.analyze import delta as salib_delta
    from scipy.stats import spearmanr

    n = len(y)
    imp = Importance("delta")
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    # a random dummy factor beside the real ones: δ is biased upwards in small samples, and
    # the dummy's δ is that bias — a factor at or below it cannot be told from noise
    dummy = np.random.default_rng(seed).random((n, 1))
    x01 = np.hstack([(x - lo) / span, dummy])
    # SALib's bin-merging notices: it sets its own warning filter and format inside analyze(),
    # so the notices are caught on stderr and the format put back
    quiet = contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO())
    formatwarning = warnings.formatwarning
    with quiet[0], quiet[1], warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = salib_delta.analyze(_problem([*factors, DUMMY]), x01, y, num_resamples=RESAMPLES, seed=seed)
    warnings.formatwarning = formatwarning
    key = "delta_balanced" if "delta_balanced" in res else "delta"  # SALib ≥ 1.5 balances bins
    for j, f in enumerate(factors):
        if not hi[j] > lo[j]:
            imp.values[f] = {"delta": (math.nan,) * 3, "rho": (math.nan,) * 3}
            continue
        rho = float(spearmanr(x[:, j], y).statistic) if np.ptp(y) > 0 else math.nan
        imp.values[f] = {"delta": _iv(res[key][j], res[f"{key}_conf"][j]), "rho": _fisher(rho, n)}
    imp.threshold = _iv(res[key][-1], res[f"{key}_conf"][-1])
    if not any(math.isfinite(row["delta"][0]) for row in imp.values.values()):
        # too few points for δ's density estimate (SALib cannot make two bins): ρ still ranks
        imp.method, imp.threshold = "rank", None
        imp.values = {f: {"rho": row["rho"]} for f, row in imp.values.items()}
        imp.warnings.append(
            f"{n} design points are too few for Borgonovo's δ (SALib cannot bin them): factors are "
            "ranked by Spearman's |ρ| alone, a monotone association; run about 50 points or more for δ"
        )
        return imp
    noise = [f for f, row in imp.values.items() if not row["delta"][1] > imp.threshold[0]]
    if noise:
        imp.warnings.append(
            f"δ of {', '.join(noise)} is not above that of a random dummy factor "
            f"(δ = {imp.threshold[0]:.2f} [{imp.threshold[1]:.2f}, {imp.threshold[2]:.2f}]): "
            "indistinguishable from no effect at this sample size"
        )
    if n < 50:
        imp.warnings.append(
            f"{n} design points: δ and ρ are rough below about 50 points (their intervals say how rough)"
        )
    return imp


def swing(
    means: NDArray[np.float64], design_values: dict[str, list], reference: dict[str, object]
) -> Importance:
    """One-at-a-time designs: per factor, the largest minus the smallest point mean among the
    points where only that factor moves (the reference point included)."""
    imp = Importance("swing")
    n = len(means)
    for f in design_values:
        others = [g for g in design_values if g != f]
        rows = [i for i in range(n) if all(design_values[g][i] == reference[g] for g in others)]
        v = float(np.ptp(means[rows])) if rows else math.nan
        imp.values[f] = {"swing": (v, v, v)}
    return imp


def noise_warning(share: float | None) -> str | None:
    if share is not None and share > NOISE_WARNING:
        return (
            f"replicate noise is {share:.0%} of the total variance: the factors' effects are hard to "
            "separate from chance; run more replications per point"
        )
    return None


def _iv(value: float, conf: float) -> Interval:
    v, c = float(value), float(conf)
    return (v, v - c, v + c)


def _fisher(rho: float, n: int) -> Interval:
    if not math.isfinite(rho) or n <= 3:
        return (rho, math.nan, math.nan)
    r = min(max(rho, -0.999999), 0.999999)
    half = 1.959964 / math.sqrt(n - 3)
    return (rho, math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half))

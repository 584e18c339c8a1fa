"""Growth decomposition: what each difference between two scenarios contributes (Shapley).

``decompose(factual, counterfactual, replications=R)`` diffs the two resolved scenarios
field by field and assigns every differing field to a *component*: ``climate`` (the
business climate), a strategy's section (``strategies.<key>``), an event by its
``lever``, anything else to ``other`` (``name``, ``description`` and ``seed`` are ignored:
every arm runs on one root seed). It then runs every subset of the k components switched to
the factual on top of the counterfactual — 2^k arms, paired under common random numbers —
and gives each component its exact Shapley value per replicate,

    φ_i = Σ_{S ⊆ N∖{i}} |S|! (k − |S| − 1)! / k! · (v(S ∪ {i}) − v(S)),

so that the contributions of a replicate sum to its factual − counterfactual difference,
and a component that changes nothing contributes exactly 0. Reported with the mean over
replicates and the 95 % confidence interval of that mean (t, R − 1 df).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError
from scipy import stats

from chainsim.config.errors import ScenarioError
from chainsim.config.schema import Scenario
from chainsim.results.summary import Results
from chainsim.vocabulary import label, outcome_term

IGNORED = ("name", "description", "seed")
MAX_COMPONENTS = 8  # 256 arms
Path_ = tuple[str, ...]


# ------------------------------------------------------------------------- components
def differing_fields(a: Any, b: Any, path: Path_ = ()) -> Iterable[Path_]:
    """Paths (tuples of keys) where two dumped scenarios differ; a key only one side has is
    one path."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if not path and k in IGNORED:
                continue
            if k not in a or k not in b:
                yield (*path, k)
            else:
                yield from differing_fields(a[k], b[k], (*path, k))
    elif a != b:
        yield path


def component_of(path: Path_, factual: dict, counterfactual: dict) -> str:
    """The component a differing field belongs to (module docstring)."""
    if path[0] == "climate":
        return "climate"
    if path[0] == "strategies" and len(path) >= 2:
        return path[1]
    if path[0] == "events" and len(path) >= 2:
        event = factual["events"].get(path[1]) or counterfactual["events"].get(path[1])
        return str(event["lever"])
    return "other"


def component_label(key: str, lang: str = "en") -> str:
    from chainsim.vocabulary.core import known

    for prefix in ("strategy.", "component."):
        if known(prefix + key):
            return label(prefix + key, lang)  # type: ignore[arg-type]
    return key


def _set(data: dict, path: Path_, source: dict) -> None:
    """Copy ``source``'s value at ``path`` into ``data`` (delete it where ``source`` has none)."""
    src, dst = source, data
    for k in path[:-1]:
        src, dst = src[k], dst[k]
    if path[-1] in src:
        dst[path[-1]] = copy.deepcopy(src[path[-1]])
    else:
        dst.pop(path[-1], None)


# ------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Contribution:
    metric: str
    label_en: str
    label_zh: str
    component: str  # a component key, or "total"
    component_en: str
    component_zh: str
    contribution: float
    ci95_low: float
    ci95_high: float
    share: float  # of the total difference (nan if the total is 0)


@dataclass
class Decomposition:
    factual: str
    counterfactual: str
    seed: int
    replications: int
    period: str
    base_period: str
    components: dict[str, list[str]]  # component → the differing fields (dotted)
    means: dict[str, dict[str, float]] = field(default_factory=dict)  # metric → factual/counterfactual
    rows: list[Contribution] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "factual": self.factual,
            "counterfactual": self.counterfactual,
            "seed": self.seed,
            "replications": self.replications,
            "period": self.period,
            "base_period": self.base_period,
            "method": "exact Shapley values over 2^k paired arms (common random numbers); "
            "95 % confidence interval of the mean over replicates (t, R − 1 df)",
            "components": self.components,
            "means": self.means,
            "rows": [asdict(r) for r in self.rows],
        }

    def to_csv(self, path: str | Path | None = None) -> str:
        """Tidy CSV (one row a metric and component), UTF-8; written to ``path`` if given."""
        from chainsim.results.runopts import rows_csv

        return rows_csv(self.rows, Contribution, path)

    def row(self, metric: str, component: str) -> Contribution:
        return next(r for r in self.rows if r.metric == metric and r.component == component)


def metric_values(r: Results, period: str, base_period: str) -> dict[str, np.ndarray]:
    """Per replicate: funds in place, their growth over the base period (%), foreign
    capital and signings in ``period``."""
    funds, before = (
        r.period_values(period, "funds_in_place_yi"),
        r.period_values(base_period, "funds_in_place_yi"),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(before > 0, 100.0 * (funds / before - 1.0), np.nan)
    return {
        "funds_in_place_yi": funds,
        "funds_in_place_growth_pct": growth,
        "fdi_usd_yi": r.period_values(period, "fdi_usd_yi"),
        "signings": r.period_values(period, "signings"),
    }


def metric_labels(metric: str, period: str) -> tuple[str, str]:
    if metric == "funds_in_place_growth_pct":
        return label("decompose.growth", "en") + f" {period} (%)", label("decompose.growth", "zh")
    t = outcome_term(f"periods.{period}.{metric}")
    return t.text("en", unit=True), t.zh


def shapley(v: np.ndarray, k: int) -> np.ndarray:
    """Exact Shapley values: ``v`` is (2^k, R), row = bit mask of the components switched
    to factual; returns (k, R)."""
    phi = np.zeros((k, v.shape[1]))
    for i in range(k):
        bit = 1 << i
        for s in range(1 << k):
            if s & bit:
                continue
            size = bin(s).count("1")
            w = math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
            phi[i] += w * (v[s | bit] - v[s])
    return phi


def mean_ci(x: np.ndarray) -> tuple[float, float, float]:
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if len(x) < 2:
        return m, math.nan, math.nan
    half = float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return m, m - half, m + half


# ------------------------------------------------------------------------- the decomposition
def decompose(
    factual: Scenario | str | Path,
    counterfactual: Scenario | str | Path,
    replications: int = 20,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    period: str = "2023H1",
    base_period: str = "2022H1",
    progress: Any = None,
) -> Decomposition:
    """Run the 2^k arms between two scenarios and decompose their difference (module docstring)."""
    from chainsim.api import load, run

    f_cfg = factual if isinstance(factual, Scenario) else load(factual, overrides)
    c_cfg = counterfactual if isinstance(counterfactual, Scenario) else load(counterfactual, overrides)
    for name, cfg in (("factual", f_cfg), ("counterfactual", c_cfg)):
        for p in (period, base_period):
            if p not in cfg.reporting.periods:
                raise ScenarioError(
                    f"the {name} scenario has no reporting period {p!r}; it has: {', '.join(cfg.reporting.periods)}"
                )
    fd, cd = f_cfg.model_dump(), c_cfg.model_dump()
    fields: dict[str, list[Path_]] = {}
    for path in differing_fields(fd, cd):
        fields.setdefault(component_of(path, fd, cd), []).append(path)
    keys = sorted(fields, key=lambda c: (c != "climate", c == "other", c))
    k = len(keys)
    if k > MAX_COMPONENTS:
        raise ScenarioError(
            f"the scenarios differ in {k} components ({', '.join(keys)}): at most {MAX_COMPONENTS} "
            f"(2^{MAX_COMPONENTS} arms); compare closer scenarios"
        )
    root = f_cfg.seed if seed is None else int(seed)
    values: dict[str, list[np.ndarray]] = {}
    for mask in range(1 << k):
        data = copy.deepcopy(cd)
        for i, c in enumerate(keys):
            if mask >> i & 1:
                for path in fields[c]:
                    _set(data, path, fd)
        try:
            cfg = Scenario.model_validate(data)
        except ValidationError as err:
            switched = [c for i, c in enumerate(keys) if mask >> i & 1] or ["none"]
            raise ScenarioError(
                f"the arm with {', '.join(switched)} switched to the factual is not a valid scenario "
                f"({err.error_count()} errors, first: {err.errors()[0]['msg']}); the components depend "
                "on each other: make the scenarios differ in separable sections"
            ) from None
        r = run(cfg, seed=root, replications=replications)
        for m, x in metric_values(r, period, base_period).items():
            values.setdefault(m, []).append(x)
        if progress is not None:
            progress(mask + 1, 1 << k)
    d = Decomposition(
        _name(factual, f_cfg), _name(counterfactual, c_cfg), root, replications, period, base_period,
        {c: [".".join(map(str, p)) for p in fields[c]] for c in keys},
    )  # fmt: skip
    for m, arms in values.items():
        v = np.array(arms)  # (2^k, R)
        en, zh = metric_labels(m, period)
        total = v[-1] - v[0]
        d.means[m] = {"factual": float(np.nanmean(v[-1])), "counterfactual": float(np.nanmean(v[0]))}
        t_mean, t_lo, t_hi = mean_ci(total)
        phi = shapley(v, k)
        for i, c in enumerate(keys):
            mean, lo, hi = mean_ci(phi[i])
            share = mean / t_mean if t_mean else math.nan
            d.rows.append(
                Contribution(
                    m, en, zh, c, component_label(c, "en"), component_label(c, "zh"), mean, lo, hi, share
                )
            )
        d.rows.append(
            Contribution(m, en, zh, "total", label("decompose.total", "en"), label("decompose.total", "zh"),
                         t_mean, t_lo, t_hi, 1.0 if t_mean else math.nan)
        )  # fmt: skip
    return d


def _name(given: Scenario | str | Path, cfg: Scenario) -> str:
    return cfg.name if isinstance(given, Scenario) else str(given)

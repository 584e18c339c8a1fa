"""The posterior: draws and weights on disk, its central parameter set, and runs over it.

* ``<name>.posterior.csv``: one row per particle of the last generation — its weight and
  every parameter on its natural scale; ``#`` header lines carry the stamp (chainsim
  version, targets-file SHA-256, date).
* ``<name>.calibrated.yaml``: the central parameter set (by default the accepted draw that
  fits best on replicate means; or the weighted median of each parameter), written as a scenario
  that ``extends:`` the base; ``scenarios/kunming_2023.yaml`` builds on it, so
  recalibrating changes the default without hand edits.
* :func:`run_with_posterior`: K posterior draws × R replicates of any scenario built on a
  calibrated YAML, so the outputs carry parameter uncertainty as well as stochastic noise.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from chainsim.calibration.config import load_calibration
from chainsim.calibration.params import ParameterSpace
from chainsim.config import dotted
from chainsim.config.loader import ScenarioError
from chainsim.config.yamlfile import load_yaml_mapping
from chainsim.results.outputs import atomic_write
from chainsim.results.summary import Results, stat
from chainsim.version import __version__


def stamp(targets_sha256: str) -> dict[str, str]:
    return {
        "chainsim_version": __version__,
        "targets_sha256": targets_sha256,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float | Sequence[float]) -> np.ndarray:
    """Quantiles of a weighted sample: NumPy's own (``weights`` needs the inverted-CDF
    method: the smallest value whose cumulative weight reaches q)."""
    return np.quantile(
        np.asarray(values, float), q, weights=np.asarray(weights, float), method="inverted_cdf"
    )


def weighted_sd(values: np.ndarray, weights: np.ndarray) -> float:
    w = np.asarray(weights, float) / np.sum(weights)
    mean = np.sum(w * values)
    return float(np.sqrt(np.sum(w * (values - mean) ** 2)))


def resample(weights: np.ndarray, k: int, seed: int) -> np.ndarray:
    """k particle indices by systematic resampling (deterministic for a seed)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    positions = (rng.random() + np.arange(k)) / k
    cum = np.cumsum(weights) / np.sum(weights)
    return np.minimum(np.searchsorted(cum, positions), len(weights) - 1)


# --------------------------------------------------------------------------- files
def write_posterior_csv(
    path: Path, draws: Mapping[str, np.ndarray], weights: np.ndarray, info: Mapping[str, Any]
) -> None:
    names = list(draws)
    lines = [f"# {k}: {v}" for k, v in info.items()]
    lines.append(",".join(["draw", "weight", *names]))
    for i, w in enumerate(weights):
        lines.append(",".join([str(i), repr(float(w)), *(repr(float(draws[n][i])) for n in names)]))
    atomic_write(path, lambda p: p.write_text("\n".join(lines) + "\n", encoding="utf-8"))


def read_posterior(path: Path) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, str]]:
    """(natural-scale draws by parameter, normalised weights, header info)."""
    info, rows, header = {}, [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            info[key.strip()] = value.strip()
        elif header is None:
            header = line.split(",")
        elif line.strip():
            rows.append([float(x) for x in line.split(",")])
    if header is None or not rows:
        raise ScenarioError(f"{path}: no posterior draws in the file")
    table = np.array(rows)
    w = table[:, 1] / table[:, 1].sum()
    return {n: table[:, 2 + i] for i, n in enumerate(header[2:])}, w, info


def central_parameters(draws: Mapping[str, np.ndarray], weights: np.ndarray) -> dict[str, float]:
    """The weighted median of each parameter (robust to the skew of log-scale priors)."""
    return {n: float(weighted_quantile(v, weights, 0.5)) for n, v in draws.items()}


def _significant(x: Any) -> Any:
    return float(f"{x:.4g}") if isinstance(x, float) else x


def write_central_yaml(
    path: Path,
    space: ParameterSpace,
    central: Mapping[str, float],
    base_path: Path,
    config_path: Path,
    posterior_path: Path,
    name: str,
    info: Mapping[str, Any],
    fixed: Sequence[str] = (),
) -> None:
    """The central parameter set as a scenario overlay on the base (each parameter to 4
    significant digits, the fields derived from them — multiplied, or a balanced group of
    shares that must keep its sum — exactly from those), with the calibration's own
    ``fixed`` overrides, so it is the setting that was fitted."""
    assign = dict(dotted.parse_setting(text) for text in fixed)
    rounded = {n: _significant(float(v)) for n, v in central.items()}
    assign.update(
        {k: (round(v, 12) if isinstance(v, float) else v) for k, v in space.assignments(rounded).items()}
    )
    rel = lambda p: os.path.relpath(p.resolve(), path.parent.resolve())  # noqa: E731
    head = [
        "# GENERATED by `chainsim calibrate` — do not edit by hand; recalibrate instead.",
        "# The central parameter set of the posterior (how it was chosen: `central` below).",
        *(f"# {k}: {v}" for k, v in info.items()),
        f"# calibration: {rel(config_path)}",
        f"# posterior: {rel(posterior_path)}",
        "# parameters (natural scale): " + ", ".join(f"{n}={_significant(v)}" for n, v in central.items()),
    ]
    body = {"extends": rel(base_path), "name": name, **dotted.nest(assign)}
    text = "\n".join(head) + "\n" + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=100)
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


# --------------------------------------------------------------------------- --posterior-draws
def find_calibrated(scenario: Path) -> Path:
    """The ``*.calibrated.yaml`` on the scenario's ``extends:`` chain."""
    seen, path = set(), Path(scenario)
    while path.resolve() not in seen:
        seen.add(path.resolve())
        if path.name.endswith(".calibrated.yaml"):
            return path
        data, _ = load_yaml_mapping(path)
        parent = data.get("extends")
        if not isinstance(parent, str):
            break
        path = path.parent / parent
    raise ScenarioError(
        f"{scenario}: --posterior-draws needs a scenario built (through 'extends:') on a calibrated "
        "YAML written by `chainsim calibrate` (e.g. scenarios/kunming_2023.yaml)",
        scenario,
    )


def read_header(path: Path) -> dict[str, str]:
    """The ``# key: value`` lines at the top of a generated file (its stamp)."""
    info = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[1:].partition(":")
        info[key.strip()] = value.strip()
    return info


@dataclass
class PosteriorResults(Results):
    """K draws × R replicates as one Results; ``summary()`` adds the posterior block."""

    draws: int = 0
    posterior_file: str = ""
    posterior_info: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, list[float]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        out = super().summary()
        out["posterior"] = {
            "draws": self.draws,
            "replications_per_draw": len(self.replicates) // max(self.draws, 1),
            "file": self.posterior_file,
            **self.posterior_info,
            "parameters": {n: stat(v) for n, v in self.parameters.items()},
            "note": "mean and ci95 are over all draws × replicates: parameter and stochastic uncertainty together",
        }
        return out


def run_with_posterior(
    scenario: str | Path,
    draws: int,
    replications: int = 1,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> PosteriorResults:
    """Run ``draws`` weighted posterior draws × ``replications`` replicates of ``scenario``.

    Each draw's parameters are applied as ``--set`` overrides on the scenario (the user's
    own ``overrides`` are applied after them, so they win); replicate seeds come from
    ``SeedSequence(seed).spawn(draws × replications)`` and the draws from a systematic
    resample of the posterior weights seeded by ``seed``.
    """
    from chainsim.api import load, replicate_seeds, run_replicate
    from chainsim.engine.calendar import Calendar

    if draws < 1 or replications < 1:
        raise ValueError("draws and replications must be at least 1")
    scenario = Path(scenario)
    calibrated = find_calibrated(scenario)
    head = read_header(calibrated)
    if "calibration" not in head or "posterior" not in head:
        raise ScenarioError(
            f"{calibrated}: no '# calibration:' / '# posterior:' header; regenerate it with chainsim calibrate"
        )
    cal = load_calibration(calibrated.parent / head["calibration"])
    post_path = calibrated.parent / head["posterior"]
    if not post_path.is_file():
        raise ScenarioError(f"{calibrated}: posterior file {post_path} does not exist")
    table, weights, info = read_posterior(post_path)
    space = ParameterSpace(cal.priors, cal.base_data)
    missing = set(space.names) - set(table)
    if missing:
        raise ScenarioError(f"{post_path}: no column for parameter(s) {', '.join(sorted(missing))}")
    central = load(scenario, overrides)
    root = central.seed if seed is None else int(seed)
    picks = resample(weights, draws, root)
    seeds = replicate_seeds(root, draws * replications)
    results = PosteriorResults(
        config=central.model_copy(update={"seed": root}),
        seed=root,
        draws=draws,
        posterior_file=str(post_path),
        posterior_info=info,
        parameters={n: [] for n in space.names},
    )
    for k, i in enumerate(picks):
        natural = {n: float(table[n][i]) for n in space.names}
        sets = [f"{p}={v!r}" for p, v in space.assignments(natural).items()]
        cfg = load(scenario, [*sets, *overrides]).model_copy(update={"seed": root})
        for n in space.names:
            results.parameters[n].append(natural[n])
        for r in range(replications):
            results.replicates.append(run_replicate(cfg, seeds[k * replications + r]))
            if progress:
                progress(k * replications + r + 1, draws * replications)
    cal_ = Calendar(central.calendar)
    results.date_end, results.burn_in = cal_.date_end, cal_.burn_in
    return results

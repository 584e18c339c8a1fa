"""The calibration files, validated: the run config, the targets and the priors.

Three YAML files, each read through :func:`chainsim.config.loader.load_scenario`, so a
mistake gets the same one-line message (file, line, field, what is allowed) and exit
status 2 as a bad scenario:

* the **run config** (``calibration/kunming_2023.yaml``) names the base scenario, the
  targets file, the priors file, and the ABC-SMC settings (particles, generations, seed);
* the **targets** (``calibration/targets/…``): reported figures (FACTS IDs), each with the
  ``summary.json`` path it is compared with, a unit and an uncertainty;
* the **priors** (``calibration/priors/…``): the estimated parameters, each a scenario
  field (dotted path, as for ``--set``) with a uniform prior range and its reason.

The schemas are in :mod:`.schema`. Cross-checks that need the base scenario (does the
metric exist? does the field?) are done by :func:`load_calibration`, before anything is
run or written.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from chainsim.calibration.params import check_priors
from chainsim.calibration.schema import CalibrationConfig, PriorsFile, TargetsFile
from chainsim.calibration.targets import check_targets
from chainsim.config.loader import ScenarioError, load_scenario, resolve_scenario, validate
from chainsim.config.schema import Scenario


@dataclass(frozen=True)
class Calibration:
    """Everything a run needs, validated and cross-checked."""

    path: Path
    config: CalibrationConfig
    base_path: Path
    targets_path: Path
    priors_path: Path
    targets: TargetsFile
    priors: PriorsFile
    base_data: dict  # the base scenario, resolved (extends + fixed) and validated, defaults included
    targets_sha256: str

    def fingerprint(self) -> str:
        """Hash of what the sampled history depends on: the base scenario, targets, priors and
        the sampling settings. Not ``generations`` (a finished run can be extended), nor the
        workers, time limit or report settings."""
        sampling = self.config.model_dump(
            mode="json",
            include={
                "fixed",
                "method",
                "particles",
                "seed",
                "replicates_per_particle",
                "epsilon_quantile",
                "wave_points",
                "final_wave_points",
                "final_wave_replicates",
                "gp_points",
                "mcmc_walkers",
                "mcmc_steps",
                "sampler",
                "smc_particles",
                "smc_moves",
                "smc_runs",
                "omit_targets",
                "omit_parameters",
            },
        )
        blob = json.dumps(
            [
                sampling,
                self.targets.model_dump(mode="json"),
                self.priors.model_dump(mode="json"),
                self.base_data,
            ],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _omit(
    path: Path, cfg: CalibrationConfig, targets: TargetsFile, priors: PriorsFile
) -> tuple[TargetsFile, PriorsFile]:
    """The targets and priors without the config's omit_targets / omit_parameters."""
    for field, names, known in (
        ("omit_targets", cfg.omit_targets, targets.targets),
        ("omit_parameters", cfg.omit_parameters, priors.parameters),
    ):
        for n in names:
            if n not in known:
                raise ScenarioError(
                    f"{path}: {field}: {n!r} is not in the file (allowed: {', '.join(known)})", path, field
                )
    kept_t = {k: v for k, v in targets.targets.items() if k not in cfg.omit_targets}
    kept_p = {k: v for k, v in priors.parameters.items() if k not in cfg.omit_parameters}
    if not kept_t or not kept_p:
        raise ScenarioError(f"{path}: omit_targets/omit_parameters leave nothing to calibrate", path)
    return (
        targets.model_copy(update={"targets": kept_t}),
        priors.model_copy(update={"parameters": kept_p}),
    )


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_calibration(path: str | Path, overrides: list[str] | None = None) -> Calibration:
    """Read and cross-check a calibration config; raise ScenarioError on any mistake."""
    path = Path(path)
    cfg, _ = load_scenario(CalibrationConfig, path, overrides or [])
    here = path.parent

    def named(rel: str, field: str) -> Path:
        p = here / rel
        if not p.is_file():
            raise ScenarioError(f"{path}: {field}: file {p} does not exist", path, field)
        return p

    base_path, targets_path, priors_path = (
        named(cfg.base_scenario, "base_scenario"),
        named(cfg.targets, "targets"),
        named(cfg.priors, "priors"),
    )
    targets, _ = load_scenario(TargetsFile, targets_path)
    priors, _ = load_scenario(PriorsFile, priors_path)
    targets, priors = _omit(path, cfg, targets, priors)
    try:
        data, source = resolve_scenario(base_path, cfg.fixed)
        scenario = validate(Scenario, data, source)
    except ScenarioError as err:  # name the calibration config first: its `fixed:` (or its base) is at fault
        raise ScenarioError(
            f"{path}: fixed: the base scenario {cfg.base_scenario} with these fixed: overrides is invalid:\n{err}",
            path,
            "fixed",
        ) from None
    check_targets(targets, scenario, targets_path)
    # Every field with its default filled in, so that priors can name schema defaults too.
    full = scenario.model_dump()
    check_priors(priors, full, priors_path)
    return Calibration(
        path, cfg, base_path, targets_path, priors_path, targets, priors, full, file_sha256(targets_path)
    )

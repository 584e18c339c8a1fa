"""Posterior draws in a sweep: every design point × K calibration posterior draws.

A sweep file's ``posterior:`` section (``{draws: 20}``, optionally ``calibration:``) crosses
every design point with K weighted draws of the calibration posterior, chosen exactly as
``chainsim run --posterior-draws K --seed SWEEP_SEED`` chooses them: the calibrated YAML
on the base scenario's ``extends:`` chain names the calibration and its posterior CSV
(:func:`chainsim.calibration.posterior.find_calibrated`), the draws are a systematic
resample of the posterior weights seeded by the sweep seed
(:func:`~chainsim.calibration.posterior.resample`), and each draw becomes ``dotted.key →
value`` settings (:meth:`~chainsim.calibration.params.ParameterSpace.assignments`: ``path``
priors set the field, ``multiply`` priors scale the calibration base's value). The
settings are applied on the base scenario first; the design point's factors act on top.

Everything is read when the sweep is loaded, so a recalibration between two runs of the
same sweep file changes the draws — and so the sweep hash: a results directory of the
old posterior is then refused rather than mixed with the new one.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainsim.config.dotted import check_key
from chainsim.config.loader import ScenarioError


@dataclass(frozen=True)
class PosteriorDraws:
    """The K draws of one sweep, with where they came from."""

    calibrated: Path  # the *.calibrated.yaml on the base's extends: chain
    calibration: Path  # the calibration config it names
    posterior: Path  # the posterior CSV
    sha256: str  # of the posterior CSV
    info: dict[str, str]  # the CSV's stamp (# header lines)
    picks: list[int]  # posterior row (particle) of each draw
    parameters: list[dict[str, float]]  # natural-scale parameters of each draw
    settings: list[dict[str, Any]] = field(default_factory=list)  # dotted key → value of each draw

    @property
    def k(self) -> int:
        return len(self.picks)

    def fingerprint(self) -> dict[str, Any]:
        """What of the posterior determines results (for the sweep hash)."""
        return {"picks": self.picks, "settings": self.settings}

    def describe(self) -> dict[str, Any]:
        """A JSON-able record for manifests and reports."""
        return {
            "draws": self.k,
            "calibrated": str(self.calibrated),
            "calibration": str(self.calibration),
            "posterior": str(self.posterior),
            "posterior_sha256": self.sha256,
            "posterior_info": self.info,
            "picks": self.picks,
            "parameters": self.parameters,
        }


def load_draws(
    base_path: Path,
    calibration: str | None,
    draws: int,
    seed: int,
    sweep_dir: Path,
    base_data: dict[str, Any],
    fail: Any,
) -> PosteriorDraws:
    """The ``draws`` posterior draws for a sweep on ``base_path``; ScenarioError (via ``fail``) on
    any mismatch, naming the sweep file's ``posterior`` field."""
    import numpy as np

    from chainsim.calibration.config import load_calibration
    from chainsim.calibration.params import ParameterSpace
    from chainsim.calibration.posterior import find_calibrated, read_header, read_posterior, resample

    try:
        calibrated = find_calibrated(base_path)
    except ScenarioError:
        raise fail(
            ("posterior",),
            f"the base scenario {base_path} is not built (through 'extends:') on a calibrated "
            "YAML written by `chainsim calibrate` (e.g. scenarios/kunming_2023.yaml), so there "
            "is no posterior to draw from",
        ) from None
    head = read_header(calibrated)
    if "calibration" not in head or "posterior" not in head:
        raise fail(
            ("posterior",),
            f"{calibrated} has no '# calibration:' / '# posterior:' header; regenerate it with "
            "chainsim calibrate",
        )
    calibrated = Path(os.path.normpath(calibrated))  # a/b/../c → a/c, for the records
    cal_path = Path(os.path.normpath(calibrated.parent / head["calibration"]))
    if calibration is not None and not _same(sweep_dir / calibration, cal_path):
        raise fail(
            ("posterior", "calibration"),
            f"{calibration!r} is not the calibration of the base scenario: its "
            f"calibrated YAML {calibrated} comes from {cal_path}",
        )
    post_path = Path(os.path.normpath(calibrated.parent / head["posterior"]))
    if not post_path.is_file():
        raise fail(
            ("posterior",),
            f"posterior file {post_path} (named by {calibrated}) does not exist; run "
            f"chainsim calibrate {cal_path}",
        )
    cal = load_calibration(cal_path)
    table, weights, info = read_posterior(post_path)
    space = ParameterSpace(cal.priors, cal.base_data)
    missing = set(space.names) - set(table)
    if missing:
        raise fail(
            ("posterior",),
            f"{post_path} has no column for parameter(s) {', '.join(sorted(missing))} of "
            f"{cal.priors_path}: the posterior is older than the priors; recalibrate",
        )
    picks = [
        int(i) for i in resample(weights, draws, seed)
    ]  # as `chainsim run --posterior-draws K --seed SEED`
    parameters, settings = [], []
    for i in picks:
        natural = {n: float(table[n][i]) for n in space.names}
        assign = space.assignments(natural)
        for key in assign:
            try:
                check_key(base_data, key, numeric=True)
            except KeyError as err:
                raise fail(
                    ("posterior",), f"posterior parameter field {err.args[0]} (the base scenario lacks it)"
                ) from None
        parameters.append(natural)
        settings.append({k: (v.item() if isinstance(v, np.generic) else v) for k, v in assign.items()})
    return PosteriorDraws(
        calibrated=calibrated,
        calibration=cal_path,
        posterior=post_path,
        sha256=hashlib.sha256(post_path.read_bytes()).hexdigest(),
        info=info,
        picks=picks,
        parameters=parameters,
        settings=settings,
    )


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()

"""A calibration's waves on disk: the fingerprint that guards them, each finished wave.

``<out>/<name>.waves/`` holds ``run.json`` (the fingerprint of the config, targets, priors
and base scenario the waves were made from), each wave's design and simulated rows
(:mod:`.ensemble` writes them point by point) and, once a wave is finished, its
diagnostics (``wave<k>.json``) and posterior draws (``wave<k>.posterior.npz``), so a
resumed or ``--report-only`` run reuses them instead of refitting and resampling.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from chainsim.calibration.config import Calibration
from chainsim.calibration.mcmc import MCMCResult
from chainsim.calibration.smc import SMCPosterior

Sample = MCMCResult | SMCPosterior  # draws, loglik, ess, acceptance, converged, record(), describe()


def wave_size(cfg: Any, wave: int) -> tuple[int, int]:
    """(design points, replicates per point) of ``wave``: the last wave may differ."""
    if wave == cfg.waves:
        return (
            cfg.final_wave_points or cfg.wave_points,
            cfg.final_wave_replicates or cfg.replicates_per_particle,
        )
    return cfg.wave_points, cfg.replicates_per_particle


@dataclass
class WaveRecord:
    wave: int
    points: int
    fit_points: int
    emulators: dict[str, dict[str, float]]
    sampler: dict[str, Any]
    seconds: float
    replicates: int = 0  # per design point (0: not recorded)


def save_wave(folder: Path, rec: WaveRecord, post: Sample) -> None:
    """A finished wave: its diagnostics (JSON) and its posterior draws (npz), written last, so
    a resumed or --report-only run reuses them instead of refitting and resampling."""
    from chainsim.version import __version__

    (folder / f"wave{rec.wave}.json").write_text(json.dumps(rec.__dict__, indent=1) + "\n")
    kind = "smc" if isinstance(post, SMCPosterior) else "mcmc"
    np.savez(
        folder / f"wave{rec.wave}.posterior.npz",
        **post.arrays(),
        kind=np.array(kind),
        version=np.array(__version__),
    )


def load_wave(folder: Path, wave: int) -> tuple[Sample, WaveRecord] | None:
    """A wave saved by :func:`save_wave` with this chainsim version, else None."""
    from chainsim.version import __version__

    js, npz = folder / f"wave{wave}.json", folder / f"wave{wave}.posterior.npz"
    if not (js.exists() and npz.exists()):
        return None
    try:
        z = np.load(npz)
        if str(z["version"]) != __version__:
            return None
        arrays = {k: z[k] for k in z.files}
        arrays.pop("within", None)  # written until 6 Dec 2026; derived from the emulators now
        kind = SMCPosterior if str(z["kind"]) == "smc" else MCMCResult
        post: Sample = kind.from_arrays(arrays)
        rec = WaveRecord(**json.loads(js.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return post, rec


def wave_dir(out: Path, name: str) -> Path:
    return out / f"{name}.waves"


def check_waves(cal: Calibration, out: Path, fresh: bool, report_only: bool) -> None:
    """Refuse waves made from other inputs (or, with ``report_only``, no waves); with
    ``fresh`` discard them. Writes the fingerprint for a new run."""
    import shutil

    from chainsim.config.loader import ScenarioError

    folder = wave_dir(out, cal.config.name)
    meta = folder / "run.json"
    if report_only and fresh:
        raise ScenarioError("--report-only and --fresh contradict each other")
    if folder.exists() and fresh:
        shutil.rmtree(folder)
    if folder.exists():
        try:
            found = json.loads(meta.read_text(encoding="utf-8")).get("fingerprint")
        except (OSError, ValueError, AttributeError):
            found = None
        if found != cal.fingerprint():
            raise ScenarioError(
                f"{folder} was made from a different calibration config, targets, priors or base scenario "
                f"(fingerprint {found} ≠ {cal.fingerprint()}); rerun with --fresh to start over, or use another --out",
                folder,
            )
    elif report_only:
        raise ScenarioError(f"--report-only: no waves at {folder}; run without --report-only first", folder)
    else:
        folder.mkdir(parents=True)
        meta.write_text(json.dumps({"fingerprint": cal.fingerprint()}) + "\n", encoding="utf-8")

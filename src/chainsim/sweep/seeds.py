"""Seeds of a sweep, all from ``numpy.random.SeedSequence`` and the sweep seed.

* **Model seed of a run** — with common random numbers (the default), replicate ``r`` of
  *every* design point gets the same seed, ``SeedSequence(sweep_seed).spawn(R)[r]``: the
  seed ``chainsim run --seed SWEEP_SEED -r R`` gives its replicate ``r``. Since the model
  draws its random numbers by (seed, stream, step, firm) (``chainsim.engine.rng``), two points
  that share a seed share every random number the change of factor values does not
  touch, and their difference is the factors' effect, not noise. The design point enters
  only through its parameter values. Without common random numbers, the seed is
  ``SeedSequence(sweep_seed, spawn_key=(point, r))``: independent for every run.
* **Posterior draws** — with a ``posterior:`` section, design point ``i`` becomes K
  points, one per draw ``k``, and run (draw ``k``, replicate ``r``) uses
  ``SeedSequence(S_r, spawn_key=(k,))``, where ``S_r`` is the seed above
  (:func:`run_seed`, applied by the worker): the seed depends on the draw and the
  replicate but not on the design point, so the arms of an experiment stay paired under
  common random numbers, while different draws get independent noise.
* **Design seed** — sampled designs (Latin hypercube, Sobol scrambling) use a stream of
  their own, so that the design does not consume or shift any run's seed.

Seeds are pure functions of (sweep seed, point, replicate): the same on any backend, any
worker count, any resume.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from chainsim.sweep.spec import DRAW

_DESIGN_TAG = 0x5EED_DE51  # separates the design's stream from the runs' streams


def _to_int(seq: np.random.SeedSequence) -> int:
    # 63 bits, like chainsim.api.replicate_seeds, so a seed is a valid scenario seed
    return int(seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def model_seed(sweep_seed: int, point: int, replicate: int, common_random_numbers: bool = True) -> int:
    """The model seed of run (point, replicate)."""
    if common_random_numbers:
        return _to_int(np.random.SeedSequence(sweep_seed, spawn_key=(replicate,)))
    return _to_int(np.random.SeedSequence(sweep_seed, spawn_key=(point, replicate)))


def run_seed(seed: int, values: Mapping[str, Any]) -> int:
    """The model seed of a run whose runner seed is ``seed`` and design-point values are
    ``values``: ``seed`` itself, or for a posterior draw ``k`` the draw's own seed."""
    k = values.get(DRAW)
    if k is None:
        return seed
    return _to_int(np.random.SeedSequence(seed, spawn_key=(int(k),)))


def replicate_seeds(
    sweep_seed: int, replications: int, point: int = 0, common_random_numbers: bool = True
) -> list[int]:
    return [model_seed(sweep_seed, point, r, common_random_numbers) for r in range(replications)]


def design_seed(sweep_seed: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([_DESIGN_TAG, sweep_seed])


def run_id(point: int, replicate: int, replications: int) -> int:
    """Runs are numbered point-major: run ``point·R + replicate``."""
    return point * replications + replicate

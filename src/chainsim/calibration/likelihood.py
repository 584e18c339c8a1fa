"""The emulated likelihood of the reported figures.

Each target compares the *expected* statistic f_i(θ) — emulated, for a growth target the
ratio of two emulated period means — with the reported figure y_i:

    z_i = (f_i(θ) − ref_i) / sqrt(σ_i² + v_i(θ)),    ref_i = y_i, or the nearest end of a band
    log L(θ) = −½ Σ_i w_i [ z_i² + log(1 + v_i(θ)/σ_i²) ]

σ_i is the target's own uncertainty (rounding and model discrepancy, the targets file) and
v_i(θ) the emulator's variance of f_i at θ, so a point where the emulator is unsure is
neither trusted nor rewarded (the log term keeps a wide v from buying a small z). The
simulation noise of a single replicate is not in it: the figures are compared with the
model's expected value, as the acceptance test compares them with a 20-replicate mean, and
the targets' discrepancy terms say how far that mean may sit from a figure.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from chainsim.calibration.emulator import Emulators
from chainsim.calibration.schema import Target
from chainsim.calibration.targets import within_probability


class EmulatedLikelihood:
    """log L(θ) for many θ at once (rows of an internal-scale array)."""

    def __init__(self, emulators: Emulators, targets: Mapping[str, Target]) -> None:
        self.emulators, self.targets = emulators, dict(targets)

    def statistics(self, X: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Each target's emulated expected value and its emulator variance."""
        pred = self.emulators.predict(X)
        f, v = {}, {}
        for tid, t in self.targets.items():
            if t.metric:
                f[tid], v[tid] = pred[t.metric]
            else:
                (ma, va), (mb, vb) = pred[t.paths[0]], pred[t.paths[1]]
                ratio = ma / np.where(mb > 0, mb, np.nan)
                # delta method for a ratio of independent estimates: relative variances add
                v[tid] = ratio**2 * (va / np.maximum(ma, 1e-12) ** 2 + vb / np.maximum(mb, 1e-12) ** 2)
                f[tid] = ratio
        return f, v

    def zscores(self, X: np.ndarray) -> dict[str, np.ndarray]:
        f, v = self.statistics(X)
        out = {}
        for tid, t in self.targets.items():
            ref = np.clip(f[tid], *t.band) if t.band else t.value
            out[tid] = (f[tid] - ref) / np.sqrt(t.sigma**2 + v[tid])
        return out

    def expected_within(self, X: np.ndarray) -> np.ndarray:
        """How many targets each θ is *expected* to meet by the acceptance rule, counting the
        emulators' uncertainty: Σ_i P(|f_i + e_i − y_i| ≤ tolerance_i), e_i ~ N(0, v_i). A
        hard count of |f_i − y_i| ≤ tolerance_i credits a draw fully wherever an unsure
        emulator happens to land inside a tolerance, so ranking by it picks the draws whose
        emulator errors favour the figures; this counts a figure only as far as the
        emulator can vouch for it. The order in which posterior draws become candidates
        for the central scenario."""
        f, v = self.statistics(np.atleast_2d(X))
        total = np.zeros(len(np.atleast_2d(X)))
        for tid, t in self.targets.items():
            p = within_probability(f[tid] - t.value, t.tolerance, np.sqrt(np.maximum(v[tid], 0.0)))
            total += np.where(np.isfinite(p), p, 0.0)
        return total

    def __call__(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(X)
        f, v = self.statistics(X)
        ll = np.zeros(len(X))
        for tid, t in self.targets.items():
            ref = np.clip(f[tid], *t.band) if t.band else t.value
            total = t.sigma**2 + v[tid]
            ll -= 0.5 * t.weight * ((f[tid] - ref) ** 2 / total + np.log(total / t.sigma**2))
        return np.where(np.isfinite(ll), ll, -np.inf)

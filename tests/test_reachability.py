"""Reachability: hand-set settings that bring the reported figures within tolerance.

docs/calibration.md, "Reachability: what the model can reach before calibration": each file of
``scenarios/reach/`` is a hand-set parameter setting (not calibrated) that brings the
20-replicate mean of the figures it claims within the tolerance of
``calibration/targets/kunming_2023.yaml`` (the rule of ``chainsim targets``), and ``best.yaml``
brings at least 14 of the 20 within tolerance at once. The settings pin every estimated
parameter (``scenarios/reach/_pinned.yaml``), so a recalibration cannot change them; the quick
tests below check that, the slow one re-runs them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from paths import CALIBRATION_DIR, SCENARIOS_DIR

REACH = SCENARIOS_DIR / "reach"
TARGETS = CALIBRATION_DIR / "targets" / "kunming_2023.yaml"
PRIORS = CALIBRATION_DIR / "priors" / "kunming_2023.yaml"
BEST_AT_LEAST = 14

# file → the targets (calibration/targets/kunming_2023.yaml ids) it claims; every target is claimed
CLAIMS: dict[str, tuple[str, ...]] = {
    "funds.yaml": ("funds_in_place_2023h1", "funds_in_place_growth"),
    "fdi.yaml": ("fdi_2023h1", "fdi_growth"),
    "signings.yaml": (
        "major_signings_2023h1",
        "industrial_signings_2023h1",
        "industrial_major_signings_2023h1",
    ),
    "industrial_funds.yaml": (
        "funds_in_place_2023h1",
        "industrial_signing_value_2023h1",
        "industrial_funds_2023h1",
    ),
    "cohort_2022.yaml": ("cohort_2022_size", "cohort_2022_landing_rate"),
    "hk_promotion.yaml": ("hk_promotion_signings", "hk_promotion_value"),
    "flower_fair.yaml": ("flower_fair_signings", "flower_fair_value"),
    "south_asia_expo.yaml": ("south_asia_expo_signings", "south_asia_expo_value"),
    "commissioned.yaml": (
        "commissioned_signing_to_production",
        "commissioned_signing_to_land",
        "commissioned_construction_to_production",
    ),
}


def _chain(path: Path) -> list[Path]:
    """The file and the files it extends, nearest first."""
    out = [path.resolve()]
    while (ext := yaml.safe_load(out[-1].read_text(encoding="utf-8")).get("extends")) is not None:
        out.append((out[-1].parent / ext).resolve())
    return out


def _reach_files() -> list[Path]:
    return sorted(p for p in REACH.glob("*.yaml") if not p.name.startswith("_"))


def test_every_target_is_claimed_and_every_file_tested() -> None:
    targets = set(yaml.safe_load(TARGETS.read_text(encoding="utf-8"))["targets"])
    claimed = {t for ts in CLAIMS.values() for t in ts}
    assert claimed == targets
    assert {p.name for p in _reach_files()} == set(CLAIMS) | {"best.yaml"}


@pytest.mark.parametrize("path", _reach_files(), ids=lambda p: p.name)
def test_settings_extend_the_base_through_the_pins(path: Path) -> None:
    """Every setting extends _pinned.yaml, whose chain ends at the base fragment and never
    passes through the generated calibrated file."""
    chain = _chain(path)
    assert REACH / "_pinned.yaml" in chain
    assert chain[-1] == (SCENARIOS_DIR / "_fragments" / "chains.yaml").resolve()
    assert (SCENARIOS_DIR / "_fragments" / "kunming_base.yaml").resolve() in chain
    assert not any(CALIBRATION_DIR.resolve() in p.parents for p in chain)


def test_pins_cover_every_estimated_parameter() -> None:
    """_pinned.yaml writes out every field the calibration estimates ('*' expanded against the
    base), so recalibrating changes nothing in scenarios/reach/."""
    from chainsim.config.loader import resolve_scenario

    base, _ = resolve_scenario(SCENARIOS_DIR / "_fragments" / "kunming_base.yaml")
    pinned = yaml.safe_load((REACH / "_pinned.yaml").read_text(encoding="utf-8"))

    def expand(pattern: str) -> list[list[str]]:
        paths: list[list[str]] = [[]]
        for key in pattern.split("."):
            nxt = []
            for p in paths:
                if key != "*":
                    nxt.append(p + [key])
                    continue
                node = base
                for k in p:
                    node = node[k]
                nxt += [p + [k] for k in node]
            paths = nxt
        return paths

    priors = yaml.safe_load(PRIORS.read_text(encoding="utf-8"))["parameters"]
    missing = []
    for name, prior in priors.items():
        patterns = prior.get("path") or prior.get("multiply")
        for pattern in [patterns] if isinstance(patterns, str) else patterns:
            for keys in expand(pattern):
                node = pinned
                for k in keys:
                    node = node.get(k) if isinstance(node, dict) else None
                in_base = base
                for k in keys:
                    in_base = in_base.get(k) if isinstance(in_base, dict) else None
                # a field null in the base (a chain's own project size) is inherited as null:
                # the calibrated file is not in reach/'s chain, so nothing can change it
                if node is None and in_base is not None:
                    missing.append(f"{name}: {'.'.join(keys)}")
    assert not missing, missing


@pytest.mark.slow
def test_each_setting_reaches_its_figures() -> None:
    """Each setting, run with 20 replicates (one batch, the scenario's seed), brings the
    mean of every figure it claims within tolerance; best.yaml brings ≥ 14 of 20."""
    from chainsim.calibration.check import check

    failures = []
    for name, claims in CLAIMS.items():
        c = check(REACH / name, TARGETS, replications=20)
        rows = {r.id: r for r in c.rows}
        failures += [
            f"{name}: {t} mean {rows[t].mean:.4g}, target {rows[t].value:.4g} ± {rows[t].tolerance:.4g}"
            for t in claims
            if not rows[t].within
        ]
    best = check(REACH / "best.yaml", TARGETS, replications=20)
    if best.within < BEST_AT_LEAST:
        failures.append(f"best.yaml: {best.within} of {len(best.rows)} within tolerance")
    assert not failures, "\n".join(failures)

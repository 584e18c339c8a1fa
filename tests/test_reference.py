"""The reference engine (chainsim.reference): one Mesa agent per firm, written from
docs/model.md alone, as the yardstick of the vectorised engine.

Quick tests: it runs the default scenario, fills the same records (so ``Results.summary()``
has the same keys), keeps its books (stages conserve, every signing has one source), runs
from the command line, and imports nothing of the fast pipeline: it shares the strategies
(chainsim.engine.strategies) and what they stand on (configuration, calendar, chain maps,
random streams, records, vocabulary), never the vectorised model, pipeline, contact
sampling, pipeline table, pool or parks.

Slow tests: the two engines agree *in distribution* (they share no random numbers), and
the same comparison rejects when one hazard of the fast engine is 10 % higher. The
comparison has two stages on independent replicates, and finds a divergence only when
both reject (see ``diverges``).
"""

from __future__ import annotations

import ast
import json
import multiprocessing
import os
import subprocess
import sys
from concurrent.futures import Executor, ProcessPoolExecutor

import numpy as np
import pytest
from scipy import stats

from chainsim import load
from chainsim.api import replicate_seeds, run
from chainsim.engine.calendar import Calendar
from chainsim.engine.model import ChainModel
from chainsim.engine.records import F
from chainsim.reference import ReferenceModel
from chainsim.results.summary import Replicate, Results
from chainsim.vocabulary import source_names
from paths import DEFAULT_SCENARIO, ROOT, SRC, src_env

REFERENCE_DIR = SRC / "chainsim" / "reference"
#: what the reference may import: the configuration, the vocabulary, the engine's shared
#: foundations and the strategies (a module or a package, with its submodules)
ALLOWED = (
    "chainsim.config",
    "chainsim.vocabulary",
    "chainsim.engine.calendar",
    "chainsim.engine.records",
    "chainsim.engine.chains",
    "chainsim.engine.measure",  # the statistics' definitions: rules both engines share
    "chainsim.engine.rng",
    "chainsim.engine.kernels",
    "chainsim.engine.strategies",
    "chainsim.engine.climate",  # the business climate: shared rules, like the strategies
    "chainsim.reference",
)
#: the fast pipeline: what the reference is checked against, so it must not use it
FORBIDDEN = (
    "chainsim.engine.model",
    "chainsim.engine.pipeline",
    "chainsim.engine.contact",
    "chainsim.engine.active",
    "chainsim.engine.pool",
    "chainsim.engine.parks",
    "chainsim.api",
)


def within(module: str, packages: tuple[str, ...]) -> bool:
    """Is ``module`` one of ``packages`` or a submodule of one?"""
    return any(module == p or module.startswith(p + ".") for p in packages)


def small(*overrides: str):
    return load(DEFAULT_SCENARIO, ["population.pool_size=5000", *overrides])


def reference_results(cfg, seeds: list[int]) -> Results:
    cal = Calendar(cfg.calendar)
    reps = [Replicate(seed=s, recorder=ReferenceModel(cfg, rng=s).run().recorder) for s in seeds]
    return Results(config=cfg, seed=cfg.seed, replicates=reps, date_end=cal.date_end, burn_in=cal.burn_in)


def key_tree(d):
    return {k: key_tree(v) for k, v in d.items()} if isinstance(d, dict) else None


# ----------------------------------------------------------------- quick
def test_reference_summary_has_the_keys_of_the_fast_engine():
    cfg = small()
    ref = reference_results(cfg, replicate_seeds(cfg.seed, 2)).summary()
    fast = run(cfg, replications=2).summary()
    assert key_tree(ref) == key_tree(fast)
    p = ref["periods"]["2023H1"]
    assert p["signings"]["mean"] > 0 and p["landed"]["mean"] > 0 and p["funds_in_place_yi"]["mean"] > 0
    assert ref["cohorts"]["2022"]["landing_rate"]["mean"] is not None
    assert ref["events"]["hk_promotion_2023"]["signings"]["mean"] > 0


def test_reference_keeps_its_books():
    cfg = small()
    m = ReferenceModel(cfg, rng=7).run()
    rec = m.recorder
    assert (rec.stages.sum(axis=1) == cfg.population.pool_size).all() and (rec.stages >= 0).all()
    # the last row agrees with the agents themselves
    assert rec.stages[-1].tolist() == np.bincount([int(f.stage) for f in m.firms], minlength=9).tolist()
    flows = rec.flows
    assert (flows >= -1e-9).all()
    assert np.array_equal(rec.stages[:, 7], np.cumsum(flows[:, F["producing"]]).astype(int))  # producers stay
    by_source = sum(flows[:, rec.F[f"signings_by_source.{s}"]] for s in rec.sources)
    assert rec.sources == source_names() and np.array_equal(by_source, flows[:, F["signings"]])
    assert np.array_equal(rec.segment_signings.sum(axis=1), flows[:, F["signings"]])
    # funds never exceed the realised share of what was registered
    assert all(
        -1e-9 <= f.funds_left_yi <= f.value_yi * cfg.pipeline.realisation_share + 1e-9 for f in m.firms
    )
    assert 0 < rec.cohort_landed[0] <= rec.cohort_signed[0]
    # signed at an event ⊆ source "event" (invited firms may also sign later, in talks)
    assert 0 < sum(rec.event_signings.values()) <= flows[:, F["signings_by_source.event"]].sum()
    # parks never hand out more land than they have
    assert all(p.land_free >= -1e-9 for p in m.parks)


def chainsim_imports(path) -> list[tuple[str, list[str]]]:
    """Each chainsim import of a file: (module, names imported from it; [] for ``import m``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: use absolute imports ({ast.unparse(node)})"
            if (node.module or "").startswith("chainsim"):
                found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.startswith("chainsim")]
    return found


def test_reference_imports_strategies_but_not_the_fast_pipeline():
    assert within("chainsim.engine.strategies.leader_led", ALLOWED)
    assert within("chainsim.engine.model", FORBIDDEN) and not within("chainsim.engine.modelx", FORBIDDEN)
    imports = {path.name: chainsim_imports(path) for path in REFERENCE_DIR.glob("*.py")}
    assert "chainsim.engine.strategies" in {module for module, _ in imports["model.py"]}  # it shares them
    for name, found in imports.items():
        for module, names in found:
            assert within(module, ALLOWED), f"{name} imports {module}"
            # `from chainsim.engine import model` would import a module by name
            assert not any(within(f"{module}.{n}", FORBIDDEN) for n in names), (
                f"{name}: from {module} import {names}"
            )


# chainsim/__init__ loads the API lazily; to be sure, in a fresh interpreter load the package without
# its __init__ and the loader, then import and RUN the reference: every chainsim module that
# appears must be allowed, and none of the fast pipeline may.
_IMPORT_CHECK = r"""
import json, sys, types
pkg = types.ModuleType("chainsim"); pkg.__path__ = [sys.argv[1]]; sys.modules["chainsim"] = pkg
import chainsim.config.schema, chainsim.config.loader
before = set(sys.modules)
from chainsim.reference import ReferenceModel
cfg, _ = chainsim.config.loader.load_scenario(chainsim.config.schema.Scenario, sys.argv[2], ["population.pool_size=2000", "calendar.burn_in_steps=3"])
ReferenceModel(cfg, rng=1).run()
print(json.dumps(sorted(m for m in set(sys.modules) - before if m.startswith("chainsim"))))
"""


def test_reference_runs_without_loading_the_fast_pipeline():
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_CHECK, str(SRC / "chainsim"), str(DEFAULT_SCENARIO)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=src_env(),
    )
    assert out.returncode == 0, out.stderr
    new = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert "chainsim.reference.model" in new and "chainsim.engine.strategies.leader_led" in new, new
    assert not {m for m in new if within(m, FORBIDDEN)}, new
    assert {m for m in new if not within(m, ALLOWED)} <= {"chainsim.engine"}, new  # the (empty) package


def test_cli_runs_the_reference_engine(capsys):
    from chainsim.cli import main

    argv = [
        "run",
        str(DEFAULT_SCENARIO),
        "--engine",
        "reference",
        "--json",
        "--seed",
        "3",
        "--set",
        "population.pool_size=3000",
        "--set",
        "calendar.burn_in_steps=5",
    ]
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse: an option this CLI does not know
        if "--engine" in capsys.readouterr().err:
            pytest.skip("chainsim.cli has no --engine option (the engine hook is not wired in)")
        raise AssertionError(f"chainsim run --engine reference exited with {exit_.code}") from None
    assert status == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["periods"]["2023H1"]["signings"]["mean"] > 0


# ----------------------------------------------------------------- slow: statistical equivalence
# A small configuration with power: 120,000 firms, 30 coarse burn-in steps (the
# comparison does not need the full 5-year spin-up), the reported horizon 2022-01-01 …
# 2024-12-31. Why so many firms: the calibrated default's sector groups contact ~4.6×
# the base rate, and a smaller pool runs its thin segments dry (both engines then
# contact fewer firms; the comparison stays valid, but is no longer about the default).
# The fast engine once dropped a contact after 16 missed tries where the spec draws
# among the idle firms (−2.6 % signings at 50,000 firms); it now falls back to that exact
# draw (chainsim.engine.contact.exact_draw; tests/test_contact.py).
EQ_OVERRIDES = ["population.pool_size=120000", "calendar.burn_in_steps=30", "calendar.end_date=2024-12-31"]
# per arm and stage: enough power for the teeth test (a 10 % hazard change moves signings ~1.5 %)
N_SEEDS = 100
# Each arm's root seed per stage: (first stage, confirmation stage), fixed in advance.
ROOTS = {"reference": (101, 404), "fast": (202, 505), "fast_sign_x1.1": (303, 606)}
ALPHA = 0.01  # family-wise, over the outputs of one comparison (Holm–Bonferroni)
OUTPUTS = (
    "signings",
    "landed",
    "funds_in_place_yi",
    "fdi_usd_yi",
    "cohort_2022_landing_rate",
    "cohort_2022_fixed_asset_producing_rate",
    "median_signing_to_production_days",
    "event_agreements",
)


def outputs(rec, cal: Calendar, cfg) -> dict[str, float]:
    """One replicate's outputs over the reported horizon."""
    reported = cal.date_end >= np.datetime64(cfg.calendar.start_date, "D")
    out = {
        k: float(rec.flows[reported, F[k]].sum())
        for k in ("signings", "landed", "funds_in_place_yi", "fdi_usd_yi")
    }
    c = list(cfg.reporting.cohorts).index("2022")
    out["cohort_2022_landing_rate"] = rec.cohort_landed[c] / rec.cohort_signed[c]
    out["cohort_2022_fixed_asset_producing_rate"] = rec.cohort_fixed_producing[c] / rec.cohort_fixed_signed[c]
    out["median_signing_to_production_days"] = float(
        np.median(rec.duration_samples("signing_to_production_days")[0])
    )
    # what the ceremonies announced: their own invitees' contracts plus framework agreements
    out["event_agreements"] = float(sum(rec.event_announced(e)["signings"] for e in cfg.events))
    return out


def one_replicate(job) -> dict[str, float]:
    """One replicate's outputs (a top-level function: worker processes run it)."""
    engine, cfg, seed = job
    return outputs(engine(cfg, rng=seed).run().recorder, Calendar(cfg.calendar), cfg)


def replicate_outputs(engine, cfg, root_seed: int, workers: Executor | None = None) -> dict[str, np.ndarray]:
    """Each replicate with its own candidate pool (the fast engine draws the pool from the
    scenario's seed and shares it across a run's replicates; the reference draws one per
    replicate): both arms then sample the pool's variation too. Replicates are seeded, so
    running them on ``workers`` changes no number."""
    jobs = [(engine, cfg.model_copy(update={"seed": s}), s) for s in replicate_seeds(root_seed, N_SEEDS)]
    rows = (
        list(workers.map(one_replicate, jobs, chunksize=4)) if workers else [one_replicate(j) for j in jobs]
    )
    return {k: np.array([r[k] for r in rows]) for k in OUTPUTS}


@pytest.fixture(scope="module")
def engine_runs() -> dict[str, list[dict[str, np.ndarray]]]:
    """N_SEEDS replicates per arm and stage, each from its own root seed (independent
    samples), on every core (the suite itself runs on one): 600 runs, 200 of them on the
    one-agent-per-firm reference."""
    cfg = load(DEFAULT_SCENARIO, EQ_OVERRIDES)
    faster = cfg.model_copy(
        update={
            "pipeline": cfg.pipeline.model_copy(
                update={"sign_prob_per_step": cfg.pipeline.sign_prob_per_step * 1.10}
            )
        }
    )
    arms = {
        "reference": (ReferenceModel, cfg),
        "fast": (ChainModel, cfg),
        "fast_sign_x1.1": (ChainModel, faster),
    }
    spawn = multiprocessing.get_context("spawn")  # not fork: the parent may hold threads
    with ProcessPoolExecutor(max_workers=max(1, os.cpu_count() or 1), mp_context=spawn) as workers:
        return {
            name: [replicate_outputs(engine, config, root, workers) for root in ROOTS[name]]
            for name, (engine, config) in arms.items()
        }


def compare(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, tuple[float, float]]:
    """Two-sided Mann–Whitney U per output, and Holm–Bonferroni adjusted p-values.

    Why Mann–Whitney: the engines share no random numbers, so per-replicate outputs are
    two independent samples; funds and FDI are heavy-tailed (a few very large projects),
    so a rank test, not a t-test; and a wrong rule or hazard shifts the distribution, a
    shift against which Mann–Whitney is much more powerful than Kolmogorov–Smirnov
    (which is also conservative on tied integer counts). Holm controls the family-wise
    error over the outputs at ALPHA without assuming them independent (they are not).
    """
    p = {k: float(stats.mannwhitneyu(a[k], b[k], alternative="two-sided").pvalue) for k in OUTPUTS}
    order = sorted(OUTPUTS, key=p.get)
    adjusted, running = {}, 0.0
    for i, k in enumerate(order):
        running = max(running, min(1.0, (len(order) - i) * p[k]))
        adjusted[k] = running
    return {k: (p[k], adjusted[k]) for k in OUTPUTS}


def table(a, b, result) -> str:
    return "\n".join(
        f"{k:36s} {np.mean(a[k]):10.3f} {np.mean(b[k]):10.3f}  p={p:.3g} holm={q:.3g}"
        for k, (p, q) in result.items()
    )


def diverges(a: list[dict[str, np.ndarray]], b: list[dict[str, np.ndarray]]) -> tuple[bool, str]:
    """Two arms diverge when the comparison rejects (any Holm-adjusted p < ALPHA) in the
    first stage *and* again on the confirmation stage's fresh replicates.

    Why two stages: each stage alone falsely rejects with probability ≤ ALPHA, and its
    seeds are fixed, so a recalibration that happens to land an arm's 100 replicates in
    its tail fails every later run until the seeds change. That happened: on the
    recalibrated default the first stage's fast arm signed 2,407 on average, ≈ 3.5 sd of
    a 100-replicate mean above the engine's own mean (30 other roots × 20 replicates:
    2,387, root means 2,356–2,419), while 400 reference replicates gave 2,382 — chance in
    one arm's fixed seeds, not a difference of the engines (2026-12-05, the session note).
    A real divergence rejects in both stages (the teeth test below checks that both do);
    a false alarm needs two independent ones (probability ≤ ALPHA²).
    """
    report = []
    for stage, (x, y) in enumerate(zip(a, b), start=1):
        result = compare(x, y)
        rejected = any(q < ALPHA for _, q in result.values())
        report.append(f"stage {stage}: {'rejects' if rejected else 'agrees'}\n" + table(x, y, result))
        if not rejected:
            return False, "\n".join(report)
    return True, "\n".join(report)


@pytest.mark.slow
@pytest.mark.timeout(2400)  # its fixture runs 600 replicates (≈ 10 min on 2 cores)
def test_engines_agree_in_distribution(engine_runs):
    diverged, report = diverges(engine_runs["fast"], engine_runs["reference"])
    print("\nfast vs reference\n" + report)
    assert not diverged, report


@pytest.mark.slow
@pytest.mark.timeout(2400)  # run alone, it builds the fixture
def test_comparison_detects_a_ten_percent_hazard_change(engine_runs):
    """Teeth: the fast engine with sign_prob_per_step × 1.10 against the reference at the
    base value must be told apart by the same procedure — in both stages."""
    diverged, report = diverges(engine_runs["fast_sign_x1.1"], engine_runs["reference"])
    print("\nfast (sign hazard × 1.1) vs reference\n" + report)
    assert diverged, report

"""The Python API: ``chainsim.run(config_or_path, seed=..., replications=...)``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from chainsim.config.loader import ScenarioError, load_scenario
from chainsim.config.schema import Scenario
from chainsim.engine.calendar import Calendar
from chainsim.engine.model import ChainModel
from chainsim.results.summary import Replicate, Results


def load(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Read, resolve (``extends:``, ``--set``) and validate a scenario file."""
    cfg, _ = load_scenario(Scenario, path, overrides)
    return cfg


def replicate_seeds(seed: int, replications: int) -> list[int]:
    """Replicate seeds from ``SeedSequence(seed).spawn``: never from the clock."""
    children = np.random.SeedSequence(seed).spawn(replications)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


ENGINES = ("vectorised", "reference")
BATCH = 32  # replicates stepped together by the vectorised engine (memory: ~1.3 bytes × pool per replicate)


def make_model(cfg: Scenario, seed: int, engine: str = "vectorised") -> Any:
    """One replicate's model (not yet run) on the vectorised engine or the reference."""
    if engine == "vectorised":
        return ChainModel(cfg, rng=seed)
    if engine == "reference":
        from chainsim.reference import ReferenceModel

        return ReferenceModel(cfg, rng=seed)
    raise ValueError(f"unknown engine {engine!r}; engines: {', '.join(ENGINES)}")


def run_replicate(cfg: Scenario, seed: int, engine: str = "vectorised") -> Replicate:
    """One replicate on the vectorised engine, or on the one-agent-per-firm reference."""
    return Replicate(seed=seed, recorder=make_model(cfg, seed, engine).run().recorder)


def run(
    config: Scenario | str | Path,
    seed: int | None = None,
    replications: int = 1,
    progress: Callable[[int, int], None] | None = None,
    engine: str = "vectorised",
    vary_pool: bool = False,
) -> Results:
    """Run ``replications`` replicates of a scenario; return the results object.

    ``seed`` defaults to the scenario's seed. Replicate ``i`` always gets the same seed
    for the same root seed, so results are identical on any machine. The candidate pool
    is drawn from the root seed and shared by the replicates (stepped as one batch); with
    ``vary_pool`` each replicate draws its own pool from its own seed, so the intervals
    include the pool's variation too (slower: no batching, a pool per replicate).
    ``progress(done, total)`` is called after every simulated step, counting replicate-steps
    (a batch of 20 replicates advances it by 20 a step).
    """
    cfg = config if isinstance(config, Scenario) else load(config)
    if replications < 1:
        raise ValueError("replications must be at least 1")
    root = cfg.seed if seed is None else int(seed)
    if not 0 <= root < 2**63:
        raise ScenarioError(f"--seed {root}: must be a whole number from 0 to 2**63 - 1")
    cfg = cfg.model_copy(update={"seed": root})
    results = Results(config=cfg, seed=root)
    seeds = replicate_seeds(root, replications)
    cal = Calendar(cfg.calendar)
    total = replications * cal.n_steps
    done = 0

    def stepped(model: Any, batch: int) -> Any:
        """Run a model step by step, reporting replicate-steps (a bar moves within a batch)."""
        nonlocal done
        while model.running:
            model.step()
            done += batch
            if progress:
                progress(done, total)
        return model

    if vary_pool:  # each replicate its own pool: its seed is its root seed
        for s in seeds:
            own = cfg.model_copy(update={"seed": s})
            results.replicates.append(
                Replicate(seed=s, recorder=stepped(make_model(own, s, engine), 1).recorder)
            )
    elif engine == "vectorised":  # replicates batched: the same numbers as one by one, faster
        for start in range(0, replications, BATCH):
            model = stepped(
                ChainModel(cfg, seeds=seeds[start : start + BATCH]), len(seeds[start : start + BATCH])
            )
            results.replicates += [
                Replicate(seed=s, recorder=r) for s, r in zip(model.seeds, model.recorders)
            ]
    else:
        for s in seeds:
            results.replicates.append(
                Replicate(seed=s, recorder=stepped(make_model(cfg, s, engine), 1).recorder)
            )
    results.date_end, results.burn_in = cal.date_end, cal.burn_in
    return results

"""Replicates stepped as one batch give exactly what they give one by one (issue 12).

Every per-replicate reduction is a sequential sum over that replicate's rows in table
order, chain sums are exact, and every random number is keyed by (replicate seed,
stream, step, firm): a replicate cannot tell whether others share its arrays. Checked
bit for bit on every record a run keeps, in a batch, in batches of another size through
``chainsim.run``, and with one lever changed (common random numbers survive batching).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import chainsim
from chainsim import api
from chainsim.api import replicate_seeds
from chainsim.engine.model import ChainModel
from paths import DEFAULT_SCENARIO

SMALL = ["population.pool_size=40000", "calendar.burn_in_steps=30"]
ARRAYS = (
    "flows",
    "stages",
    "segment_signings",
    "missing",
    "cohort_signed",
    "cohort_landed",
    "cohort_producing",
)


def same_records(a, b) -> None:
    for name in ARRAYS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.event_signings == b.event_signings and a.event_value_yi == b.event_value_yi
    for name in a._durations:
        for x, y in zip(a.duration_samples(name), b.duration_samples(name)):
            assert np.array_equal(x, y), name


@pytest.mark.parametrize("overrides", [[], ["strategies.commissioners.slots=0"]], ids=["default", "no_slots"])
def test_a_batch_reproduces_each_replicate_bit_for_bit(overrides):
    cfg = chainsim.load(DEFAULT_SCENARIO, SMALL + overrides)
    seeds = replicate_seeds(cfg.seed, 5)
    batch = ChainModel(cfg, seeds=seeds).run()
    for seed, rec in zip(seeds, batch.recorders):
        same_records(ChainModel(cfg, rng=seed).run().recorder, rec)


def test_run_gives_the_same_summary_whatever_the_batch_size(monkeypatch):
    cfg = chainsim.load(DEFAULT_SCENARIO, SMALL)
    whole = json.dumps(chainsim.run(cfg, replications=5).summary(), sort_keys=True)
    monkeypatch.setattr(api, "BATCH", 2)  # batches of 2, 2 and 1
    assert json.dumps(chainsim.run(cfg, replications=5).summary(), sort_keys=True) == whole
    monkeypatch.setattr(api, "BATCH", 1)  # one by one
    assert json.dumps(chainsim.run(cfg, replications=5).summary(), sort_keys=True) == whole


def test_replicates_of_a_batch_differ_and_share_the_pool():
    cfg = chainsim.load(DEFAULT_SCENARIO, SMALL)
    m = ChainModel(cfg, seeds=replicate_seeds(cfg.seed, 3)).run()
    flows = [r.flows for r in m.recorders]
    assert not np.array_equal(flows[0], flows[1]) and not np.array_equal(flows[1], flows[2])
    # the pool is the scenario seed's, shared: a model with another replicate seed has the same firms
    other = ChainModel(cfg, rng=12345)
    assert np.array_equal(other.pool.value_yi, m.pool.value_yi)


def test_batch_streams_draw_each_replicates_own_numbers():
    """Replicate r of a batch stream draws what the replicate's own stream draws, at steps
    inside the prepared table and past it."""
    from chainsim.engine.rng import BatchStreams, Stream

    seeds = [3, 99, 2**62 + 5]
    batch = BatchStreams(seeds, n_steps=10)
    keys = np.arange(50, dtype=np.int64)
    for step in (0, 5, 9, 12):
        for r, seed in enumerate(seeds):
            mine = batch.engage.uniform(step, np.full(50, r), keys)
            np.testing.assert_array_equal(mine, Stream(seed, "engage").uniform(step, keys))


def test_vary_pool_gives_each_replicate_its_own_pool():
    """--vary-pool: replicate i is the run of root seed s_i, pool and all."""
    cfg = chainsim.load(DEFAULT_SCENARIO, SMALL)
    varied = chainsim.run(cfg, replications=2, vary_pool=True)
    seeds = replicate_seeds(cfg.seed, 2)
    for seed, rep in zip(seeds, varied.replicates):
        own = ChainModel(cfg.model_copy(update={"seed": seed}), rng=seed).run().recorder
        same_records(own, rep.recorder)
    shared = chainsim.run(cfg, replications=2)
    assert not np.array_equal(shared.replicates[0].recorder.flows, varied.replicates[0].recorder.flows)

"""pyabc ABC-SMC wiring: model, distance, sampler, history database, resume, progress.

pyabc keeps every generation in an SQLite history (``<name>.history.db``). A population
is stored only once it is complete, so a killed run loses at most the generation in
progress: running the same command again loads the history (``ABCSMC.load``) and samples
the generations still missing, until the history holds ``generations`` populations.
A side file ``<name>.run.json`` records the fingerprint of the config, targets, priors
and base scenario; a history made from different inputs is refused (use ``--fresh``).

Backends: ``local`` uses pyabc's ``MulticoreEvalParallelSampler`` (forked processes that
inherit the imported model: no import cost per particle); ``dask`` uses
``DaskDistributedSampler`` on a ``LocalCluster`` of single-threaded workers (or a given
scheduler), with the nanny's ``MALLOC_TRIM_THRESHOLD_`` left unset: Dask's default value
made NumPy simulations 3.5× slower (ENVIRONMENT.md).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyabc
from pyabc.model import ModelResult

from chainsim.calibration.config import Calibration
from chainsim.calibration.outfiles import Paths
from chainsim.calibration.params import ParameterSpace
from chainsim.calibration.schema import Target
from chainsim.calibration.simulate import Simulator
from chainsim.calibration.targets import distance, observed
from chainsim.config.loader import ScenarioError
from chainsim.results.outputs import atomic_write


class ChainsimModel(pyabc.Model):
    """pyabc model whose simulation seed depends on the generation (common random numbers)."""

    def __init__(self, simulator: Simulator) -> None:
        super().__init__(name="chainsim")
        self.simulator = simulator

    def sample(self, pars: Any) -> dict[str, float]:
        return self.simulator(pars, 0)

    def summary_statistics(self, t: int, pars: Any, sum_stat_calculator: Callable) -> ModelResult:
        return ModelResult(sum_stat=self.simulator(pars, t))


class DefensiveTransition(pyabc.MultivariateNormalTransition):
    """Gaussian kernels on *every* particle of the last generation, with equal weights.

    pyabc's default kernel mixes the particles with their importance weights. With 15
    parameters, a few particles in sparse corners of the accepted region then carry
    most of the weight, the next proposal concentrates on them, and the effective sample
    size collapses (the shipped run fell to ESS 4 of 300 by its 4th generation). Any
    proposal q is valid in ABC-SMC as long as the new weights are prior/q for that same
    q — pyabc computes them from this transition's ``pdf`` — so proposing from the whole
    accepted cloud (its unweighted covariance, Silverman bandwidth for n particles)
    keeps the weights stable at the cost of a somewhat lower acceptance rate.
    """

    def fit(self, X: Any, w: Any) -> None:
        import numpy as np

        equal = np.full(len(X), 1.0 / len(X))
        super().fit(X, equal)


class StandardisedDistance(pyabc.Distance):
    """Σ w z², z = (simulated − reported)/σ (see :mod:`chainsim.calibration.targets`)."""

    def __init__(self, targets: Mapping[str, Target]) -> None:
        super().__init__()
        self.targets = dict(targets)

    def __call__(self, x: dict, x_0: dict, t: int | None = None, par: dict | None = None) -> float:
        return distance(x, self.targets)


class _ProgressLog(logging.Handler):
    """Turns pyabc's log lines into one progress line per generation (any stream, tty or not)."""

    def __init__(self, total: int, done: int, stream: Any) -> None:
        super().__init__(logging.INFO)
        self.total, self.t0, self.stream, self.gen, self.eps = total, time.perf_counter(), stream, done, None

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if m := re.match(r"t: (-?\d+), eps: (\S+)\.$", msg):
            self.gen, self.eps = int(m.group(1)), float(m.group(2))
            self._write(f"generation {self.gen + 1}/{self.total}: ε = {self.eps:.4g}, sampling …")
        elif m := re.match(r"Accepted: (\d+) / (\d+) = \S+, ESS: (\S+)\.$", msg):
            acc, n, ess = int(m.group(1)), int(m.group(2)), float(m.group(3))
            done = self.gen + 1
            elapsed = time.perf_counter() - self.t0
            self._write(
                f"generation {done}/{self.total} done: accepted {acc}/{n} ({acc / n:.1%}), ESS {ess:.0f}, "
                f"ε = {self.eps:.4g}, {elapsed / 60:.1f} min so far"
            )
        elif msg.startswith("Calibration sample"):
            self._write("sampling the prior to set the first tolerance …")
        elif msg.startswith("Stopping"):
            self._write(f"pyabc: {msg}")

    def _write(self, text: str) -> None:
        print(f"[{dt.datetime.now():%H:%M:%S}] {text}", file=self.stream, flush=True)


@contextmanager
def make_sampler(backend: str, workers: int, scheduler: str | None) -> Iterator[Any]:
    """The pyabc sampler for a backend; closes the Dask client/cluster afterwards."""
    if backend == "local":
        _quiet_forked_workers()
        sampler = pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers)
        sampler.show_progress = sys.stderr.isatty()  # jabbar bar within a generation
        yield sampler
        return
    from chainsim.calibration.ensemble import dask_client

    with dask_client(workers, scheduler) as client:
        client.register_plugin(_quiet_cancellations_plugin(), name="chainsim-quiet-cancellations")
        # Batches of a few particles per task: one simulation is ~0.3 s, so per-task overhead matters.
        yield pyabc.sampler.DaskDistributedSampler(dask_client=client, batch_size=4)


_QUIET_FORKS = False


def _quiet_forked_workers() -> None:
    """pyabc's multicore sampler forks its workers at every generation, and a forked child
    inherits the driver's signal handlers: a Ctrl-C to the process group, or the driver's
    terminate() at an interrupt (SIGTERM, which the error boundary turns into
    KeyboardInterrupt), made each worker print a traceback. In forked children SIGINT is
    ignored (the driver stops them) and SIGTERM ends them quietly. (Subprocesses started by
    exec do not run at-fork hooks.)"""
    global _QUIET_FORKS
    if _QUIET_FORKS:
        return

    def child() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    os.register_at_fork(after_in_child=child)
    _QUIET_FORKS = True


def _quiet_cancellations_plugin() -> Any:
    from distributed.diagnostics.plugin import WorkerPlugin

    class QuietCancellations(WorkerPlugin):
        """pyabc's Dask sampler cancels the surplus tasks at the end of every generation (it
        asks for more particles than it keeps); each cancelled task made the worker log a
        WARNING "... ended with CancelledError" on the terminal. Expected, so not shown."""

        def setup(self, worker: Any) -> None:
            import logging

            logging.getLogger("distributed.worker.state_machine").setLevel(logging.ERROR)

    return QuietCancellations()


def history_url(db: Path) -> str:
    return f"sqlite:///{db.resolve()}"


def open_history(paths: Paths) -> pyabc.History:
    """The stored history, read as it stands (no sampling)."""
    return pyabc.History(history_url(paths.db), _id=1)


def generations_done(history: pyabc.History) -> int:
    max_t = history.max_t
    return 0 if max_t is None else int(max_t) + 1


def check_resumable(cal: Calibration, paths: Paths, fresh: bool) -> bool:
    """True if an existing history will be continued; refuse one made from other inputs."""
    if not paths.db.exists():
        return False
    if fresh:
        return False
    try:
        meta = json.loads(paths.meta.read_text(encoding="utf-8")) if paths.meta.exists() else {}
        if not isinstance(meta, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        raise ScenarioError(
            f"{paths.meta}: unreadable ({type(exc).__name__}: {str(exc)[:120]}); rerun with --fresh to "
            "start over, or use another --out",
            paths.meta,
        ) from None
    _check_history(paths.db)
    if meta.get("fingerprint") != cal.fingerprint():
        raise ScenarioError(
            f"{paths.db} was made from a different calibration config, targets, priors or base scenario "
            f"(fingerprint {meta.get('fingerprint')} ≠ {cal.fingerprint()}); "
            "rerun with --fresh to start over, or use another --out"
        )
    return True


def _check_history(db: Path) -> None:
    """A history database that SQLite cannot read is refused before anything runs."""
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise ScenarioError(
            f"{db}: not a readable calibration history ({exc}); rerun with --fresh to start over "
            "(it is replaced), or use another --out",
            db,
        ) from None


def run_abc(
    cal: Calibration,
    paths: Paths,
    backend: str = "local",
    scheduler: str | None = None,
    fresh: bool = False,
    stream: Any = None,
) -> pyabc.History:
    """Sample until the history holds ``generations`` populations (or a stop rule fires)."""
    cfg = cal.config
    stream = sys.stderr if stream is None else stream  # looked up now: tests replace sys.stderr
    resume = check_resumable(cal, paths, fresh)
    paths.out.mkdir(parents=True, exist_ok=True)
    if not resume:
        for p in (paths.db, paths.meta):
            p.unlink(missing_ok=True)
    space = ParameterSpace(cal.priors, cal.base_data)
    simulator = Simulator(space, cal.targets.targets, cfg.seed, cfg.replicates_per_particle)
    with make_sampler(backend, cfg.workers, scheduler) as sampler:
        transition = (
            DefensiveTransition() if cfg.proposal == "defensive" else pyabc.MultivariateNormalTransition()
        )
        abc = pyabc.ABCSMC(
            ChainsimModel(simulator),
            space.pyabc_prior(),
            StandardisedDistance(cal.targets.targets),
            population_size=cfg.particles,
            sampler=sampler,
            transitions=transition,
            eps=pyabc.QuantileEpsilon(alpha=cfg.epsilon_quantile),
        )
        if resume:
            history = abc.load(history_url(paths.db), 1)
        else:
            history = abc.new(history_url(paths.db), observed(cal.targets.targets))
            meta = {
                "fingerprint": cal.fingerprint(),
                "targets_sha256": cal.targets_sha256,
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
            atomic_write(paths.meta, lambda p: p.write_text(json.dumps(meta, indent=2) + "\n"))
        done = generations_done(history)
        remaining = cfg.generations - done
        # pyabc's own INFO lines are replaced by one line per generation; warnings still show.
        logger = logging.getLogger("ABC")
        handler = _ProgressLog(cfg.generations, done, stream)
        saved = [(h, h.level) for h in logger.handlers], logger.level
        for h, level in saved[0]:
            h.setLevel(max(level, logging.WARNING))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            if remaining > 0:
                handler._write(
                    f"{'resuming after' if done else 'starting'} generation {done}/{cfg.generations} "
                    f"({cfg.particles} particles, {len(space.names)} parameters, {len(cal.targets.targets)} targets, "
                    f"backend {backend})"
                )
                abc.run(
                    max_nr_populations=remaining,
                    min_acceptance_rate=cfg.min_acceptance_rate,
                    max_walltime=dt.timedelta(minutes=cfg.max_walltime_minutes),
                    **({"max_total_nr_simulations": cfg.max_candidates} if cfg.max_candidates else {}),
                )
            else:
                handler._write(f"the history already holds {done} generations: writing the outputs only")
        finally:
            logger.removeHandler(handler)
            logger.setLevel(saved[1])
            for h, level in saved[0]:
                h.setLevel(level)
    return history


def abc_posterior(cal: Calibration, history: pyabc.History, paths: Paths) -> Any:
    """The last generation of a pyabc history as a :class:`~.finalise.Posterior`."""
    import numpy as np
    from pyabc.weighted_statistics import effective_sample_size

    from chainsim.calibration.finalise import Posterior

    cfg = cal.config
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    if pops.empty:
        raise ScenarioError(f"{paths.db}: no completed generation yet; rerun the same command to continue")
    t = int(pops["t"].max())
    frame, w = history.get_distribution(m=0, t=t)
    w = np.asarray(w, float) / np.sum(w)
    space = ParameterSpace(cal.priors, cal.base_data)
    internal = {n: frame[n].to_numpy(float) for n in space.names}
    eps = float(pops.loc[pops["t"] == t, "epsilon"].iloc[0])
    ess = float(effective_sample_size(w))
    simulations = int(pops["samples"].sum()) * cfg.replicates_per_particle
    wall = float(pops["wall_time"].sum()) / 60
    pop = history.get_population(t=t).get_for_keys(["distance", "parameter"])
    order = np.argsort(np.asarray(pop["distance"], float), kind="stable")
    candidates = [
        space.to_natural({n: float(dict(pop["parameter"][i])[n]) for n in space.names}) for i in order
    ]
    method = [
        f"pyabc ABC-SMC, {len(w)} particles × {cfg.replicates_per_particle} replicates (distance on replicate "
        f"means), {t + 1} of {cfg.generations} generations, {simulations} simulated replicates, sampling wall "
        f"time {wall:.1f} min. Final tolerance ε = {eps:.4g} (distance Σ z², {len(cal.targets.targets)} targets), "
        f"effective sample size {ess:.1f}.",
        "",
        "| generation | ε | simulations | acceptance rate |",
        "|---:|---:|---:|---:|",
        *(
            f"| {int(row['t']) + 1} | {row['epsilon']:.4g} | {int(row['samples'])} | "
            f"{row['particles'] / row['samples']:.1%} |"
            for _, row in pops.iterrows()
        ),
    ]
    caveats = []
    if ess < 0.1 * len(w):
        caveats.append(
            f"The final generation's effective sample size is only {ess:.0f} of {len(w)}: a few particles carry "
            "most of the weight, so the marginals and sd ratios above are rough."
        )
    if t + 1 < cfg.generations:
        caveats.append(
            f"The history holds {t + 1} of the {cfg.generations} generations requested (stopped early): the "
            "tolerance is looser than a complete run's would be."
        )
    caveats.append("ABC with a distance tolerance gives an approximate posterior, wider than an exact one.")
    info = {
        "method": "abc_smc",
        "generation": t + 1,
        "generations_requested": cfg.generations,
        "particles": len(w),
        "epsilon": f"{eps:.6g}",
        "ess": f"{ess:.1f}",
        "simulations": simulations,
    }
    summary = {
        "line": (
            f"ABC-SMC: generations {t + 1}, particles {len(w)}, simulated replicates {simulations}, sampling wall "
            f"time {wall:.1f} min; final tolerance ε = {eps:.4g}, effective sample size {ess:.0f}"
        ),
        "ess": ess,
        "generations": t + 1,
    }
    return Posterior(internal, w, info, candidates, method, caveats, summary)

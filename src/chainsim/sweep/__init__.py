"""Parameter sweeps: many scenarios × replicates, on a laptop or a cluster, resumable.

``chainsim sweep SWEEP.yaml --out DIR`` (see :mod:`chainsim.sweep.cli`). Modules, one job each:
:mod:`.spec` the sweep-file schema, :mod:`.config` loading a sweep file, :mod:`.checks` its
checks against the base scenario, :mod:`.settings` a design point's scenario overrides,
:mod:`.posterior` posterior draws, :mod:`.outcomes` the kept metrics, :mod:`.design` design points,
:mod:`.seeds` run seeds (common random numbers), :mod:`.worker` what a worker runs,
:mod:`.backends` local processes and Dask, :mod:`.cluster` SLURM/PBS via dask-jobqueue,
:mod:`.store` the Parquet dataset, manifest and resume, :mod:`.runner` the loop that ties
them, :mod:`.progress` the progress bar.

From Python::

    from chainsim.sweep import run_sweep, read_results
    report = run_sweep("experiments/small_example.yaml", "out/small", workers=2)
    table = read_results("out/small")          # a pyarrow.Table, one row per run
"""

from typing import Any

__all__ = ["Sweep", "SweepReport", "load_sweep", "read_results", "run_sweep"]
_WHERE = {
    "Sweep": "config",
    "load_sweep": "config",
    "SweepReport": "runner",
    "run_sweep": "runner",
    "read_results": "store",
}


def __getattr__(name: str) -> Any:
    # Lazy: `chainsim --help` imports chainsim.sweep.cli, which must not pull in the model,
    # pydantic schemas and pyarrow (the CLI's plug-in rule: heavy imports in the handler).
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""chainsim: an agent-based model of industry-chain investment promotion (产业链招商).

Firms live in NumPy arrays; parks and promotion teams are Mesa agents. See README.md
and docs/ for the model, the scenario format and the outputs.
"""

from chainsim.version import __version__

__all__ = ["__version__", "compare", "load", "plot", "run", "to_pandas"]


def __getattr__(name: str):
    # Lazy, so that importing a part (e.g. chainsim.reference, chainsim.config.schema) does not
    # import the vectorised engine.
    if name in ("load", "run"):
        from chainsim import api

        return getattr(api, name)
    if name in ("to_pandas", "plot"):
        from chainsim.results import frames

        return getattr(frames, name)
    if name == "compare":
        from chainsim.results.compare import compare

        return compare
    raise AttributeError(f"module 'chainsim' has no attribute {name!r}")

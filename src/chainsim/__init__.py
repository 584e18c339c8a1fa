"""chainsim: an agent-based model of industry-chain investment promotion (产业链招商).

Firms live in NumPy arrays; parks and promotion teams are Mesa agents. See README.md
and docs/ for the model, the scenario format and the outputs.
"""

__version__ = "0.1.0"

from .api import load, run  # noqa: E402

__all__ = ["__version__", "load", "run"]

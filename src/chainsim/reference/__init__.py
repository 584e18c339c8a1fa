"""The reference engine: docs/model.md written for reading, one Mesa agent per firm.

``ReferenceModel(cfg, rng=seed).run().recorder`` gives the same records as the
vectorised :class:`chainsim.engine.model.ChainModel`, equal in distribution (not draw for draw);
``tests/test_reference.py`` checks that statistically. Both engines consume the same
registered strategies (:mod:`chainsim.engine.strategies`); each has its own pipeline.
"""

from chainsim.reference.model import ReferenceModel

__all__ = ["ReferenceModel"]

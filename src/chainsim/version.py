"""chainsim's version: a leaf module, so that any layer can stamp its outputs with it
without importing the package's top (``chainsim/__init__.py`` and its lazy API)."""

__version__ = "0.1.0"

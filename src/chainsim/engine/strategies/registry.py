"""The strategy registry: the strategies every run uses, in the order they act.

``register`` is a class decorator; the built-in strategies register when
:mod:`chainsim.engine.strategies` is imported. They act in the order of their ``order``
attribute (a firm drawn by two teams in one step goes to the first). A strategy defined anywhere
else (a notebook, a test, a plug-in) registers the same way and runs in both engines.
"""

from __future__ import annotations

from chainsim.engine.strategies.base import Strategy
from chainsim.vocabulary import register_source, source_names, unregister_source

REGISTRY: dict[str, type[Strategy]] = {}


def register[S: type[Strategy]](cls: S) -> S:
    """Register a strategy class (replacing one of the same key) and its signing sources."""
    if not cls.key:
        raise ValueError(f"{cls.__name__} needs a non-empty class attribute 'key'")
    for source in cls.sources:
        if isinstance(source, str):
            if source not in source_names():
                raise ValueError(
                    f"{cls.__name__}: unknown signing source {source!r}; give (key, English, Chinese) to add one"
                )
        else:
            register_source(*source)
    REGISTRY[cls.key] = cls
    return cls


def unregister(key: str) -> None:
    """Remove a strategy from the registry, and the signing sources it added that no other
    registered strategy brings (tests that register a toy strategy clean up with this)."""
    cls = REGISTRY.pop(key, None)
    if cls is None:
        return
    still = {s if isinstance(s, str) else s[0] for other in REGISTRY.values() for s in other.sources}
    for source in cls.sources:
        if not isinstance(source, str) and source[0] not in still:
            unregister_source(source[0])


def registered() -> list[type[Strategy]]:
    """The registered strategy classes, in the order they act (by ``order``, then by registration)."""
    return sorted(REGISTRY.values(), key=lambda cls: cls.order)

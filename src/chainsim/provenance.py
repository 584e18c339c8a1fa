"""What code produced a result: a hash of the installed chainsim source and the versions
of the packages it runs on.

The version number alone does not change when the code is edited, so every sweep part
file and every session of a sweep records :func:`code_fingerprint`; a resume under a
different fingerprint would mix model versions in one result and is refused unless the
user asks for it (``--allow-version-change``, recorded in the manifest).
"""

from __future__ import annotations

import functools
import hashlib
import sys
from pathlib import Path

#: the packages whose versions can change results (recorded with every sweep)
PACKAGES = (
    "numpy",
    "scipy",
    "pyarrow",
    "pydantic",
    "mesa",
    "networkx",
    "dask",
    "distributed",
    "dask_jobqueue",
)
#: the files of the chainsim package that make up its behaviour
_SOURCE_SUFFIXES = (".py", ".yaml", ".yml", ".json", ".toml", ".csv", ".txt")


def package_versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = version(name.replace("_", "-"))
        except PackageNotFoundError:
            out[name] = None
    return out


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 of every source file of the chainsim package this process imported (path
    and bytes), the package versions and the Python version."""
    import chainsim

    root = Path(chainsim.__file__).resolve().parent
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        if "__pycache__" in f.parts or f.suffix not in _SOURCE_SUFFIXES or not f.is_file():
            continue
        h.update(f.relative_to(root).as_posix().encode() + b"\0")
        h.update(f.read_bytes() + b"\0")
    for name, v in package_versions().items():
        h.update(f"{name}={v}\n".encode())
    h.update(f"python={sys.version.split()[0]}\n".encode())
    return h.hexdigest()

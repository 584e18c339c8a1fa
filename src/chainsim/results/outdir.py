"""Output directories: what chainsim may write into, and what ``--force`` may replace.

Every output directory chainsim creates holds a marker file, :data:`MARKER`, naming the
command that wrote it and the files it writes there. A non-empty ``--out`` without the
marker is somebody else's directory: chainsim refuses it, with or without ``--force``
(``--force`` replaces only files the marker lists, never a user's own files). Temporary
files of a killed writer (``.NAME.XXXX.tmp``, see ``atomic_write``) are ours when NAME is
a listed file, and are removed on the next run.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from chainsim.config.errors import ScenarioError

MARKER = ".chainsim-output.json"
FORMAT = "chainsim-output/1"


def read_marker(out: Path) -> dict[str, Any] | None:
    """The marker of ``out`` (None if there is none or it is unreadable)."""
    path = out / MARKER
    try:
        if not path.is_file() or path.stat().st_size > 1_000_000:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), list):
        return None
    return data


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same directory, then rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file normal permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_marker(out: Path, command: str, files: Iterable[str], **extra: Any) -> None:
    """Record (atomically) that ``command`` writes ``files`` (names directly in ``out``)."""
    old = read_marker(out) or {}
    names = sorted({*old.get("files", []), *files})
    data = {**old, "format": FORMAT, "command": command, "files": names, **extra}
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    atomic_write(out / MARKER, lambda p: p.write_text(text, encoding="utf-8"))


def check_writable_place(out: Path) -> None:
    """``out`` can become a directory: it is not a file, a dangling symlink or a file's child,
    and its nearest existing ancestor is a writable directory (ScenarioError otherwise)."""
    if "\0" in str(out):
        raise ScenarioError(f"--out {str(out)!r}: a path cannot contain a NUL character")
    if out.is_symlink() and not out.exists():
        raise ScenarioError(f"--out {out}: a symbolic link to {os.readlink(out)}, which does not exist")
    for parent in (out, *out.parents):
        if parent.is_symlink() and not parent.exists():
            raise ScenarioError(f"--out {out}: {parent} is a symbolic link to a missing target")
        if parent.exists():
            if not parent.is_dir():
                where = "" if parent == out else f" ({parent} is a file)"
                raise ScenarioError(f"--out {out}: exists and is not a directory{where}")
            if not os.access(parent, os.W_OK):
                why = "is on a read-only file system" if _read_only(parent) else "is not writable"
                raise ScenarioError(f"--out {out}: {parent} {why}")
            if _read_only(parent):
                raise ScenarioError(f"--out {out}: {parent} is on a read-only file system")
            return


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def is_empty(out: Path) -> bool:
    return not out.exists() or not any(out.iterdir())


def foreign_files(out: Path, ours: Iterable[str]) -> list[str]:
    """Names in ``out`` that are neither the marker nor listed in it (nor in ``ours`` when
    the marker lists nothing yet), nor a temporary file of one of them."""
    marker = read_marker(out)
    listed = set(marker["files"]) if marker else set()
    known = listed | {MARKER}
    out_names = [p.name for p in out.iterdir()]
    return sorted(n for n in out_names if n not in known and not _tmp_of(n, known))


def _tmp_of(name: str, known: set[str]) -> bool:
    if not (name.startswith(".") and name.endswith(".tmp")):
        return False
    return any(name.startswith(f".{k}.") for k in known)


def clean_tmp(out: Path, names: Iterable[str] | None = None) -> int:
    """Remove temporary files a killed writer left in ``out`` for our files; the count."""
    marker = read_marker(out)
    known = set(names or []) | set(marker["files"] if marker else []) | {MARKER}
    n = 0
    if not out.is_dir():
        return 0
    for p in out.iterdir():
        if _tmp_of(p.name, known) and p.is_file():
            p.unlink(missing_ok=True)
            n += 1
    return n

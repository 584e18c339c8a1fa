"""Whether a sweep's ``--out`` directory is new, to be resumed or to be replaced.

A directory is resumed only if everything in it belongs to this very sweep: the same
sweep hash (:func:`chainsim.sweep.config.sweep_hash`), the same version of the design's
algorithm (:data:`chainsim.sweep.spec.DESIGN_VERSION`), the same design points as
``design.parquet`` holds, and, unless ``--allow-version-change``, the same code. Anything
else is refused with exit status 2 and a message naming the directory, or replaced with
``--force``; a directory chainsim did not write is never touched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from chainsim.config.loader import ScenarioError
from chainsim.provenance import code_fingerprint
from chainsim.results.outdir import MARKER, check_writable_place, read_marker
from chainsim.sweep.config import Sweep
from chainsim.sweep.spec import DESIGN_VERSION

FORMAT = "chainsim-sweep/1"
OURS = ("runs", "manifest.json", "sweep.yaml", "design.parquet", "base_scenario.yaml", ".lock")
#: Parquet metadata of every part file: which sweep, and which code, wrote its rows
META_SWEEP, META_CODE = b"chainsim.sweep_hash", b"chainsim.code_hash"


def read_manifest(out: Path) -> dict[str, Any] | None:
    """manifest.json of ``out`` if it is a readable sweep manifest, else None."""
    try:
        m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        if m.get("format") == FORMAT and isinstance(m["sweep"]["hash"], str):
            return m
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


def part_files(out: Path) -> list[Path]:
    runs = out / "runs"
    return sorted(runs.glob("part-*.parquet")) if runs.is_dir() else []


def parts_provenance(out: Path) -> tuple[set[str | None], set[str | None]]:
    """(sweep hashes, code hashes) recorded in the part files of ``out`` (None: a part
    written before they were recorded, or unreadable)."""
    sweeps: set[str | None] = set()
    codes: set[str | None] = set()
    for part in part_files(out):
        try:
            meta = pq.read_schema(part).metadata or {}
        except Exception:  # unreadable: the store sets it aside and reruns its runs
            continue
        sweeps.add(meta[META_SWEEP].decode() if META_SWEEP in meta else None)
        codes.add(meta[META_CODE].decode() if META_CODE in meta else None)
    return sweeps, codes


def inspect_out(
    out: Path,
    sweep: Sweep,
    force: bool,
    allow_version_change: bool = False,
    points: list[dict[str, Any]] | None = None,
) -> str:
    """Decide, without writing, what to do with ``out``: "new", "resume" or "force".
    A directory chainsim did not write, a different sweep, another version of the design's
    algorithm or other design points than ``points`` (without --force), or results of other
    code (without ``allow_version_change``) are refused (exit 2)."""
    check_writable_place(out)
    if not out.exists() or not any(out.iterdir()):
        return "new"
    marker = read_marker(out)
    old = read_manifest(out)
    part_sweeps, _ = parts_provenance(out)
    mine = (marker is not None and marker.get("command") == "sweep") or old is not None
    names = {p.name for p in out.iterdir()}
    if not mine and names <= {*OURS, MARKER} and part_sweeps == {sweep.hash}:
        mine = True  # our own files, manifest and marker lost: the parts say which sweep they are
    if not mine:
        raise ScenarioError(
            f"--out {out}: the directory is not empty and was not written by 'chainsim sweep' (it has "
            f"no {MARKER} or manifest.json); choose an empty or new directory. --force replaces only "
            "chainsim's own output, never other files."
        )
    if old is not None and (why := other_design_version(old, sweep)) is not None:
        if force:
            return "force"
        raise ScenarioError(
            f"--out {out}: {why}. Resuming would mix two designs in one result; choose a fresh "
            "--out, or --force to discard those results"
        )
    known = {h for h in part_sweeps if h is not None}
    old_hash = old["sweep"]["hash"] if old else (marker or {}).get("sweep_hash")
    if old_hash is None and len(known) == 1:
        old_hash = next(iter(known))
    if old_hash == sweep.hash and known <= {sweep.hash}:
        if points is not None and (moved := changed_point(out, points)) is not None:
            if force:
                return "force"
            raise ScenarioError(
                f"--out {out}: design.parquet holds other design points than this sweep file gives "
                f"now ({moved}): the design's algorithm, or a library that draws it, changed since "
                "these results were written. Resuming would mix two designs in one result; choose a "
                "fresh --out, or --force to discard those results"
            )
        check_code(out, allow_version_change)
        return "resume"
    if force:
        return "force"
    if old_hash is None and not part_files(out):
        return "force"  # a start killed before its manifest was written: only our empty shell is there
    if old_hash is None:
        raise ScenarioError(
            f"--out {out}: holds results of a sweep that cannot be identified (no readable "
            "manifest.json); choose another directory, or --force to discard those results"
        )
    what = f"{old['sweep'].get('file')}, " if old else ""
    raise ScenarioError(
        f"--out {out}: holds results of a different sweep ({what}hash {old_hash[:12]}…, this one "
        f"{sweep.hash[:12]}…); choose another directory, or --force to discard those results"
    )


def other_design_version(old: dict[str, Any], sweep: Sweep) -> str | None:
    """What differs if the results of manifest ``old`` are of this sweep's design method drawn
    by another version of its algorithm (a manifest without a version: version 1), else None."""
    method = sweep.spec.design.method
    if old["sweep"].get("design") != method:
        return None  # another sweep altogether: the hash says so
    was, now = old["sweep"].get("design_version", 1), DESIGN_VERSION[method]
    if was == now:
        return None
    return (
        f"its results are at the points of version {was} of the {method} design, and this chainsim "
        f"draws version {now}, other points for the same sweep file"
    )


def changed_point(out: Path, points: list[dict[str, Any]]) -> str | None:
    """Where the design points in ``out/design.parquet`` differ from ``points`` (None: they
    are the same, or the file is missing and will be written again)."""
    try:
        stored = pq.read_table(out / "design.parquet")
    except (OSError, ValueError):
        return None
    if stored.num_rows != len(points):
        return f"{stored.num_rows} points there, {len(points)} now"
    for name in stored.column_names:
        if name == "point":
            continue
        column = stored.column(name).combine_chunks()
        try:
            now = pa.array([pt.get(name) for pt in points], type=column.type)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return f"factor {name}: values of another type now"
        if not column.equals(now):
            was = column.to_pylist()
            i = next(i for i, (a, b) in enumerate(zip(was, now.to_pylist())) if a != b)
            return f"point {i}: {name} = {was[i]!r} there, {points[i].get(name)!r} now"
    return None


def check_code(out: Path, allow_version_change: bool) -> set[str]:
    """The code hashes of the finished runs in ``out`` other than this process's; refuse to
    add rows of other code unless ``allow_version_change``."""
    _, codes = parts_provenance(out)
    here = code_fingerprint()
    other = {c or "unrecorded" for c in codes} - {here}
    if other and not allow_version_change:
        n = len(part_files(out))
        shown = ", ".join(sorted(o[:12] + ("…" if o != "unrecorded" else "") for o in other))
        raise ScenarioError(
            f"--out {out}: its finished runs ({n} part files) were made by other code (chainsim source "
            f"or package versions: {shown}; now {here[:12]}…). Resuming would mix model versions in "
            "one result. Choose a new --out, or add --allow-version-change to continue anyway (the "
            "change is recorded in manifest.json)."
        )
    return other

"""The options every "run replicates, then report" command shares (compare, decompose,
targets): ``-r``, ``--seed``, ``--set``, ``--out``, ``--force``, ``--json`` — declared and
checked in one place, so that they mean the same thing and fail the same way."""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any


def add_run_options(
    p: argparse.ArgumentParser, files: str, set_help: str = "override a scenario field"
) -> None:
    """``-r/--replications`` (20), ``--seed``, ``--set`` (repeatable), ``--out`` (writes
    ``files``), ``--force`` and ``--json``."""
    from chainsim.cli import positive_int

    p.add_argument("--replications", "-r", type=positive_int, default=20, help="replicates (default 20)")
    p.add_argument("--seed", type=int, default=None, help="root seed (default: the scenario's)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help=f"{set_help} (repeatable)")  # fmt: skip
    p.add_argument("--out", type=Path, default=None, help=f"write {files} here")
    p.add_argument("--force", action="store_true", help="replace chainsim's own files in a non-empty --out")
    p.add_argument("--json", action="store_true", help="print the JSON to stdout instead of the table")


def check_run_options(args: argparse.Namespace) -> None:
    """Refuse bad values before any work (exit 2): replicates over the limit, a seed out of
    range, an --out that is not ours to write."""
    from chainsim import limits
    from chainsim.cli import _check_out
    from chainsim.config.loader import ScenarioError

    limits.at_most("--replications", args.replications, limits.MAX_REPLICATIONS)
    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise ScenarioError(f"--seed {args.seed}: must be a whole number from 0 to 2**63 - 1")
    if args.out is not None:
        _check_out(args.out, args.force)


def finish(
    args: argparse.Namespace, result: Any, write: Callable[[Path, Any], None], show: Callable[[Any], None]
) -> int:
    """Files first (a failed print loses nothing), then the JSON or the table."""
    if args.out is not None:
        write(args.out, result)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        show(result)
    return 0


def rows_csv(rows: Sequence[Any], row_type: type, path: str | Path | None = None) -> str:
    """A tidy CSV of dataclass rows (one column per field of ``row_type``), UTF-8; written to
    ``path`` if given."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[f.name for f in fields(row_type)])
    writer.writeheader()
    for r in rows:
        writer.writerow(asdict(r))
    text = buf.getvalue()
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text

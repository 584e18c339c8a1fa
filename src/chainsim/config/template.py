"""`chainsim new NAME`: a commented, valid starting scenario for another city.

Every section a city needs is there — calendar, origin regions, two chain maps, two
parks, the three strategies, one event, organic arrivals, reporting — with each field's
unit and a ``source:`` slot to fill in (a reported figure, a published range, or
"assumption" and why). The numbers are placeholders of the right order of magnitude,
small enough that the file runs in seconds; nothing in it describes a real city.
Behavioural parameters (pipeline hazards, durations, logit weights) are left to the
schema defaults, whose reasons ``chainsim schema`` prints.
"""

from __future__ import annotations

import argparse
import re
import string
from importlib import resources
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "new",
        help="write a commented, valid starting scenario for another city",
        description="Write NAME.yaml (or --out FILE): every section a city needs, each field with its unit "
        "and a source slot to fill in; placeholder values that run in seconds.",
    )
    p.add_argument("name", help="the scenario's name (a letter, then letters, digits, _ or -)")
    p.add_argument("--out", type=Path, default=None, help="the file to write (default NAME.yaml here)")
    p.set_defaults(handler=run_new)


def run_new(args: argparse.Namespace) -> int:
    path = write_template(args.name, args.out or Path(f"{args.name}.yaml"))
    print(
        f"wrote {path}: fill in its values and sources, then `chainsim validate {path}` and `chainsim run {path}`"
    )
    return 0


#: the template file (package data): ``$name`` and ``$file`` are filled in
TEMPLATE = "templates/new_city.yaml"


def write_template(name: str, path: Path) -> Path:
    """Write the starting scenario for city ``name`` to ``path`` (refusing to overwrite)."""
    from chainsim.config.loader import ScenarioError

    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_\-]{0,60}", name):
        raise ScenarioError(
            f"{name!r}: a scenario name is a letter, then letters, digits, '_' or '-' (at most 61 characters)"
        )
    if path.exists():
        raise ScenarioError(f"{path}: exists; choose another --out or delete it first", path)
    if not path.parent.is_dir():
        raise ScenarioError(f"{path.parent}: no such directory", path)
    template = resources.files("chainsim.config").joinpath(TEMPLATE).read_text(encoding="utf-8")
    text = string.Template(template).substitute(name=name, file=path.name)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path

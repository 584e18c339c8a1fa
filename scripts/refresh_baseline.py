"""Regenerate the regression baseline on purpose, and show what moved.

The baseline, ``tests/baseline/kunming_2023.summary.json``, is the summary.json of the
default scenario at its own seed with 4 replicates. ``tests/test_baseline.py`` checks it
exactly: any change to the model's numbers fails that test until the baseline is
refreshed. Refresh only when behaviour is meant to change, and commit the new file in a
commit whose message says why the numbers changed (Starsim and Covasim keep the same habit).

    ./dev baseline             # recompute, print what changed, write the file
    ./dev baseline --check     # recompute and print what changed; write nothing (exit 1 if anything did)
    ./dev baseline --all       # list every changed value, not only the largest

(or ``python scripts/refresh_baseline.py``; it runs this checkout's ``src/``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "kunming_2023.yaml"
REPLICATIONS = 4  # enough for the ci95 percentiles to be real, cheap enough for every test run (~2 s)
BASELINE = ROOT / "tests" / "baseline" / "kunming_2023.summary.json"
# Keys of summary.json not compared. Each must change without any change in behaviour.
IGNORED = {
    "chainsim_version": "the package version: a release changes it, the model's numbers do not",
}
SHOWN = 25  # changes listed by default, largest first


def compute() -> dict[str, Any]:
    """summary.json of the default scenario (its own seed, REPLICATIONS replicates), as the file holds it."""
    import chainsim

    summary = chainsim.run(SCENARIO, replications=REPLICATIONS).summary()
    return json.loads(render(summary))


def render(summary: dict[str, Any]) -> str:
    """The text of summary.json, formatted as ``chainsim run --out`` writes it."""
    return json.dumps(summary, indent=2, ensure_ascii=False) + "\n"


def read_baseline(path: Path = BASELINE) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Change:
    key: str  # dotted path, list items as [i]
    old: Any  # a missing key is reported with old or new = MISSING
    new: Any

    def relative(self) -> float:
        """|new - old| / |old| for numbers (inf from 0 or for other changes): the sort key."""
        if _is_number(self.old) and _is_number(self.new):
            if self.old == 0 or math.isnan(self.old) or math.isnan(self.new):
                return math.inf
            return abs(self.new - self.old) / abs(self.old)
        return math.inf

    def describe(self) -> str:
        if self.old is MISSING:
            return f"{self.key}: added ({_show(self.new)})"
        if self.new is MISSING:
            return f"{self.key}: removed (was {_show(self.old)})"
        line = f"{self.key}: {_show(self.old)} → {_show(self.new)}"
        if _is_number(self.old) and _is_number(self.new) and type(self.old) is type(self.new):
            delta = self.new - self.old
            line += f"  ({delta:+.6g}" + (f", {delta / self.old:+.2%})" if self.old else ")")
        elif type(self.old) is not type(self.new):
            line += f"  (type {type(self.old).__name__} → {type(self.new).__name__})"
        return line


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _show(x: Any) -> str:
    text = json.dumps(x, ensure_ascii=False) if not isinstance(x, float) else repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def _same(a: Any, b: Any) -> bool:
    """Exact equality of two JSON leaves: same type, same value (NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def differences(old: Any, new: Any, key: str = "") -> list[Change]:
    """Every leaf of two parsed summary.json trees that differs (IGNORED top-level keys skipped)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in [*old, *(k for k in new if k not in old)]:
            if not key and k in IGNORED:
                continue
            here = f"{key}.{k}" if key else str(k)
            out += differences(old.get(k, MISSING), new.get(k, MISSING), here)
        return out
    if isinstance(old, list) and isinstance(new, list):
        out = []
        for i in range(max(len(old), len(new))):
            a = old[i] if i < len(old) else MISSING
            b = new[i] if i < len(new) else MISSING
            out += differences(a, b, f"{key}[{i}]")
        return out
    return [] if _same(old, new) else [Change(key, old, new)]


def leaves(tree: Any) -> int:
    """How many leaf values a parsed JSON tree holds (for the '12 of 803 values' line)."""
    if isinstance(tree, dict):
        return sum(leaves(v) for v in tree.values())
    if isinstance(tree, list):
        return sum(leaves(v) for v in tree)
    return 1


def report(changes: list[Change], total: int, shown: int | None = SHOWN) -> str:
    """A short account of what moved: the count, then the largest relative changes first."""
    if not changes:
        return f"no change: all {total} values equal"
    ordered = sorted(changes, key=lambda c: (-c.relative(), c.key))
    cut = ordered if shown is None else ordered[:shown]
    lines = [f"{len(changes)} of {total} values changed (largest relative change first):"]
    lines += [f"  {c.describe()}" for c in cut]
    if len(cut) < len(ordered):
        lines.append(f"  ... and {len(ordered) - len(cut)} more (--all lists them)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="show what would change; write nothing")
    parser.add_argument("--all", action="store_true", help="list every changed value")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))  # this checkout's chainsim, not another one installed

    new = compute()
    rel = BASELINE.relative_to(ROOT)
    if BASELINE.exists():
        changes = differences(read_baseline(), new)
        print(f"{rel}: {report(changes, leaves(new), None if args.all else SHOWN)}")
    else:
        changes = [Change("(file)", MISSING, "new")]
        print(f"{rel}: no baseline yet")
    if args.check:
        return 1 if changes else 0
    BASELINE.parent.mkdir(parents=True, exist_ok=True)
    text = render(new)
    if BASELINE.exists() and BASELINE.read_text(encoding="utf-8") == text:
        print(f"{rel} left as it is")
        return 0
    BASELINE.write_text(text, encoding="utf-8")
    if changes:
        print(f"wrote {rel}: commit it in a commit whose message says why behaviour changed")
    else:
        print(f"wrote {rel}: only fields that are not compared changed ({', '.join(IGNORED)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

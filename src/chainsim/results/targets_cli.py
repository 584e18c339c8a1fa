"""`chainsim targets [SCENARIO]`: the reported figures a scenario reproduces — each
target's replicate mean against its tolerance (:mod:`chainsim.calibration.check`),
printed bilingually and written as targets.json and targets.csv."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

DEFAULT_SCENARIO = "scenarios/kunming_2023.yaml"
DEFAULT_TARGETS = "calibration/targets/kunming_2023.yaml"


def add_parser(sub: argparse._SubParsersAction) -> None:
    from chainsim.cli import positive_int

    p = sub.add_parser(
        "targets", help="check a scenario against the reported figures: replicate means within tolerance"
    )
    p.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                   help=f"scenario YAML file (default {DEFAULT_SCENARIO})")  # fmt: skip
    p.add_argument("--targets", type=Path, default=Path(DEFAULT_TARGETS),
                   help=f"targets file (default {DEFAULT_TARGETS})")  # fmt: skip
    p.add_argument("--replications", "-r", type=positive_int, default=20, help="replicates (default 20)")
    p.add_argument("--seed", type=int, default=None, help="root seed (default: the scenario's)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario field (repeatable)")  # fmt: skip
    p.add_argument("--out", type=Path, default=None, help="write targets.json and targets.csv here")
    p.add_argument("--force", action="store_true", help="replace chainsim's own files in a non-empty --out")
    p.add_argument("--json", action="store_true", help="print targets.json to stdout instead of the table")
    p.set_defaults(handler=run_targets)


def run_targets(args: argparse.Namespace) -> int:
    from chainsim import limits
    from chainsim.calibration.check import check
    from chainsim.cli import _check_out, _Progress
    from chainsim.config.loader import ScenarioError

    limits.at_most("--replications", args.replications, limits.MAX_REPLICATIONS)
    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise ScenarioError(f"--seed {args.seed}: must be a whole number from 0 to 2**63 - 1")
    if args.out is not None:
        _check_out(args.out, args.force)
    c = check(args.scenario, args.targets, args.replications, args.seed, args.overrides, _Progress("targets"))
    if args.out is not None:
        write(args.out, c)
    if args.json:
        print(json.dumps(c.to_dict(), indent=2, ensure_ascii=False))
    else:
        show(c)
    return 0


def write(out: Path, c) -> None:  # noqa: ANN001 - a TargetCheck
    from chainsim.calibration.check import CHECK_FILES
    from chainsim.results.outdir import atomic_write, clean_tmp, write_marker

    out.mkdir(parents=True, exist_ok=True)
    write_marker(out, "targets", CHECK_FILES)
    clean_tmp(out, CHECK_FILES)
    text = json.dumps(c.to_dict(), indent=2, ensure_ascii=False) + "\n"
    atomic_write(out / "targets.json", lambda p: p.write_text(text, encoding="utf-8"))
    atomic_write(out / "targets.csv", lambda p: c.to_csv(p))


def _num(x: float) -> str:
    if not math.isfinite(x):
        return "—"
    return f"{x:,.4g}" if abs(x) < 10 else f"{x:,.1f}"


def show(c) -> None:  # noqa: ANN001 - a TargetCheck
    from chainsim.vocabulary import label

    def both(key: str, **fmt: object) -> str:
        return f"{label(key, 'en', **fmt)} · {label(key, 'zh', **fmt)}"

    print(f"chainsim targets · {c.scenario} · seed {c.seed} · {c.replications} replicates · {c.targets_file}")
    print(both("word.targets_model"))
    head = [f"{label(k, 'en')} {label(k, 'zh')}" for k in ("word.target", "word.model", "word.tolerance")]
    print(
        f"\n{label('word.figure', 'en'):60s} FACTS {head[0]:>16s} {head[1]:>30s} {head[2]:>14s}  {label('word.figure', 'zh')}"
    )
    for r in c.rows:
        ci = "" if not math.isfinite(r.ci95_low) else f" [{_num(r.ci95_low)}, {_num(r.ci95_high)}]"
        unit = "" if r.unit in ("ratio", "share") else f" {r.unit}"
        print(
            f"{r.label_en[:60]:60s} {r.facts:5s} {_num(r.value) + unit:>16s} {_num(r.mean) + ci:>30s} "
            f"{'±' + _num(r.tolerance):>14s}  {'✓' if r.within else '✗'}  {r.label_zh}"
        )
    print("\n" + both("word.within_tolerance", n=c.within, total=len(c.rows)))

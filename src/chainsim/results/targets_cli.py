"""`chainsim targets [SCENARIO]`: the reported figures a scenario reproduces — each
target's replicate mean against its tolerance (:mod:`chainsim.calibration.check`),
printed bilingually and written as targets.json and targets.csv."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from chainsim.results.runopts import add_run_options, check_run_options, finish

DEFAULT_SCENARIO = "scenarios/kunming_2023.yaml"
DEFAULT_TARGETS = "calibration/targets/kunming_2023.yaml"


def add_parser(sub: argparse._SubParsersAction) -> None:

    p = sub.add_parser(
        "targets", help="check a scenario against the reported figures: replicate means within tolerance"
    )
    p.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                   help=f"scenario YAML file (default {DEFAULT_SCENARIO})")  # fmt: skip
    p.add_argument("--targets", type=Path, default=Path(DEFAULT_TARGETS),
                   help=f"targets file (default {DEFAULT_TARGETS})")  # fmt: skip
    add_run_options(p, "targets.json and targets.csv")
    p.set_defaults(handler=run_targets)


def run_targets(args: argparse.Namespace) -> int:
    from chainsim.calibration.check import check
    from chainsim.cli import _Progress

    check_run_options(args)
    c = check(args.scenario, args.targets, args.replications, args.seed, args.overrides, _Progress("targets"))
    return finish(args, c, write, show)


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
    if c.replications > 1:
        loud = sorted(c.rows, key=lambda r: -r.noise_ratio if math.isfinite(r.noise_ratio) else 0)[:3]
        print(
            both("word.targets_noise", noise=f"{c.noise:.0f}", k=len(c.rows))
            + " ("
            + ", ".join(f"{r.id} {r.noise_ratio:.0f}" for r in loud)
            + ")"
        )

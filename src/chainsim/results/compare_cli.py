"""`chainsim compare A.yaml B.yaml`: what B changes against A, paired under common random
numbers (:mod:`chainsim.results.compare`), printed bilingually and written as compare.json
and compare.csv."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from chainsim.results.runopts import add_run_options, check_run_options, finish

COMPARE_FILES = ("compare.json", "compare.csv")
SHOWN = ("signings", "signing_value_yi", "signings_ge_10yi", "funds_in_place_yi", "fdi_usd_yi", "landed")


def add_parser(sub: argparse._SubParsersAction) -> None:

    p = sub.add_parser(
        "compare", help="compare two scenarios: paired differences under common random numbers"
    )
    p.add_argument("a", help="scenario A (the reference), e.g. scenarios/kunming_2023.yaml")
    p.add_argument("b", help="scenario B (the change)")
    add_run_options(p, "compare.json and compare.csv", "override a field in both A and B")
    p.add_argument("--set-b", dest="overrides_b", action="append", default=[], metavar="KEY=VALUE",
                   help="override a field in B only (repeatable): compare a scenario with a variant of itself")  # fmt: skip
    p.set_defaults(handler=run_compare)


def run_compare(args: argparse.Namespace) -> int:
    from chainsim.results.compare import compare

    check_run_options(args)
    c = compare(
        args.a, args.b, args.replications, args.seed, args.overrides, [*args.overrides, *args.overrides_b]
    )
    return finish(args, c, write, show)


def write(out: Path, c) -> None:  # noqa: ANN001 - a Comparison
    from chainsim.results.outdir import atomic_write, clean_tmp, write_marker

    out.mkdir(parents=True, exist_ok=True)
    write_marker(out, "compare", COMPARE_FILES)
    clean_tmp(out, COMPARE_FILES)
    atomic_write(
        out / "compare.json",
        lambda p: p.write_text(
            json.dumps(c.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        ),
    )
    atomic_write(out / "compare.csv", lambda p: c.to_csv(p))


def show(c) -> None:  # noqa: ANN001 - a Comparison
    from chainsim.results.texttable import text_table
    from chainsim.vocabulary import label

    print(f"chainsim compare · A = {c.a_name} · B = {c.b_name} · seed {c.seed} · {c.replications} replicates")
    key = "word.compare_interval" if c.paired else "word.compare_interval_unpaired"
    print(label(key, "en") + " · " + label(key, "zh"))
    if not c.paired:
        why = "word.compare_why_unpaired"
        print(
            label(why, "en").format(why=c.why_unpaired) + " · " + label(why, "zh").format(why=c.why_unpaired)
        )
    periods = list(dict.fromkeys(r.path.split(".")[1] for r in c.rows if r.path.startswith("periods.")))
    rows: list[list[str]] = []
    for period in periods:
        rows.append([f"{period}"])
        for m in SHOWN:
            r = c.row(f"periods.{period}.{m}")
            ci = "" if math.isnan(r.ci95_low) else f"[{r.ci95_low:,.2f}, {r.ci95_high:,.2f}]"
            rows.append(
                [f"  {r.label_en} · {r.label_zh}", f"{r.a:,.2f}", f"{r.b:,.2f}", f"{r.diff:+,.2f}", ci]
            )
    head = [label("word.indicator", "en") + " · " + label("word.indicator", "zh"), "A", "B", "B − A", "95 %"]
    print("\n".join(text_table(head, rows, label_width=64)))

"""Writing results to disk (atomically) and printing the readable summary."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import yaml

from chainsim.config.schema import Scenario
from chainsim.results.outdir import atomic_write
from chainsim.results.summary import Results
from chainsim.results.texttable import text_table
from chainsim.vocabulary import capital, metric_term, source_term, term

__all__ = ["INDICATORS", "RUN_FILES", "atomic_write", "print_summary", "resolved_yaml", "write_outputs"]

#: the indicators the summary prints, in order; True: an indented part of the row above
INDICATORS = [
    ("signings", False),
    ("signing_value_yi", False),
    ("signings_ge_10yi", False),
    ("industrial_signings_ge_1yi", False),
    ("industrial_signing_value_yi", True),
    ("funds_in_place_yi", False),
    ("industrial_funds_in_place_yi", True),
    ("fdi_usd_yi", False),
    ("landed", False),
    ("producing", False),
    ("city_leader_trips", False),
    ("county_leader_trips", False),
]


def _row_labels() -> list[str]:
    """The printed label of each indicator, e.g. "Signing value (亿元) 签约金额"; an indented
    part shows its unit only if the row above has another one ("  their value (亿元) 协议总投资",
    "  of which industrial 工业项目到位资金")."""
    out, above = [], ""
    for metric, part in INDICATORS:
        t = metric_term(metric)
        if part:
            out.append(f"  {t.text('en', short=True, unit=t.unit != above)} {t.text('zh', short=True)}")
        else:
            out.append(t.both(" ", unit=True, cap=True))
            above = t.unit
    return out


#: the files ``chainsim run --out`` writes
RUN_FILES = ("summary.json", "timeseries.parquet", "scenario.resolved.yaml")


def write_outputs(
    out: Path, results: Results, summary: dict[str, Any], written: list[Path] | None = None
) -> list[Path]:
    """Write the three output files, each atomically; ``written`` collects those done
    (so an interrupted caller can say what was saved)."""
    from chainsim.results.outdir import clean_tmp, write_marker

    written = [] if written is None else written
    out.mkdir(parents=True, exist_ok=True)
    write_marker(out, "run", RUN_FILES)  # first: these files are chainsim's, --force may replace them
    clean_tmp(out, RUN_FILES)  # left by a writer killed between its write and its rename
    files = {
        "summary.json": lambda p: p.write_text(
            json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        ),
        "timeseries.parquet": lambda p: pq.write_table(results.timeseries(), p),
        "scenario.resolved.yaml": lambda p: p.write_text(resolved_yaml(results.config), encoding="utf-8"),
    }
    for name, write in files.items():
        atomic_write(out / name, write)
        written.append(out / name)
    return written


def resolved_yaml(cfg: Scenario) -> str:
    header = (
        "# The full configuration after extends: and --set (chainsim run). Runs as a scenario on its own.\n"
    )
    return header + yaml.safe_dump(
        cfg.model_dump(mode="json"), sort_keys=False, allow_unicode=True, width=120
    )


def _fmt(x: float | None) -> str:
    if x is None:
        return "–"
    ax = abs(x)
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def _cell(stat: dict[str, Any]) -> str:
    lo, hi = stat["ci95"]
    if lo == hi:
        return _fmt(stat["mean"])
    return f"{_fmt(stat['mean'])} [{_fmt(lo)}–{_fmt(hi)}]"


def print_summary(s: dict[str, Any], cfg: Scenario, show: Callable[[str], None] = print) -> None:
    """The readable summary: indicators by period, sources, cohorts, events, durations."""
    periods = list(s["periods"])
    r = s["replications"]
    word = {k: term(f"word.{k}") for k in ("indicator", "mean_over_replicates", "interval", "by_source")}
    show(
        f"chainsim {s['chainsim_version']} · scenario '{s['scenario']}' · seed {s['seed']} · {r} replicate{'s' if r > 1 else ''}"
        f" · config {s['config_hash']}"
    )
    mean, interval = word["mean_over_replicates"], word["interval"]
    show(
        capital(mean.en)
        + (f" [{interval.en}]" if r > 1 else "")
        + f". {mean.zh}"
        + (f"[{interval.zh}]" if r > 1 else "")
    )
    show("")
    rows = [
        [text, *(_cell(s["periods"][p][metric]) for p in periods)]
        for (metric, _), text in zip(INDICATORS, _row_labels(), strict=True)
    ]
    rows.append([word["by_source"].both(" ", cap=True) + ":"])
    sources = list(s["periods"][periods[0]]["signings_by_source"]) if periods else []
    for src in sources:  # those in the summary, with any a registered strategy added
        zh = source_term(src).zh  # an unknown source's is its key: print that once
        by_source = (_cell(s["periods"][p]["signings_by_source"][src]) for p in periods)
        rows.append([f"  {src}" + ("" if zh == src else f" {zh}"), *by_source])
    for line in text_table([word["indicator"].both(" ", cap=True), *periods], rows):
        show(line)
    _growth_lines(s, show)
    cohort, rate = term("word.cohort"), metric_term("landing_rate")
    signed, landed = metric_term("signed").en, metric_term("landed").short_en
    for name, c in s["cohorts"].items():
        show(
            f"\n{capital(cohort.en)} {name} {cohort.zh} (≥ {c['filter']['min_value_yi']} 亿, as of {c['as_of']}): "
            f"{signed} {_cell(c['signed'])}, {landed} {_cell(c['landed'])}, {rate.both(' ')} {_pct(c['landing_rate'])}"
        )
        if "fixed_asset_signed" in c:  # S5: the fixed-asset part and its production
            fixed, fixed_rate = metric_term("fixed_asset_signed"), metric_term("fixed_asset_producing_rate")
            show(
                f"  {fixed.both(' ')} {_cell(c['fixed_asset_signed'])}, "
                f"{fixed_rate.both(' ')} {_pct(c['fixed_asset_producing_rate'])}"
            )
    if s["events"]:
        show(f"\n{term('strategy.events').both(' ', short=True, cap=True)}:")
        for eid, e in s["events"].items():
            ev = cfg.events[eid]
            agreements = term("word.agreements").both(" ")
            contracts, framework = metric_term("project_signings"), metric_term("framework_agreements")
            show(
                f"  {e['date']} {ev.name_en} {ev.name_zh}: {_cell(e['signings'])} {agreements}, "
                f"{_cell(e['signing_value_yi'])} 亿元 ({contracts.both(' ', short=True)} "
                f"{_cell(e['project_signings'])}, {framework.both(' ', short=True)} {_cell(e['framework_agreements'])})"
            )
    show(f"\n{term('word.durations').both(' ', cap=True)}:")
    steps = [
        metric_term(k)
        for k in ("signing_to_land_days", "signing_to_production_days", "construction_to_production_days")
    ]
    for group, d in s["durations"].items():
        extra = [metric_term("signing_to_service_days")] if "signing_to_service_days" in d else []
        show(
            f"  {group} {term(f'group.{group}').zh}: "
            + ", ".join(f"{m.short_en} {_cell(d[m.name])}" for m in steps + extra)
        )
    land = metric_term("signing_to_land_days")
    show(f"  {land.short_en} {term('word.by_size').both(' ')}:")
    for cls, d in s.get("durations_by_size", {}).items():
        size = term(f"size.{cls}").both(" ")
        show(f"    {size}: {_cell(d['commissioned'][land.name])} / {_cell(d['other'][land.name])}")


def _pct(stat: dict[str, Any]) -> str:
    if stat["mean"] is None:
        return "–"
    lo, hi = stat["ci95"]
    return f"{100 * stat['mean']:.1f} %" + ("" if lo == hi else f" [{100 * lo:.1f}–{100 * hi:.1f}]")


def _growth_lines(s: dict[str, Any], show: Callable[[str], None]) -> None:
    p = s["periods"]
    pairs = [
        (a, b)
        for a in p
        for b in p
        if a[:4].isdigit() and b[:4].isdigit() and a[4:] == b[4:] and int(a[:4]) == int(b[:4]) + 1
    ]
    for now, before in pairs:
        parts = []
        for metric in ("funds_in_place_yi", "fdi_usd_yi"):
            label = f"{metric_term(metric).en} {metric_term(metric).short_zh}"
            b = p[before][metric]["mean"]
            if b:
                parts.append(f"{label} {100 * (p[now][metric]['mean'] / b - 1):+.1f} %")
        if parts:
            show(f"{term('word.year_on_year').both(' ', cap=True)} {now} vs {before}: " + ", ".join(parts))

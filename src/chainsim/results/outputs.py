"""Writing results to disk (atomically) and printing the readable summary."""

from __future__ import annotations

import json
import os
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import yaml

from chainsim.config.schema import Scenario
from chainsim.results.summary import Results
from chainsim.vocabulary import SOURCE_NAMES, SOURCE_ZH

INDICATORS = [  # (metric, English, Chinese)
    ("signings", "Signings", "签约项目"),
    ("signing_value_yi", "Signing value (亿元)", "签约金额"),
    ("signings_ge_10yi", "Signings ≥ 10 亿", "10亿元以上项目"),
    ("industrial_signings_ge_1yi", "Industrial signings ≥ 1 亿", "亿元以上工业和信息化项目"),
    ("industrial_signing_value_yi", "  their value (亿元)", "协议总投资"),
    ("funds_in_place_yi", "Funds in place (亿元)", "省外产业到位资金"),
    ("industrial_funds_in_place_yi", "  of which industrial", "工业项目到位资金"),
    ("fdi_usd_yi", "Foreign capital (亿美元)", "实际利用外资"),
    ("landed", "Landed (broke ground)", "落地(开工)项目"),
    ("producing", "Started production", "投产项目"),
    ("city_leader_trips", "City-leader trips", "市领导外出招商"),
    ("county_leader_trips", "County-leader trips", "县区领导外出招商"),
]


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


def write_outputs(
    out: Path, results: Results, summary: dict[str, Any], written: list[Path] | None = None
) -> list[Path]:
    """Write the three output files, each atomically; ``written`` collects those done
    (so an interrupted caller can say what was saved)."""
    written = [] if written is None else written
    out.mkdir(parents=True, exist_ok=True)
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


def _width(text: str) -> int:
    """Display width: CJK characters take two terminal columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _ljust(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


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
    periods = list(s["periods"])
    r = s["replications"]
    show(
        f"chainsim {s['chainsim_version']} · scenario '{s['scenario']}' · seed {s['seed']} · {r} replicate{'s' if r > 1 else ''}"
        f" · config {s['config_hash']}"
    )
    show(
        "Mean over replicates"
        + (" [95 % interval]" if r > 1 else "")
        + ". 指标均值"
        + ("[95%区间]" if r > 1 else "")
    )
    label_w = 56
    col_w = max(22 if r > 1 else 10, *(len(p) for p in periods))
    show("")
    show(_ljust("Indicator 指标", label_w) + "".join(p.rjust(col_w + 2) for p in periods))
    for metric, en, zh in INDICATORS:
        row = _ljust(f"{en} {zh}", label_w)
        show(row + "".join(_cell(s["periods"][p][metric]).rjust(col_w + 2) for p in periods))
    show("Signings by source 签约来源:")
    zh_of = dict(zip(SOURCE_NAMES, SOURCE_ZH))
    sources = next(iter(s["periods"].values()))["signings_by_source"] if periods else {}
    for src in sources:  # the run's sources: the built-ins, then any other registered strategy's
        zh = zh_of.get(src, "")
        show(
            _ljust(f"  {src} {zh}", label_w)
            + "".join(_cell(s["periods"][p]["signings_by_source"][src]).rjust(col_w + 2) for p in periods)
        )
    _growth_lines(s, show)
    for name, c in s["cohorts"].items():
        show(
            f"\nCohort {name} 签约批次 (≥ {c['filter']['min_value_yi']} 亿, as of {c['as_of']}): "
            f"signed {_cell(c['signed'])}, landed {_cell(c['landed'])}, landing rate 落地率 {_pct(c['landing_rate'])}"
        )
    if s["events"]:
        show("\nEvents 招商活动:")
        for eid, e in s["events"].items():
            ev = cfg.events[eid]
            show(
                f"  {e['date']} {ev.name_en} {ev.name_zh}: {_cell(e['signings'])} signings, {_cell(e['signing_value_yi'])} 亿元"
            )
    show("\nMedian stage durations, days 阶段耗时中位数(天):")
    for group, zh in (("commissioned", "有首席服务专员"), ("other", "其他项目")):
        d = s["durations"][group]
        show(
            f"  {group} {zh}: signing→land {_cell(d['signing_to_land_days'])}, signing→production "
            f"{_cell(d['signing_to_production_days'])}, construction→production {_cell(d['construction_to_production_days'])}"
        )


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
        for metric, label in (
            ("funds_in_place_yi", "funds in place 到位资金"),
            ("fdi_usd_yi", "foreign capital 外资"),
        ):
            b = p[before][metric]["mean"]
            if b:
                parts.append(f"{label} {100 * (p[now][metric]['mean'] / b - 1):+.1f} %")
        if parts:
            show(f"Year on year 同比 {now} vs {before}: " + ", ".join(parts))

"""Terms of summary.json paths: a metric's term with its period, cohort, group or event."""

from __future__ import annotations

import re
from dataclasses import replace

from chainsim.vocabulary.codes import source_term
from chainsim.vocabulary.core import Term, known, metric_term, term


def _period(name: str) -> str:
    return name.replace("_", "–") if name.replace("_", "").isdigit() else name


def outcome_term(path: str) -> Term:
    """The term of a summary.json path, e.g. ``periods.2023_2025.funds_in_place_yi`` →
    "funds in place 2023–2025" · 省外产业到位资金 (亿元)."""
    parts = path.split(".")
    name = parts[-1]
    m = metric_term(name) if known(f"metric.{name}") else Term(path, name.replace("_", " "), "")
    if parts[0] == "periods" and len(parts) >= 3:
        if parts[2] == "signings_by_source":
            s = source_term(parts[-1])
            return Term(path, f"signings from {s.en} {_period(parts[1])}", f"{s.zh}签约")
        return Term(path, f"{m.en} {_period(parts[1])}", m.zh, m.unit)
    if parts[0] == "cohorts" and len(parts) >= 3:
        cohort = parts[1].replace("_ge_10yi", " ≥ 10 亿")
        zh = re.sub(r"^(\d{4})", r"\1年", cohort) + "签约批次"  # 2023 ≥ 10 亿 → 2023年 ≥ 10 亿签约批次
        return Term(path, f"{m.en}, {cohort} signings", m.zh and f"{zh}：{m.zh}", m.unit)
    if parts[0] == "durations" and len(parts) >= 3:
        g = term(f"group.{parts[1]}")
        return Term(path, f"{m.en} ({g.en})", m.zh and f"{m.zh}（{g.zh}）", m.unit)
    if parts[0] == "durations_by_size" and len(parts) >= 4:
        g, size = term(f"group.{parts[2]}"), term(f"size.{parts[1]}")
        return Term(path, f"{m.en} ({g.en}, {size.en})", m.zh and f"{m.zh}（{size.zh}，{g.zh}）", m.unit)
    if parts[0] == "events" and len(parts) >= 3:
        return Term(path, f"{m.en}, event {parts[1]}", m.zh and f"{m.zh}（{parts[1]}）", m.unit)
    return replace(m, key=path)


def outcome_label(path: str, zh: bool = True, unit: bool = True) -> str:
    """ "funds in place 2023–2025 (亿元) · 省外产业到位资金" (English only without ``zh``)."""
    t = outcome_term(path)
    text = t.text("en", unit=unit)
    return f"{text} · {t.zh}" if zh and t.zh else text

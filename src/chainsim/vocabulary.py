"""Every word chainsim prints, in English and Chinese: the one home of the terms.

Stages, signing sources, strategies, reforms, indicators and the words of the summary,
report, analysis and dashboard are :class:`Term` s under a dotted key (``kind.name``, e.g.
``metric.funds_in_place_yi``, ``source.anchor_referral``, ``ui.run``). Look them up at
call time with :func:`term` or :func:`label`; an unknown key falls back to its bare name,
so a label is never missing and a lookup never crashes. Chinese terms follow the source
article's wording (docs/reference/FACTS.md) where it has one.

A promotion strategy added at run time adds its signing source with
:func:`register_source`: ``SOURCE_NAMES`` grows in place (codes are list indices, the
built-ins first in :class:`Source` order), so code that reads it when it runs sees the
new source; :func:`source_names` returns a copy of the current list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Literal

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")


@dataclass(frozen=True, slots=True)
class Term:
    """One concept: its key, English (lower case as in running text) and Chinese."""

    key: str  # "kind.name"
    en: str
    zh: str
    unit: str = ""  # 亿元, 亿美元, days …
    short_en: str = ""  # chart legends and indented rows; defaults to en
    short_zh: str = ""
    abbr: str = ""  # one-letter mark (strategies in the report's arm labels)

    @property
    def name(self) -> str:
        return self.key.partition(".")[2] or self.key

    def text(self, lang: Lang = "en", *, short: bool = False, unit: bool = False) -> str:
        """The term in ``lang``; ``unit`` appends " (亿元)" / "（亿元）"."""
        if lang == "zh":
            s = (short and self.short_zh) or self.zh
            return f"{s}（{self.unit}）" if unit and self.unit else s
        s = (short and self.short_en) or self.en
        return f"{s} ({self.unit})" if unit and self.unit else s

    def both(self, sep: str = " · ", *, short: bool = False, unit: bool = False, cap: bool = False) -> str:
        """English, then Chinese (once, if they are the same)."""
        en = self.text("en", short=short, unit=unit)
        en = capital(en) if cap else en
        return en if self.zh in ("", self.en) else f"{en}{sep}{self.text('zh', short=short)}"


def capital(text: str) -> str:
    """First letter upper case (``str.capitalize`` would lower the rest)."""
    return text[:1].upper() + text[1:]


_TERMS: dict[str, Term] = {}


def _t(key: str, en: str, zh: str, **more: str) -> Term:
    if key in _TERMS:
        raise ValueError(f"vocabulary: {key} defined twice")
    _TERMS[key] = Term(key, en, zh, **more)
    return _TERMS[key]


def term(key: str) -> Term:
    """The term of ``key``; an unknown key gives a term whose en and zh are its bare name."""
    found = _TERMS.get(key)
    if found is not None:
        return found
    name = key.partition(".")[2] or key
    return Term(key, name, name)


def label(key: str, lang: Lang = "en", /, *, short: bool = False, unit: bool = False, **fmt: object) -> str:
    """The text of ``key`` in ``lang``, formatted with ``fmt`` (dashboard phrases have fields)."""
    text = term(key).text(lang, short=short, unit=unit)
    return text.format(**fmt) if fmt else text


def known(key: str) -> bool:
    return key in _TERMS


def terms(kind: str | None = None) -> list[Term]:
    """Every term, or those of one kind ("stage", "source", "metric", "ui" …), in definition order."""
    return [t for k, t in _TERMS.items() if kind is None or k.partition(".")[0] == kind]


# --------------------------------------------------------------------------- stages
class Stage(IntEnum):
    """Pipeline stages (MODEL.md); ``LOST`` is reachable from every stage before ``PRODUCING``."""

    POOL = 0
    CONTACTED = 1
    NEGOTIATING = 2
    SIGNED = 3
    REGISTERED = 4
    LAND = 5
    CONSTRUCTION = 6
    PRODUCING = 7
    LOST = 8


STAGE_NAMES = [s.name.lower() for s in Stage]
_STAGE_TERMS = [
    _t("stage.pool", "pool", "候选池"),
    _t("stage.contacted", "contacted", "已接洽"),
    _t("stage.negotiating", "negotiating", "洽谈中"),
    _t("stage.signed", "signed", "已签约"),
    _t("stage.registered", "registered", "已注册"),
    _t("stage.land", "got land", "已拿地"),
    _t("stage.construction", "building", "在建"),
    _t("stage.producing", "producing", "已投产"),
    _t("stage.lost", "lost", "流失"),
]
assert [t.name for t in _STAGE_TERMS] == STAGE_NAMES
STAGE_ZH = [t.zh for t in _STAGE_TERMS]  # engine.firms re-exports it; prefer stage_term()


def stage_term(stage: int | str) -> Term:
    """A stage's term from its code or name."""
    if isinstance(stage, str):
        return term(f"stage.{stage}")
    return _STAGE_TERMS[stage] if 0 <= stage < len(_STAGE_TERMS) else term(f"stage.{stage}")


# --------------------------------------------------------------------------- signing sources
class Source(IntEnum):
    """What brought a signing: exactly one per signing (the built-ins; more via register_source)."""

    NONE = -1
    LEADER_TRIP = 0
    EVENT = 1
    CHAIN_GROUP = 2
    ANCHOR_REFERRAL = 3
    ORGANIC = 4


_SOURCE_TERMS = [
    # 领导外出招商, not 领导招商 (the strategy, which also holds events): the source is the trip itself
    _t("source.leader_trip", "leader trips", "领导外出招商"),
    _t("source.event", "events", "推介活动"),
    # the chain-based strategy's groups, as in every table before; FACTS F10 says 产业(专项)招商组 (by sector)
    _t("source.chain_group", "sector groups", "产业链招商组"),
    # 龙头企业引荐, not 以商招商 (any investor bringing others): here a producing anchor firm
    # refers its own suppliers and buyers, F10's "龙头企业+市级部门+区县"
    _t("source.anchor_referral", "anchor referrals", "龙头企业引荐"),
    # 自主来访, not 自发: the firm approached the city without being contacted
    _t("source.organic", "organic arrivals", "自主来访"),
]
SOURCE_NAMES = [t.name for t in _SOURCE_TERMS]  # grows in place: see register_source
SOURCE_ZH = [t.zh for t in _SOURCE_TERMS]  # grows with it (engine.firms re-exports it; prefer source_term())
assert SOURCE_NAMES == [s.name.lower() for s in Source if s >= 0]
_SOURCE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def register_source(key: str, en: str, zh: str) -> int:
    """Add a signing source (a strategy registered at run time); its code, its index in SOURCE_NAMES.

    Registering the same key with the same labels again returns the same code; the same
    key with other labels is an error (two strategies would share one source).
    """
    if not isinstance(key, str) or not _SOURCE_KEY.match(key):
        raise ValueError(f"source key {key!r}: lower-case letters, digits and _, starting with a letter")
    if not (isinstance(en, str) and en.strip() and isinstance(zh, str) and zh.strip()):
        raise ValueError(f"source {key!r}: give an English and a Chinese label")
    if key in SOURCE_NAMES:
        code = SOURCE_NAMES.index(key)
        old = _SOURCE_TERMS[code]
        if (old.en, old.zh) != (en, zh):
            raise ValueError(
                f"source {key!r} is already registered as ({old.en!r}, {old.zh!r}), not ({en!r}, {zh!r})"
            )
        return code
    _SOURCE_TERMS.append(_t(f"source.{key}", en, zh))
    SOURCE_NAMES.append(key)
    SOURCE_ZH.append(zh)
    return len(SOURCE_NAMES) - 1


def unregister_source(key: str) -> None:
    """Remove a source added with :func:`register_source` (never a built-in one); later
    sources' codes move down by one, so build runs after, not during, the change."""
    if key not in SOURCE_NAMES:
        return
    code = SOURCE_NAMES.index(key)
    if code < len(Source) - 1:
        raise ValueError(f"source {key!r} is built in")
    del _TERMS[_SOURCE_TERMS[code].key]
    del _SOURCE_TERMS[code], SOURCE_NAMES[code], SOURCE_ZH[code]


def source_names() -> list[str]:
    """The signing sources now known, built-ins first: a copy."""
    return list(SOURCE_NAMES)


def source_code(key: str) -> int:
    """The code of a source key, or Source.NONE if it is not registered."""
    return SOURCE_NAMES.index(key) if key in SOURCE_NAMES else int(Source.NONE)


def source_term(source: int | str) -> Term:
    """A source's term from its code or key (an unknown one falls back to its key)."""
    if isinstance(source, str):
        return term(f"source.{source}")
    return _SOURCE_TERMS[source] if 0 <= source < len(_SOURCE_TERMS) else term(f"source.{source}")


@contextmanager
def sources_restored() -> Iterator[None]:
    """Undo the sources registered inside the block (for tests that register toy strategies)."""
    n = len(SOURCE_NAMES)
    try:
        yield
    finally:
        for t in _SOURCE_TERMS[n:]:
            del _TERMS[t.key]
        del _SOURCE_TERMS[n:], SOURCE_NAMES[n:], SOURCE_ZH[n:]


# --------------------------------------------------------------------------- strategies and reforms
_t("strategy.leader_led", "leader-led promotion", "“一把手”招商", short_en="leader-led", abbr="L")
_t(
    "strategy.chain_based",
    "chain & precision promotion",
    "产业链招商·精准招商",
    short_en="chain-based",
    short_zh="产业链招商",
    abbr="C",
)
_t(
    "strategy.commissioners",
    "chief service commissioners",
    "首席服务专员",
    short_en="commissioners",
    abbr="S",
)
_t("strategy.events", "promotion events", "推介活动", short_en="events", abbr="E")
_t("strategy.organic", "organic arrivals", "自主来访", short_en="organic", abbr="O")
_t("reform.land_and_build", "build on the day land is acquired", "拿地即开工")
_t("reform.missing_docs", "proceed with documents missing", "容缺办理")
_t("reform.full_agency", "government does all the paperwork", "全程代办")


def strategy_term(name: str) -> Term:
    return term(f"strategy.{name}")


# --------------------------------------------------------------------------- indicators (summary.json)
# metric names are those of summary.json (docs/outputs.md); the Chinese is FACTS' term where it has one
_t("metric.signings", "signings", "签约项目")
_t("metric.signing_value_yi", "signing value", "签约金额", unit="亿元")
_t("metric.signings_ge_10yi", "signings ≥ 10 亿", "10亿元以上重大项目")  # FACTS F6
_t("metric.industrial_signings_ge_1yi", "industrial signings ≥ 1 亿", "亿元以上工业和信息化项目")  # F12a
_t(
    "metric.industrial_signing_value_yi",
    "value of industrial signings ≥ 1 亿",
    "亿元以上工业和信息化项目协议总投资",
    unit="亿元",
    short_en="their value",
    short_zh="协议总投资",
)
_t("metric.industrial_signings_ge_10yi", "industrial signings ≥ 10 亿", "单体10亿元以上工业项目")
# FACTS F2a 引进省外产业到位资金 (domestic money from outside Yunnan), without the verb
_t("metric.funds_in_place_yi", "funds in place", "省外产业到位资金", unit="亿元", short_zh="到位资金")
_t(
    "metric.industrial_funds_in_place_yi",
    "industrial funds in place",
    "工业项目到位资金",
    unit="亿元",
    short_en="of which industrial",
)
_t("metric.fdi_usd_yi", "foreign capital", "实际利用外资", unit="亿美元", short_zh="外资")
# 落地 = entered construction (开工), as in F16
_t("metric.landed", "landed (broke ground)", "落地（开工）项目", short_en="landed", short_zh="落地")
_t("metric.producing", "started production", "投产项目", short_en="producing", short_zh="投产")
_t("metric.city_leader_trips", "city-leader trips", "市领导外出招商")
_t("metric.county_leader_trips", "county-leader trips", "县区领导外出招商")
_t("metric.contacts", "contacts", "接洽")
_t("metric.registered", "registered", "注册")
_t("metric.lost", "lost", "流失")
_t("metric.signed", "signed", "签约数")
_t("metric.landing_rate", "landing rate", "落地率")
_t("metric.producing_rate", "producing rate", "投产率")
_t(
    "metric.signing_to_land_days",
    "signing→land, median",
    "签约→拿地中位天数",
    unit="days",
    short_en="signing→land",
)
_t(
    "metric.signing_to_production_days",
    "signing→production, median",
    "签约→投产中位天数",
    unit="days",
    short_en="signing→production",
)
_t(
    "metric.construction_to_production_days",
    "construction→production, median",
    "开工→投产中位天数",
    unit="days",
    short_en="construction→production",
)
_t("group.commissioned", "served by a commissioner", "有首席服务专员的项目")
_t("group.other", "other projects", "其他项目")


def metric_term(name: str) -> Term:
    return term(f"metric.{name}")


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
    if parts[0] == "events" and len(parts) >= 3:
        return Term(path, f"{m.en}, event {parts[1]}", m.zh and f"{m.zh}（{parts[1]}）", m.unit)
    return replace(m, key=path)


def outcome_label(path: str, zh: bool = True, unit: bool = True) -> str:
    """ "funds in place 2023–2025 (亿元) · 省外产业到位资金" (English only without ``zh``)."""
    t = outcome_term(path)
    text = t.text("en", unit=unit)
    return f"{text} · {t.zh}" if zh and t.zh else text


# --------------------------------------------------------------------------- words of the outputs
# the printed summary (chainsim run)
_t("word.indicator", "indicator", "指标")
_t("word.mean_over_replicates", "mean over replicates", "指标均值")
_t("word.interval", "95 % interval", "95%区间")
_t("word.by_source", "signings by source", "签约来源")
_t("word.year_on_year", "year on year", "同比")
_t("word.cohort", "cohort", "签约批次")
_t("word.durations", "median stage durations, days", "阶段耗时中位数（天）")
_t("word.posterior_draw", "posterior draw", "后验抽样")
# the experiment report (chainsim report)
_t("report.title", "strategy-comparison report", "招商策略比较报告")
_t("report.provenance", "provenance", "来源")
_t("report.how_to_read", "how to read the numbers", "如何阅读")
_t("report.assumptions", "assumptions of these experiments", "实验假设")
_t("report.arm", "arm", "组")
_t("report.arm_means", "arm means", "各组均值")
_t("report.main_effects", "main effects", "主效应")
_t("report.main_effects_title", "main effects of the strategies (on − off)", "策略主效应")
_t("report.interactions", "two-way interactions", "两两交互")
_t("report.switch_off", "what switching one strategy off costs", "单项策略停止的代价")
_t("report.funnel", "pipeline funnel per arm", "各组招商漏斗")
_t("report.effect", "effect", "效应")
_t("report.mean", "mean", "均值")
_t("report.parameter_95", "parameter 95 %", "参数")
_t("report.noise_95", "noise 95 %", "随机")
_t("report.total_95", "total 95 %", "合计")
_t("report.switched", "switched", "单项改变")
_t("report.change_from_2023", "change from the 2023 level", "相对2023年水平的变化")
_t("report.change", "change", "变化")
_t("report.mix", "mix", "组合")
_t("report.on_frontier", "on the frontier", "有效")
_t("report.paired_from_baseline", "paired differences from the baseline mix", "相对基准组合的配对差异")
_t("report.param_band", "parameter uncertainty 95 %", "参数不确定性")
_t("report.total_band", "parameter + noise 95 %", "参数+随机")
_t("report.frontier", "frontier", "有效前沿")
# the sweep analysis (chainsim analyze)
_t("analyze.title", "sweep analysis", "扫描分析")
_t("analyze.noise_share", "replicate-noise share", "重复噪声占比")
_t("analyze.sobol", "Sobol indices", "索博尔指数")
_t("analyze.first_order", "first-order", "一阶")
_t("analyze.total", "total", "总效应")
_t("analyze.factor", "factor", "因素")
_t("analyze.run", "run", "单次运行")
_t("analyze.point_mean", "point mean", "设计点均值")

# --------------------------------------------------------------------------- the dashboard's words
# phrases that name a concept are built from its term, so they cannot drift from it
_SIGN, _VALUE, _FUNDS, _FDI, _LANDED = (
    metric_term(m) for m in ("signings", "signing_value_yi", "funds_in_place_yi", "fdi_usd_yi", "landed")
)
_TRIP, _GROUP, _COMM = source_term("leader_trip"), source_term("chain_group"), term("group.commissioned")
for _key, _en, _zh in [
    # page
    ("title", "chainsim · Kunming investment promotion", "chainsim · 昆明招商引资模拟"),
    ("lang_en", "English", "English"),
    ("lang_zh", "中文", "中文"),
    (
        "not_calibrated",
        "Not yet calibrated: the behavioural parameters are plausible assumptions, not fitted to the "
        "reported figures. Compare shapes, and the differences between runs, not levels.",
        "模型尚未校准：行为参数是有依据的假设，尚未按公开数据拟合。请比较走势和不同设置之间的差异，而非绝对水平。",
    ),
    ("calibrated", "Calibrated scenario ({file}).", "已校准的情景（{file}）。"),
    # run controls
    ("run", "Run", "运行"),
    ("step", "Step", "单步"),
    ("reset", "Reset", "重置"),
    ("speed", "Play speed (steps per second)", "播放速度（每秒步数）"),
    ("step_of", "Step {n} of {total}", "第 {n} 步 / 共 {total} 步"),
    ("week_ending", "week ending {date}", "截至 {date} 的一周"),
    (
        "burn_in_note",
        "The pipeline was warmed up for {n} steps before 1 Jan 2022 (burn-in on the 2022 levers).",
        "2022年1月1日之前已按2022年的政策力度预热 {n} 步，使项目储备处于稳态。",
    ),
    ("finished", "End of the scenario: press Reset to start again.", "情景已运行结束：按“重置”重新开始。"),
    # levers (strategy and reform switches use the strategy.* and reform.* terms)
    ("levers", "Levers (act on Reset)", "政策参数（按“重置”后生效）"),
    (
        "levers_hint",
        "Move a slider or switch, then press Reset: the model is rebuilt with the new values.",
        "调整滑块或开关后按“重置”，模型将按新参数重建。",
    ),
    ("scenario", "Scenario", "情景"),
    ("seed", "Seed", "随机种子"),
    (
        "seed_error",
        "The seed must be a whole number from 0 to 2^63 − 1.",
        "随机种子必须是 0 到 2^63 − 1 之间的整数。",
    ),
    ("leader_trips", f"{capital(_TRIP.en)} ×{{v:g}}", f"{_TRIP.zh} ×{{v:g}}"),
    ("precision", "Precision {v:.0%}", "精准度 {v:.0%}"),
    (
        "precision_note",
        "Precision: share of sector-group contacts aimed at missing links.",
        f"精准度：{_GROUP.zh}接洽中瞄准缺链环节的比例。",
    ),
    ("effort", "Group effort ×{v:g}", "招商组力度 ×{v:g}"),
    ("slots", "Slots {v}", "专员名额 {v}"),
    # the model in use
    ("in_use", "Model in use", "当前模型"),
    (
        "in_use_scenario",
        "scenario {name}, seed {seed}, {pool:,} candidate firms",
        "情景 {name}，随机种子 {seed}，候选企业 {pool:,} 家",
    ),
    (
        "in_use_trips",
        f"{_TRIP.en} planned 2022–23: {{city}} city, {{county}} county",
        f"2022–23年计划{_TRIP.zh}：市级 {{city}} 次，县区级 {{county}} 次",
    ),
    (
        "in_use_chain",
        f"{_GROUP.en}: {{contacts:.1f}} contacts/week, precision {{precision:.2f}}",
        f"{_GROUP.zh}：每周接洽 {{contacts:.1f}} 家，精准度 {{precision:.2f}}",
    ),
    ("in_use_comm", "commissioner slots: {slots}", "首席服务专员名额：{slots}"),
    ("in_use_reforms", "reforms: {reforms}", "改革措施：{reforms}"),
    ("strategy_off", "switched off", "已关闭"),
    ("none", "none", "无"),
    ("command", "Same run from the command line:", "命令行中的同一设置："),
    # indicators
    ("kpi_signings", f"{capital(_SIGN.en)} since 2022", f"2022年以来{_SIGN.zh}"),
    ("kpi_value", capital(_VALUE.text("en", unit=True)), _VALUE.text("zh", unit=True)),
    ("kpi_funds", f"{capital(_FUNDS.en)} this year (亿元)", f"本年{_FUNDS.zh}（亿元）"),
    ("kpi_fdi", f"{capital(_FDI.en)} this year (亿美元)", f"本年{_FDI.zh}（亿美元）"),
    ("kpi_landed", f"{capital(_LANDED.en)} since 2022", f"2022年以来{_LANDED.zh}"),
    ("kpi_trips", f"{capital(_TRIP.en)} (city / county)", f"{_TRIP.zh}（市级 / 县区级）"),
    ("kpi_per_trip", "Leader-trip signings per trip", f"每次{_TRIP.zh}带来的{_SIGN.zh}"),
    ("kpi_served", f"Projects {_COMM.en} now", f"当前{_COMM.zh}"),
    ("kpi_missing", "Missing links (all chains) now", "当前缺链环节（全部产业链）"),
    # views
    ("v_funnel", "Pipeline: firms per stage", "招商漏斗：各阶段企业数"),
    (
        "v_funnel_note",
        "Contacted → producing; “lost” firms dropped out and return to the pool later.",
        "从接洽到投产；“流失”企业退出后过一段时间回到候选池。",
    ),
    ("v_signings", f"{capital(_SIGN.en)} by source (cumulative)", f"累计{_SIGN.zh}（按来源）"),
    ("v_value", f"{capital(_VALUE.en)} by source (亿元)", f"累计{_VALUE.zh}（亿元，按来源）"),
    ("v_funds", capital(_FUNDS.text("en", unit=True)), _FUNDS.text("zh", unit=True)),
    ("v_fdi", capital(_FDI.text("en", unit=True)), _FDI.text("zh", unit=True)),
    (
        "v_funds_note",
        "Cumulative within each year. ◆ reported for H1 2023 (FACTS F2a, F2b); ◇ H1 2022 derived from the "
        "reported growth.",
        "年内累计。◆ 2023年上半年公开数据（FACTS F2a、F2b）；◇ 由同比增速推算的2022年上半年值。",
    ),
    (
        "v_signings_note",
        "Since 1 Jan 2022, coloured by what brought each signing.",
        "2022年1月1日以来，按带来签约的渠道着色。",
    ),
    ("v_cohort", "Landing rate by signing quarter", "各季度签约项目落地率"),
    (
        "v_cohort_note",
        "Share of the quarter's signings that landed (broke ground, 落地 = 开工) so far; ● major projects "
        "≥ {major:g} 亿元. Black marks: F16, 86.97 % of 2022's major projects had landed by mid-2023.",
        "该季度签约项目中至今已落地（开工）的比例；● {major:g} 亿元以上重大项目。"
        "黑色短线：F16，2022年重大项目至2023年年中落地率 86.97%。",
    ),
    ("v_chain", "Chain map", "产业链图谱"),
    ("v_chain_pick", "Chain", "产业链"),
    (
        "v_chain_note",
        "Arrows run supplier → buyer. Circle size: firms producing locally; “+n”: new producers since 2022.",
        "箭头由供应方指向采购方。圆圈大小：本地在产企业数；“+n”：2022年以来新增投产企业。",
    ),
    ("v_land", "Parks: land used (ha)", "园区：已用土地（公顷）"),
    ("v_park_firms", "Parks: firms producing, by chain", "园区：在产企业（按产业链）"),
    (
        "v_park_firms_note",
        "Firms that came through the pipeline (incumbents have no park in the model).",
        "经招商流程落户的企业（模型中原有企业不分配园区）。",
    ),
    # chart words
    ("firms", "firms", "企业数"),
    ("value_yi", "亿元", "亿元"),
    ("usd_yi", "亿美元", "亿美元"),
    ("model", "model", "模型"),
    ("reported", "reported", "公开数据"),
    ("derived", "derived", "推算值"),
    ("quarter", "signing quarter", "签约季度"),
    ("share", "share of signings", "占签约项目比例"),
    ("landed", _LANDED.en, f"已{_LANDED.short_zh}（开工）"),
    ("pending", "still in the pipeline", "仍在推进"),
    ("dropped", "dropped out", "已流失"),
    ("n_signed", "signings", "签约数"),
    ("segment", "segment", "环节"),
    ("local", "producing locally", "本地在产"),
    ("new_producers", "new since 2022", "2022年以来新增"),
    ("seg_present", "present", "已具备"),
    ("seg_missing", "missing link (缺链)", "缺链环节"),
    ("seg_none", "no local producer", "无本地企业"),
    ("land_used", "used", "已用"),
    ("land_free", "free", "可用"),
    ("hectares", "hectares", "公顷"),
]:
    _t(f"ui.{_key}", _en, _zh)
del _key, _en, _zh

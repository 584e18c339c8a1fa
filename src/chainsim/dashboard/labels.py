"""Every word on the dashboard, in English and Chinese.

One table, keyed by a short id; ``t(key, lang)`` looks a label up and formats it.
Names that belong to the scenario (chains, segments, parks, regions) come from the
scenario's own ``name_en`` / ``name_zh`` fields through :func:`name`; stage and source
names come from :mod:`chainsim.vocabulary`, so the dashboard and the CLI summary use the
same Chinese terms.
"""

from __future__ import annotations

from typing import Any, Literal

from chainsim.vocabulary import SOURCE_NAMES, SOURCE_ZH, STAGE_ZH, Stage

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")

LABELS: dict[str, tuple[str, str]] = {
    # page
    "title": ("chainsim · Kunming investment promotion", "chainsim · 昆明招商引资模拟"),
    "language": ("Language", "语言"),
    "lang_en": ("English", "English"),
    "lang_zh": ("中文", "中文"),
    "not_calibrated": (
        "Not yet calibrated: the behavioural parameters are plausible assumptions, not fitted to the reported "
        "figures. Compare shapes, and the differences between runs, not levels.",
        "模型尚未校准：行为参数是有依据的假设，尚未按公开数据拟合。请比较走势和不同设置之间的差异，而非绝对水平。",
    ),
    "calibrated": ("Calibrated scenario ({file}).", "已校准的情景（{file}）。"),
    # run controls
    "run": ("Run", "运行"),
    "step": ("Step", "单步"),
    "reset": ("Reset", "重置"),
    "play_hint": ("▶ plays, ❚❚ pauses", "▶ 播放，❚❚ 暂停"),
    "speed": ("Play speed (steps per second)", "播放速度（每秒步数）"),
    "step_of": ("Step {n} of {total}", "第 {n} 步 / 共 {total} 步"),
    "week_ending": ("week ending {date}", "截至 {date} 的一周"),
    "burn_in_note": (
        "The pipeline was warmed up for {n} steps before 1 Jan 2022 (burn-in on the 2022 levers).",
        "2022年1月1日之前已按2022年的政策力度预热 {n} 步，使项目储备处于稳态。",
    ),
    "finished": ("End of the scenario: press Reset to start again.", "情景已运行结束：按“重置”重新开始。"),
    # levers
    "levers": ("Levers (act on Reset)", "政策参数（按“重置”后生效）"),
    "levers_hint": (
        "Move a slider or switch, then press Reset: the model is rebuilt with the new values.",
        "调整滑块或开关后按“重置”，模型将按新参数重建。",
    ),
    "scenario": ("Scenario", "情景"),
    "seed": ("Seed", "随机种子"),
    "seed_error": (
        "The seed must be a whole number from 0 to 2^63 − 1.",
        "随机种子必须是 0 到 2^63 − 1 之间的整数。",
    ),
    "leader_led": ("Leader-led promotion", "“一把手”招商"),
    "leader_trips": ("Leader trips ×{v:g}", "领导外出招商 ×{v:g}"),
    "chain_based": ("Chain & precision promotion", "产业链招商·精准招商"),
    "precision": ("Precision {v:.0%}", "精准度 {v:.0%}"),
    "precision_note": (
        "Precision: share of sector-group contacts aimed at missing links.",
        "精准度：招商组接洽中瞄准缺链环节的比例。",
    ),
    "effort": ("Group effort ×{v:g}", "招商组力度 ×{v:g}"),
    "commissioners": ("Chief service commissioners", "首席服务专员"),
    "slots": ("Slots {v}", "专员名额 {v}"),
    "land_and_build": ("Build on the day land is acquired", "拿地即开工"),
    "missing_docs": ("Proceed with documents missing", "容缺办理"),
    "full_agency": ("Government does all the paperwork", "全程代办"),
    "on": ("on", "开"),
    "off": ("off", "关"),
    # the model in use
    "in_use": ("Model in use", "当前模型"),
    "in_use_scenario": (
        "scenario {name}, seed {seed}, {pool:,} candidate firms",
        "情景 {name}，随机种子 {seed}，候选企业 {pool:,} 家",
    ),
    "in_use_trips": (
        "leader trips planned 2022–23: {city} city, {county} county",
        "2022–23年计划领导外出招商：市级 {city} 次，县区级 {county} 次",
    ),
    "in_use_chain": (
        "sector groups: {contacts:.1f} contacts/week, precision {precision:.2f}",
        "招商组：每周接洽 {contacts:.1f} 家，精准度 {precision:.2f}",
    ),
    "in_use_comm": ("commissioner slots: {slots}", "首席服务专员名额：{slots}"),
    "in_use_reforms": ("reforms: {reforms}", "改革措施：{reforms}"),
    "strategy_off": ("switched off", "已关闭"),
    "none": ("none", "无"),
    "command": ("Same run from the command line:", "命令行中的同一设置："),
    # indicators
    "kpi_signings": ("Signings since 2022", "2022年以来签约项目"),
    "kpi_value": ("Signing value (亿元)", "签约金额（亿元）"),
    "kpi_funds": ("Funds in place this year (亿元)", "本年省外产业到位资金（亿元）"),
    "kpi_fdi": ("Foreign capital this year (亿美元)", "本年实际利用外资（亿美元）"),
    "kpi_landed": ("Broke ground since 2022", "2022年以来开工（落地）"),
    "kpi_trips": ("Leader trips (city / county)", "领导外出招商（市级 / 县区级）"),
    "kpi_per_trip": ("Leader-trip signings per trip", "每次领导外出带来的签约"),
    "kpi_served": ("Projects with a commissioner now", "当前配备专员的项目"),
    "kpi_missing": ("Missing links (all chains) now", "当前缺链环节（全部产业链）"),
    # views
    "v_funnel": ("Pipeline: firms per stage", "招商漏斗：各阶段企业数"),
    "v_funnel_note": (
        "Contacted → producing; “lost” firms dropped out and return to the pool later.",
        "从接洽到投产；“流失”企业退出后过一段时间回到候选池。",
    ),
    "v_signings": ("Signings by source (cumulative)", "累计签约项目（按来源）"),
    "v_value": ("Signing value by source (亿元)", "累计签约金额（亿元，按来源）"),
    "v_funds": ("Funds in place (亿元)", "省外产业到位资金（亿元）"),
    "v_fdi": ("Foreign capital used (亿美元)", "实际利用外资（亿美元）"),
    "v_funds_note": (
        "Cumulative within each year. ◆ reported for H1 2023 (FACTS F2a, F2b); ◇ H1 2022 derived from the reported growth.",
        "年内累计。◆ 2023年上半年公开数据（FACTS F2a、F2b）；◇ 由同比增速推算的2022年上半年值。",
    ),
    "v_signings_note": (
        "Since 1 Jan 2022, coloured by what brought each signing.",
        "2022年1月1日以来，按带来签约的渠道着色。",
    ),
    "v_cohort": ("Landing rate by signing quarter", "各季度签约项目落地率"),
    "v_cohort_note": (
        "Share of the quarter's signings that broke ground (落地 = 开工) so far; ● major projects ≥ {major:g} 亿元. "
        "Black marks: F16, 86.97 % of 2022's major projects had landed by mid-2023.",
        "该季度签约项目中至今已开工（落地）的比例；● {major:g} 亿元以上重大项目。黑色短线：F16，2022年重大项目至2023年年中落地率 86.97%。",
    ),
    "v_chain": ("Chain map", "产业链图谱"),
    "v_chain_pick": ("Chain", "产业链"),
    "v_chain_note": (
        "Arrows run supplier → buyer. Circle size: firms producing locally; “+n”: new producers since 2022.",
        "箭头由供应方指向采购方。圆圈大小：本地在产企业数；“+n”：2022年以来新增投产企业。",
    ),
    "v_land": ("Parks: land used (ha)", "园区：已用土地（公顷）"),
    "v_park_firms": ("Parks: firms producing, by chain", "园区：在产企业（按产业链）"),
    "v_park_firms_note": (
        "Firms that came through the pipeline (incumbents have no park in the model).",
        "经招商流程落户的企业（模型中原有企业不分配园区）。",
    ),
    # chart vocabulary
    "stage": ("stage", "阶段"),
    "firms": ("firms", "企业数"),
    "date": ("date", "日期"),
    "source": ("source", "来源"),
    "signings": ("signings", "签约项目"),
    "value_yi": ("亿元", "亿元"),
    "usd_yi": ("亿美元", "亿美元"),
    "series": ("series", "系列"),
    "model": ("model", "模型"),
    "reported": ("reported", "公开数据"),
    "derived": ("derived", "推算值"),
    "quarter": ("signing quarter", "签约季度"),
    "share": ("share of signings", "占签约项目比例"),
    "status": ("status", "状态"),
    "landed": ("broke ground", "已开工（落地）"),
    "pending": ("still in the pipeline", "仍在推进"),
    "dropped": ("dropped out", "已流失"),
    "major_landed": ("major projects: broke ground", "重大项目：已开工"),
    "n_signed": ("signings", "签约数"),
    "segment": ("segment", "环节"),
    "local": ("producing locally", "本地在产"),
    "new_producers": ("new since 2022", "2022年以来新增"),
    "seg_present": ("present", "已具备"),
    "seg_missing": ("missing link (缺链)", "缺链环节"),
    "seg_none": ("no local producer", "无本地企业"),
    "park": ("park", "园区"),
    "land_used": ("used", "已用"),
    "land_free": ("free", "可用"),
    "hectares": ("hectares", "公顷"),
    "chain": ("chain", "产业链"),
}

STAGE_EN = [
    "pool",
    "contacted",
    "negotiating",
    "signed",
    "registered",
    "got land",
    "building",
    "producing",
    "lost",
]
SOURCE_EN = ["leader trip", "event", "chain group", "anchor referral", "organic"]
assert len(STAGE_EN) == len(Stage) and len(SOURCE_EN) == len(SOURCE_NAMES)


def t(key: str, lang: Lang, **fmt: Any) -> str:
    """The label ``key`` in ``lang``, formatted with ``fmt``."""
    en, zh = LABELS[key]
    text = zh if lang == "zh" else en
    return text.format(**fmt) if fmt else text


def stage(i: int, lang: Lang) -> str:
    return STAGE_ZH[i] if lang == "zh" else STAGE_EN[i]


def source(i: int, lang: Lang) -> str:
    return SOURCE_ZH[i] if lang == "zh" else SOURCE_EN[i]


def name(item: Any, lang: Lang) -> str:
    """A scenario item's own name (chains, parks, regions: ``name_en`` / ``name_zh``)."""
    get = item.get if isinstance(item, dict) else lambda k, d=None: getattr(item, k, d)
    return (get("name_zh") if lang == "zh" else get("name_en")) or get("name_en") or ""

"""The dashboard's words (``ui.*`` terms): page, controls, views, charts.

Phrases that name a concept are built from its term (defined in :mod:`.tables`, imported
first), so the page cannot drift from the printed summary and the reports.
"""

from __future__ import annotations

from chainsim.vocabulary import tables as _tables  # noqa: F401  (the metric and source terms used below)
from chainsim.vocabulary.codes import source_term
from chainsim.vocabulary.core import capital, define, metric_term, term

_t = define

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
    ("hide_controls", "Hide controls", "隐藏控制面板"),
    ("show_controls", "Show controls", "显示控制面板"),
    ("state_on", "on", "开"),
    ("state_off", "off", "关"),
    # the ensemble view: the page's run among others that differ only in their random draws
    ("spread", "Spread of {n} runs", "{n} 次运行的区间"),
    (
        "spread_note",
        "Grey bands and whiskers: the middle {k} of {n} runs that differ only in their random draws "
        "(the {d} lowest and {d} highest left out; the page's run is the first of the {n}). A lever's "
        "effect is what moves the whole band.",
        "灰色带和竖线：只有随机抽样不同的 {n} 次运行中居中的 {k} 次（去掉最低和最高各 {d} 次；"
        "页面上的运行是 {n} 次中的第一次）。政策的效果要看整条带是否移动。",
    ),
    ("spread_legend", "middle {k} of {n} runs", "{n} 次运行居中 {k} 次"),
    ("kpi_range", "middle {k} of {n} runs: {lo} – {hi}", "{n} 次运行居中 {k} 次：{lo} – {hi}"),
    # run controls
    ("run", "Run", "运行"),
    ("step", "Step", "单步"),
    ("reset", "Reset", "重置"),
    ("speed", "Play speed: {v} steps per second", "播放速度：每秒 {v} 步"),
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
        "Share of the quarter's signings that landed (落地: a fixed-asset project broke ground, any other "
        "registered) so far; ● major projects (signed value at least {major}). Black marks: F16, 86.97 % "
        "of 2022's major projects had landed by mid-2023.",
        "该季度签约项目中至今已落地（固投类开工，非固投类注册）的比例；● 重大项目（签约额不低于{major}）。"
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
    ("landed", _LANDED.short_en, f"已{_LANDED.short_zh}"),  # a legend: the view's note says what counts
    ("pending", "still in the pipeline", "仍在推进"),
    ("dropped", "dropped out", "已流失"),
    ("n_signed", "signings", "签约数"),
    ("segment", "segment", "环节"),
    ("local", "producing locally", "本地在产"),
    ("new_producers", "new since 2022", "2022年以来新增"),
    ("major_size", "{m:g} million yuan ({v:g} 亿元)", "{v:g}亿元"),
    ("major_size_small", "{m:g} million yuan ({v:g} 亿元)", "{w:g}万元"),
    ("seg_present", "present", "已具备"),
    ("seg_missing", "missing link (缺链)", "缺链环节"),
    ("seg_none", "no local producer", "无本地企业"),
    ("land_used", "used", "已用"),
    ("land_free", "free", "可用"),
    ("hectares", "hectares", "公顷"),
]:
    _t(f"ui.{_key}", _en, _zh)
del _key, _en, _zh

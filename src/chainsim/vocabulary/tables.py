"""The vocabulary's term tables: strategies and reforms, the indicators of summary.json,
and the words of the printed summary, the report and the analysis (the dashboard's are in
:mod:`.dashboard_words`).

Importing :mod:`chainsim.vocabulary` defines them; the Chinese follows the source
article's wording (docs/reference/FACTS.md) where it has one.
"""

from __future__ import annotations

from chainsim.vocabulary.core import define

_t = define  # the tables below call it on every line

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
_t("component.climate", "business climate", "营商环境")
_t("component.other", "other differences", "其他差异")
_t("reform.land_and_build", "build on the day land is acquired", "拿地即开工")
_t("reform.missing_docs", "proceed with documents missing", "容缺办理")
_t("reform.full_agency", "government does all the paperwork", "全程代办")


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
_t(
    "metric.landed",
    "landed (fixed-asset: broke ground; other: registered)",
    "落地项目（固投类开工，非固投类注册）",
    short_en="landed",
    short_zh="落地",
)
_t("metric.producing", "started production", "投产项目", short_en="producing", short_zh="投产")
_t("metric.city_leader_trips", "city-leader trips", "市领导外出招商")
_t("metric.county_leader_trips", "county-leader trips", "县区领导外出招商")
_t("metric.contacts", "contacts", "接洽")
_t("metric.registered", "registered", "注册")
_t("metric.lost", "lost", "流失")
_t("metric.signed", "signed", "签约数")
# what a ceremony announced (签约 … 个, 协议金额): project contracts + framework agreements
_t("metric.project_signings", "project contracts signed", "签约项目（合同）", short_en="project contracts")
_t("metric.project_value_yi", "project contracts' value", "项目合同金额", unit="亿元")
_t(
    "metric.framework_agreements",
    "framework agreements announced",
    "框架协议、战略合作协议",
    short_en="framework",
    short_zh="框架协议",
)
_t("metric.framework_value_yi", "framework agreements' stated value", "框架协议金额", unit="亿元")
_t("metric.landing_rate", "landing rate", "落地率")
_t("metric.producing_rate", "producing rate", "投产率")
_t("metric.fixed_asset_signed", "fixed-asset projects signed", "固投类项目数")
_t("metric.fixed_asset_producing_rate", "fixed-asset producing rate", "固投类项目投产率")
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
    "metric.signing_to_service_days",
    "signing→commissioner, median",
    "签约→配备首席服务专员中位天数",
    unit="days",
    short_en="signing→commissioner",
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
_t("size.lt_1yi", "projects < 1 亿", "1亿元以下项目")
_t("size.1_to_10yi", "projects of 1–10 亿", "1–10亿元项目")
_t("size.ge_10yi", "projects ≥ 10 亿", "10亿元以上项目（含）")


# --------------------------------------------------------------------------- words of the outputs
# the printed summary (chainsim run)
_t("word.indicator", "indicator", "指标")
_t("word.mean_over_replicates", "mean over replicates", "指标均值")
_t("word.interval", "95 % interval", "95%区间")
_t("word.by_source", "signings by source", "签约来源")
_t("word.agreements", "agreements", "签约")
_t("word.by_size", "by project size, commissioned / other", "按项目规模：有首席服务专员 / 其他")
_t("word.year_on_year", "year on year", "同比")
_t("word.cohort", "cohort", "签约批次")
_t("word.durations", "median stage durations, days", "阶段耗时中位数（天）")
_t("word.posterior_draw", "posterior draw", "后验抽样")
_t(
    "word.compare_interval",
    "B − A: mean of the paired differences [95 % confidence interval of the mean difference]",
    "B − A：配对差均值［均值差的95%置信区间］",
)
_t(
    "word.compare_interval_unpaired",
    "B − A: difference of the means, replicates not paired [95 % confidence interval of the difference, Welch]",
    "B − A：均值之差，未配对［均值差的95%置信区间，Welch］",
)
_t(
    "word.compare_why_unpaired",
    "not paired — A and B differ in: {why}; their replicates do not share random numbers",
    "未配对——A与B在以下方面不同：{why}；各次模拟不共享随机数",
)
# the growth decomposition (chainsim decompose)
_t("decompose.title", "growth decomposition (Shapley, paired runs)", "增长分解（沙普利值，配对模拟）")
_t("decompose.growth", "growth of funds in place, year on year", "到位资金同比增长")
_t("decompose.total", "total difference", "总差异")
_t("decompose.contribution", "contribution [95 % interval of the mean]", "贡献［均值的95%置信区间］")
# the check against the reported figures (chainsim targets)
_t("word.figure", "figure", "指标")
_t("word.target", "target", "目标")
_t("word.model", "model", "模型")
_t("word.tolerance", "tolerance", "容差")
_t(
    "word.targets_model",
    "model = mean of the replicates [95 % interval of the mean]",
    "模型 = 重复运行均值［均值的95%区间］",
)
_t("word.within_tolerance", "{n} of {total} within tolerance", "{total} 项中 {n} 项在容差内")
_t(
    "word.targets_noise",
    "noise of ONE replicate against the targets' σ: Σ (sd/σ)² = {noise} over {k} targets",
    "单次重复的随机噪声相对目标σ：Σ (sd/σ)² = {noise}（{k} 项）",
)
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
_t("report.within_noise", "≈ 0: draws differ no more than noise", "≈0：不超出随机波动")
_t("report.total_95", "total 95 %", "合计")
_t("report.switched", "switched", "单项改变")
_t("report.change_from_2023", "change from the 2023 level", "相对2023年水平的变化")
_t("report.change", "change", "变化")
_t("report.mix", "mix", "组合")
_t("report.on_frontier", "on the frontier", "有效")
_t("report.paired_from_baseline", "paired differences from the baseline mix", "相对基准组合的配对差异")
_t("report.param_band", "parameter uncertainty 95 %", "参数不确定性")
_t("report.total_band", "parameter + noise 95 %", "参数+随机")
_t("report.noise_band", "noise 95 % (one parameter set)", "随机波动（单一参数）")
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
_t("analyze.dummy", "(random dummy)", "随机对照")
_t("discover.title", "scenario discovery", "情景发现")
_t("discover.coverage", "coverage", "覆盖率")
_t("discover.density", "density", "密度")
_t("word.per_quarter", "per quarter", "每季度")

# --------------------------------------------------------------------------- scenario fields (figure axes)
# The Chinese name of each scenario field that sweeps and calibrations vary, by its path in
# the schema ('*': any key of a mapping); the English is the field's ``title`` in the schema.
# chainsim.sweep.labels joins the two (tests/test_vocabulary.py checks that they pair up).
FIELD_ZH: dict[str, str] = {
    "pipeline.engage_prob_per_step": "接洽→洽谈概率",
    "pipeline.sign_prob_per_step": "洽谈→签约概率",
    "pipeline.drop_contacted_per_step": "接洽阶段流失概率",
    "pipeline.drop_negotiating_per_step": "洽谈阶段流失概率",
    "pipeline.drop_signed_per_step": "签约后流失概率",
    "pipeline.supplier_access_beta": "本地配套对签约的影响",
    "pipeline.leader_boost": "领导拜访效应",
    "pipeline.event_close_prob": "推介活动促成签约概率",
    "pipeline.realisation_share": "协议资金到位比例",
    "population.regions.*.foreign_entity_share": "经境外主体投资的比例",
    "population.project_size.median_yi": "项目规模中位数（亿元）",
    "population.project_size.sigma_log": "项目规模离散度（对数σ）",
    "population.project_size.tail_alpha": "项目规模帕累托尾指数",
    "population.project_size.tail_from_yi": "帕累托尾起点（亿元）",
    "population.pool_size": "候选企业数",
    "location.mw_per_yi_industrial": "单位工业投资用电（兆瓦/亿元）",
    "strategies.leader_led.trips.*.trips": "领导外出招商次数",
    "strategies.leader_led.firms_per_city_trip": "每次市领导外出接洽企业数",
    "strategies.leader_led.size_bias": "领导招商的大企业偏好",
    "strategies.chain_based.groups.*.contacts_per_step": "招商组每周接洽企业数",
    "strategies.chain_based.targeting_precision": "精准度",
    "strategies.commissioners.slots": "首席服务专员名额",
    "strategies.commissioners.duration_factor": "专员服务提速系数",
    "organic.arrivals_per_step": "每周自主来访企业数",
    "events.*.size_bias": "推介活动的大企业偏好",
    "event_kinds.*.size_bias": "该类推介活动的大企业偏好",
    "events.*.outreach_contacts": "推介活动邀约企业数",
}


def field_zh(path: str) -> str:
    """The Chinese name of the scenario field at ``path`` (schema path, '*' for a mapping's
    key), or "" if it has none."""
    return FIELD_ZH.get(path, "")


_t("word.multiplier", "multiplier", "倍数")
_t("discover.restricted", "restricted factors", "受限因素")

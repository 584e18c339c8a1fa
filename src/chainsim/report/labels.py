"""English + Chinese labels of outcomes, strategies and arms, and the CJK font for figures.

Outcome paths are summary.json paths (docs/outputs.md); a label is built from the metric
name and its period or cohort, e.g. ``periods.2023_2025.funds_in_place_yi`` → "funds in
place 2023–2025 (亿元) · 省外产业到位资金". Figures need a font with Chinese glyphs:
:func:`setup_fonts` registers one (WenQuanYi or Noto CJK, from Debian's fonts-wqy-microhei
or fonts-noto-cjk) with matplotlib; without one, labels fall back to English only and the
report says so.
"""

from __future__ import annotations

METRICS: dict[str, tuple[str, str, str]] = {  # name → (English, 中文, unit)
    "signings": ("signings", "签约项目数", ""),
    "signing_value_yi": ("signing value", "签约金额", "亿元"),
    "signings_ge_10yi": ("signings ≥ 10 亿", "10亿元以上项目", ""),
    "industrial_signings_ge_1yi": ("industrial signings ≥ 1 亿", "亿元以上工业项目", ""),
    "funds_in_place_yi": ("funds in place", "省外产业到位资金", "亿元"),
    "industrial_funds_in_place_yi": ("industrial funds in place", "工业项目到位资金", "亿元"),
    "fdi_usd_yi": ("foreign capital", "实际利用外资", "亿美元"),
    "contacts": ("contacts", "接洽", ""),
    "registered": ("registered", "注册", ""),
    "landed": ("landed (construction)", "落地(开工)", ""),
    "producing": ("producing", "投产", ""),
    "lost": ("lost", "流失", ""),
    "landing_rate": ("landing rate", "落地率", ""),
    "producing_rate": ("producing rate", "投产率", ""),
    "signed": ("signed", "签约", ""),
    "signing_to_production_days": ("signing→production, median", "签约→投产中位天数", "days"),
    "signing_to_land_days": ("signing→land, median", "签约→拿地中位天数", "days"),
    "construction_to_production_days": ("construction→production, median", "开工→投产中位天数", "days"),
}
SOURCES = {
    "leader_trip": ("leader trips", "领导外出招商"),
    "event": ("events", "推介活动"),
    "chain_group": ("sector groups", "产业链招商组"),
    "anchor_referral": ("anchor referrals", "以商招商"),
    "organic": ("unprompted", "自发"),
}
GROUPS = {
    "commissioned": ("served by a commissioner", "专员服务项目"),
    "other": ("other projects", "其他项目"),
}
STRATEGIES = {
    "leader_led": ("leader-led", "“一把手”招商", "L"),
    "chain_based": ("chain-based", "产业链招商", "C"),
    "commissioners": ("commissioners", "首席服务专员", "S"),
}
#: the outcomes the report leads with, in this order (those the sweep kept)
HEADLINE = [
    "periods.2023_2025.signings",
    "periods.2023_2025.signing_value_yi",
    "periods.2023_2025.signings_ge_10yi",
    "cohorts.2023.landing_rate",
    "durations.commissioned.signing_to_production_days",
    "durations.other.signing_to_production_days",
    "periods.2023_2025.funds_in_place_yi",
    "periods.2023_2025.fdi_usd_yi",
]
FUNNEL = ["contacts", "signings", "registered", "landed", "producing"]


def _period(name: str) -> str:
    return name.replace("_", "–") if name.replace("_", "").isdigit() else name


def outcome_parts(path: str) -> tuple[str, str, str]:
    """(English, 中文, unit) of a summary.json path."""
    parts = path.split(".")
    metric = parts[-1]
    en, zh, unit = METRICS.get(metric, (metric.replace("_", " "), "", ""))
    if parts[0] == "periods" and len(parts) >= 3:
        if parts[2] == "signings_by_source":
            s_en, s_zh = SOURCES.get(metric, (metric, ""))
            return f"signings from {s_en} {_period(parts[1])}", f"{s_zh}签约", ""
        return f"{en} {_period(parts[1])}", zh, unit
    if parts[0] == "cohorts" and len(parts) >= 3:
        cohort = parts[1].replace("_ge_10yi", " ≥ 10 亿")
        return f"{en}, {cohort} signings", f"{cohort}年签约项目{zh}", unit
    if parts[0] == "durations" and len(parts) >= 3:
        g_en, g_zh = GROUPS.get(parts[1], (parts[1], ""))
        return f"{en} ({g_en})", f"{zh}（{g_zh}）", unit
    return en, zh, unit


def outcome_label(path: str, zh: bool = True, unit: bool = True) -> str:
    en, cn, u = outcome_parts(path)
    text = en + (f" ({u})" if unit and u else "")
    return f"{text} · {cn}" if zh and cn else text


def arm_label(arm: dict[str, str], zh: bool = True) -> str:
    """e.g. "L✓ C✓ S✗" (+ 领导✓ 链✓ 专员✗)."""
    marks = " ".join(
        f"{STRATEGIES.get(n, (n, n, n[:1].upper()))[2]}{'✓' if v == 'on' else '✗'}" for n, v in arm.items()
    )
    return marks


def setup_fonts() -> str | None:
    """Large type for a projector, and a CJK fallback font; its name, or None if there is none."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from chainsim.sweep.analyze import _cjk_fonts

    cjk = _cjk_fonts()
    plt.rcParams.update(
        {
            "font.family": ["DejaVu Sans", *cjk],
            "font.size": 15,
            "axes.titlesize": 17,
            "axes.labelsize": 15,
            "xtick.labelsize": 13,
            "ytick.labelsize": 13,
            "legend.fontsize": 13,
            "figure.dpi": 100,
            "savefig.dpi": 110,
            "axes.unicode_minus": False,
        }
    )
    return cjk[0] if cjk else None

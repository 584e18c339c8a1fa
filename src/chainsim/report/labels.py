"""How the report words things: its outcome lists and label helpers over :mod:`chainsim.vocabulary`.

Every English and Chinese word comes from the vocabulary, looked up when the report is
written; a strategy factor the vocabulary does not know is shown by its own name.
"""

from __future__ import annotations

from chainsim.vocabulary import capital, known, strategy_term, term

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


def heading(key: str) -> str:
    """A heading in both languages: "Main effects 主效应"."""
    return term(key).both(" ", cap=True)


def word(key: str) -> str:
    """A table word in both languages: "arm 组"."""
    return term(key).both(" ")


def fig_title(key: str, zh: bool) -> str:
    """A figure title: Chinese only when a CJK font draws it."""
    t = term(key)
    return capital(t.en) + (f" · {t.zh}" if zh else "")


def abbr(strategy: str) -> str:
    """One letter per strategy factor: L, C, S (the name's first letter if it is not one)."""
    return strategy_term(strategy).abbr or strategy[:1].upper()


def arm_label(arm: dict[str, str]) -> str:
    """e.g. "L✓ C✓ S✗"."""
    return " ".join(f"{abbr(n)}{'✓' if v == 'on' else '✗'}" for n, v in arm.items())


def arm_legend(names: list[str]) -> str:
    """ "L = leader-led “一把手”招商, C = …": the letters of ``arm_label``."""
    return ", ".join(
        f"{abbr(n)} = {strategy_term(n).both(' ', short=True)}"
        if known(f"strategy.{n}")
        else f"{abbr(n)} = {n}"
        for n in names
    )

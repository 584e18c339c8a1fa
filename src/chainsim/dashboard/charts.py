"""The dashboard's charts: a Vega-Lite spec for each view.

Each ``*_spec(lang, …)`` depends only on the language (and, for some, the time span, the
signing quarters or the chain names), so the browser embeds a chart once and swaps in the
datasets that :mod:`chainsim.dashboard.views` builds from the model (see
:mod:`chainsim.dashboard.vega`). A spec names its datasets; the builders fill them.

With the ensemble view on, ``spread`` is the legend's name for the replicates' range
(e.g. "middle 16 of 20 runs"): a grey band under the signings and funds lines, a
whisker on each quarter's landing rate. ``None``: the chart of the page's run alone.

Reference marks are the reported figures (docs/reference/FACTS.md): F2a, F2b for funds
and foreign capital in H1 2023 (with H1 2022 derived from their growth rates).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from chainsim.dashboard.labels import Lang, source, t
from chainsim.fonts import FONT_FAMILY as FAMILY
from chainsim.vocabulary import source_names

Spec = dict[str, Any]

# FACTS F2a / F2b (H1 2023) and the H1 2022 values derived from their year-on-year growth.
F2A_H1_2023_YI, F2A_GROWTH = 646.66, 0.1937
F2B_H1_2023_USD_YI, F2B_GROWTH = 3.2, 0.919
# the built-in sources' colours, then more for sources registered by added strategies
SOURCE_COLOURS = ["#d62728", "#ff7f0e", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
SPREAD_COLOUR = "#4d4d4d"  # the replicates' range: grey band (opacity below) or dark whisker
SPREAD_OPACITY = 0.28
HEIGHT = 230


def base_spec(lang: Lang, **spec: Any) -> Spec:
    """Common settings: readable on a projector, CJK-capable fonts, container width."""
    # the project's font first (served by the page itself: chainsim.dashboard.webfont)
    font = (
        f"'{FAMILY}', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', 'PingFang SC', sans-serif"
    )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": "container",
        "height": HEIGHT,
        # resize: lay the chart out again when its labels grow with the data (an axis of
        # "0" at step 0 becomes "4,000" later; without it the new labels are cut off)
        "autosize": {"type": "fit", "contains": "padding", "resize": True},
        # room on the right for an axis's last label, which is centred on its tick and can
        # overhang the plot ("1,200" firms cut by 3 px at 1024×768 without it)
        "padding": {"left": 5, "top": 5, "bottom": 5, "right": 14},
        "config": {
            "font": font,
            # labelSeparation: neighbouring labels that touch count as overlapping and are thinned
            "axis": {
                "labelFontSize": 13,
                "titleFontSize": 13,
                "titleFontWeight": "normal",
                "labelSeparation": 6,
            },
            "legend": {
                "labelFontSize": 12,
                "titleFontSize": 12,
                "orient": "bottom",
                # right-aligned under the plot: a legend wider than the plot grows to the left,
                # over the y axis's room, instead of off the chart (Vega clips it there)
                "layout": {"bottom": {"anchor": "end"}},
                "columns": 3,
                "symbolSize": 90,
                "symbolOpacity": 0.85,  # not the band's faint opacity for every symbol
                "rowPadding": 2,
                "columnPadding": 10,
            },
            "view": {"stroke": None},
            "locale": {"number": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["", ""]}},
        },
        **spec,
    }


def day_ms(d: dt.date) -> int:
    return int(np.datetime64(d, "D").astype("datetime64[ms]").astype(np.int64))


def _time_x(span: tuple[int, int]) -> dict[str, Any]:
    return {
        "field": "date",
        "type": "temporal",
        "title": None,
        "scale": {"domain": list(span)},
        "axis": {"format": "%y-%m", "tickCount": {"interval": "month", "step": 6}, "labelAngle": 0},
    }


def colour_by(field: str, domain: list[str], colours: list[str]) -> dict[str, Any]:
    """Colour by ``field``'s categories, in a two-column legend below the chart."""
    return {
        "field": field,
        "type": "nominal",
        "title": None,
        "legend": {"columns": 2},
        "scale": {"domain": domain, "range": colours},
    }


# --------------------------------------------------------------------------- the words a chart and its data share
def cohort_statuses(lang: Lang) -> list[str]:
    """What became of a quarter's signings, in stacking order."""
    return [t("landed", lang), t("pending", lang), t("dropped", lang)]


# --------------------------------------------------------------------------- funnel
def funnel_spec(lang: Lang) -> Spec:
    return base_spec(
        lang,
        data={"name": "stages"},
        mark={"type": "bar", "cornerRadiusEnd": 3},
        encoding={
            # the count is part of the label, so it never runs off the plot
            "y": {
                "field": "label",
                "type": "nominal",
                "sort": {"field": "i"},
                "title": None,
                "axis": {"labelFontSize": 14},
            },
            "x": {
                "field": "n",
                "type": "quantitative",
                "title": t("firms", lang),
                "axis": {"tickCount": 3, "labelOverlap": "greedy"},
            },
            "color": {
                "field": "lost",
                "type": "nominal",
                "legend": None,
                "scale": {"domain": [False, True], "range": ["#3b7dd8", "#b0b0b0"]},
            },
        },
    )


# --------------------------------------------------------------------------- signings by source
def signings_spec(lang: Lang, value: bool, span: tuple[int, int], spread: str | None = None) -> Spec:
    sources = [source(s, lang) for s in source_names()]
    colour = colour_by("source", sources, SOURCE_COLOURS[: len(sources)])
    x = _time_x(span)
    stack = {
        "data": {"name": "cum"},
        "mark": {"type": "area", "interpolate": "step-after"},
        "encoding": {
            "x": x,
            "y": {
                "field": "y",
                "type": "quantitative",
                "stack": "zero",
                "title": t("value_yi", lang) if value else t("metric.signings", lang),
            },
            "color": colour,
            "order": {"field": "k"},
        },
    }
    if spread is None:
        return base_spec(lang, **stack)
    # the band of the replicates' totals, over the stack (its top is the page's total)
    colour["scale"] = {
        "domain": [*sources, spread],
        "range": [*SOURCE_COLOURS[: len(sources)], SPREAD_COLOUR],
    }
    band = _spread_band(x, spread, "band")
    return base_spec(lang, layer=[stack, band])


def _spread_band(x: dict[str, Any], spread: str, data: str) -> Spec:
    """The replicates' lowest-to-highest band (a layer), named ``spread`` in the colour legend."""
    return {
        "data": {"name": data},
        "mark": {"type": "area", "interpolate": "step-after", "opacity": SPREAD_OPACITY},
        "encoding": {
            "x": x,
            "y": {"field": "lo", "type": "quantitative"},
            "y2": {"field": "hi"},
            "color": {"datum": spread, "type": "nominal"},
        },
    }


# --------------------------------------------------------------------------- funds
def funds_spec(lang: Lang, foreign: bool, span: tuple[int, int], spread: str | None = None) -> Spec:
    reported = F2B_H1_2023_USD_YI if foreign else F2A_H1_2023_YI
    growth = F2B_GROWTH if foreign else F2A_GROWTH
    marks = [
        {"date": day_ms(dt.date(2023, 6, 30)), "y": reported, "kind": t("reported", lang)},
        {
            "date": day_ms(dt.date(2022, 6, 30)),
            "y": round(reported / (1 + growth), 2),
            "kind": t("derived", lang),
        },
    ]
    x = _time_x(span)
    y_title = t("usd_yi", lang) if foreign else t("value_yi", lang)
    band = [_spread_band(x, spread, "band")] if spread else []
    return base_spec(
        lang,
        layer=[
            *band,
            {
                "data": {"name": "series"},
                "mark": {"type": "line", "interpolate": "step-after", "strokeWidth": 2.5},
                "encoding": {
                    "x": x,
                    "y": {"field": "y", "type": "quantitative", "title": y_title},
                    "color": {
                        "datum": t("model", lang),
                        "type": "nominal",
                        "title": None,
                        "legend": {"columns": 2},
                        "scale": {
                            "domain": [t("model", lang), t("reported", lang), t("derived", lang)]
                            + ([spread] if spread else []),
                            "range": ["#3b7dd8", "#111111", "#777777", SPREAD_COLOUR],
                        },
                    },
                },
            },
            {
                "data": {"values": marks},
                "mark": {"type": "point", "shape": "diamond", "size": 220, "strokeWidth": 2},
                "encoding": {
                    "x": x,
                    "y": {"field": "y", "type": "quantitative"},
                    "color": {"field": "kind", "type": "nominal"},
                    "fill": {
                        "field": "kind",
                        "type": "nominal",
                        "legend": None,
                        "scale": {
                            "domain": [t("reported", lang), t("derived", lang)],
                            "range": ["#111111", "#ffffff"],
                        },
                    },
                },
            },
        ],
    )


def cohort_spec(lang: Lang, quarters: list[str], spread: str | None = None) -> Spec:
    status = cohort_statuses(lang)
    # 2022Q1 → "Q1" over "2022", the year only under a year's first quarter: narrow labels
    # that never run into each other ("22Q122Q2…" did on a 1366-wide screen)
    first = {q for q in quarters if q.endswith("Q1")} | set(quarters[:1])
    label = f"indexof({sorted(first)!r}, datum.label) >= 0 ? [slice(datum.label, 4), slice(datum.label, 0, 4)] : slice(datum.label, 4)"
    x = {
        "field": "quarter",
        "type": "ordinal",
        "title": t("quarter", lang),
        "scale": {"domain": quarters},
        "axis": {"labelAngle": 0, "labelExpr": label, "labelLineHeight": 15},
    }
    colour = colour_by("status", status, ["#2e9e4f", "#f2c14e", "#c7c7c7"])
    whiskers = []
    if spread:
        colour["scale"] = {
            "domain": [*status, spread],
            "range": ["#2e9e4f", "#f2c14e", "#c7c7c7", SPREAD_COLOUR],
        }
        whiskers = [
            {
                "data": {"name": "spread"},
                "mark": {"type": "rule", "strokeWidth": 2},
                "encoding": {
                    "x": x,
                    "y": {"field": "lo", "type": "quantitative"},
                    "y2": {"field": "hi"},
                    "color": {"datum": spread, "type": "nominal"},
                },
            },
            *(
                {
                    "data": {"name": "spread"},
                    "mark": {"type": "tick", "thickness": 2, "size": 10, "color": SPREAD_COLOUR},
                    "encoding": {"x": x, "y": {"field": end, "type": "quantitative"}},
                }
                for end in ("lo", "hi")
            ),
        ]
    return base_spec(
        lang,
        layer=[
            {
                "data": {"name": "bars"},
                "mark": {"type": "bar"},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "share",
                        "type": "quantitative",
                        "stack": "zero",
                        "title": t("share", lang),
                        "axis": {"format": ".0%"},
                        "scale": {"domain": [0, 1]},
                    },
                    "color": colour,
                    "order": {"field": "k"},
                    "tooltip": [
                        {"field": "quarter"},
                        {"field": "status"},
                        {"field": "n", "title": t("n_signed", lang)},
                        {"field": "share", "format": ".0%"},
                    ],
                },
            },
            {
                "data": {"name": "major"},
                "mark": {"type": "point", "filled": True, "size": 110, "color": "#114b24"},
                "encoding": {"x": x, "y": {"field": "share", "type": "quantitative"}},
            },
            {
                "data": {"name": "f16"},
                "mark": {"type": "tick", "thickness": 3, "color": "#111111"},
                "encoding": {"x": x, "y": {"field": "share", "type": "quantitative"}},
            },
            *whiskers,
        ],
    )

"""The dashboard's charts: a Vega-Lite spec for each view.

Each ``*_spec(lang, …)`` depends only on the language (and, for some, the time span, the
signing quarters or the chain names), so the browser embeds a chart once and swaps in the
datasets that :mod:`chainsim.dashboard.views` builds from the model (see
:mod:`chainsim.dashboard.vega`). A spec names its datasets; the builders fill them.

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
HEIGHT = 230
CHAIN_HEIGHT = 430  # room for five segments in a column, each with a two-line label


def _base(lang: Lang, **spec: Any) -> Spec:
    """Common settings: readable on a projector, CJK-capable fonts, container width."""
    # the project's font first (served by the page itself: chainsim.dashboard.webfont)
    font = (
        f"'{FAMILY}', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', 'PingFang SC', sans-serif"
    )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": "container",
        "height": HEIGHT,
        "autosize": {"type": "fit", "contains": "padding"},
        "config": {
            "font": font,
            "axis": {"labelFontSize": 13, "titleFontSize": 13, "titleFontWeight": "normal"},
            "legend": {
                "labelFontSize": 12,
                "titleFontSize": 12,
                "orient": "bottom",
                "columns": 3,
                "symbolSize": 90,
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


def _colour(field: str, domain: list[str], colours: list[str]) -> dict[str, Any]:
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


def segment_statuses(lang: Lang) -> list[str]:
    """A segment of the chain map: present, a missing link, or no local producer."""
    return [t("seg_present", lang), t("seg_missing", lang), t("seg_none", lang)]


def land_kinds(lang: Lang) -> list[str]:
    """A park's land: used before 2022, used since, free."""
    return [t("land_used", lang) + " < 2022", t("land_used", lang) + " ≥ 2022", t("land_free", lang)]


# --------------------------------------------------------------------------- funnel
def funnel_spec(lang: Lang) -> Spec:
    return _base(
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
def signings_spec(lang: Lang, value: bool, span: tuple[int, int]) -> Spec:
    return _base(
        lang,
        data={"name": "cum"},
        mark={"type": "area", "interpolate": "step-after"},
        encoding={
            "x": _time_x(span),
            "y": {
                "field": "y",
                "type": "quantitative",
                "stack": "zero",
                "title": t("value_yi", lang) if value else t("metric.signings", lang),
            },
            "color": _colour("source", [source(s, lang) for s in source_names()], SOURCE_COLOURS),
            "order": {"field": "k"},
        },
    )


# --------------------------------------------------------------------------- funds
def funds_spec(lang: Lang, foreign: bool, span: tuple[int, int]) -> Spec:
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
    return _base(
        lang,
        layer=[
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
                        "legend": {"columns": 3},
                        "scale": {
                            "domain": [t("model", lang), t("reported", lang), t("derived", lang)],
                            "range": ["#3b7dd8", "#111111", "#777777"],
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


def cohort_spec(lang: Lang, quarters: list[str]) -> Spec:
    status = cohort_statuses(lang)
    x = {
        "field": "quarter",
        "type": "ordinal",
        "title": t("quarter", lang),
        "scale": {"domain": quarters},
        "axis": {"labelAngle": 0, "labelExpr": "slice(datum.label, 2)"},
    }  # 2022Q1 → 22Q1: fits a narrow chart
    return _base(
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
                    "color": _colour("status", status, ["#2e9e4f", "#f2c14e", "#c7c7c7"]),
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
        ],
    )


# --------------------------------------------------------------------------- chain map
def chain_spec(lang: Lang) -> Spec:
    status = segment_statuses(lang)
    hidden = {"axis": None, "scale": {"domain": [-1.3, 1.3]}}
    hidden_y = {"axis": None, "scale": {"domain": [-1.12, 1.0]}}
    at_xy = {  # a node's place, on axes that are not drawn
        "x": {"field": "x", "type": "quantitative", **hidden},
        "y": {"field": "y", "type": "quantitative", **hidden_y},
    }
    # the arrowhead's angle on screen: the scales are not square, so use the plot's size
    angle = "atan2(-(datum.y2 - datum.y) * height / 2.12, (datum.x2 - datum.x) * width / 2.6) * 180 / PI"
    return _base(
        lang,
        height=CHAIN_HEIGHT,
        layer=[
            {
                "data": {"name": "edges"},
                "mark": {"type": "rule", "color": "#9aa4b2", "strokeWidth": 1.6, "aria": False},
                "encoding": {
                    **at_xy,
                    "x2": {"field": "x2"},
                    "y2": {"field": "y2"},
                },
            },
            {
                "data": {"name": "edges"},
                "transform": [{"calculate": angle, "as": "angle"}],
                "mark": {
                    "type": "point",
                    "shape": "triangle-right",
                    "filled": True,
                    "color": "#7a8494",
                    "size": 90,
                    "opacity": 1,
                    "aria": False,
                },
                "encoding": {
                    "x": {"field": "ax", "type": "quantitative", **hidden},
                    "y": {"field": "ay", "type": "quantitative", **hidden_y},
                    "angle": {"field": "angle", "type": "quantitative", "scale": None},
                },
            },
            {
                "data": {"name": "nodes"},
                "mark": {"type": "circle", "opacity": 1, "stroke": "#333333", "strokeWidth": 1},
                "encoding": {
                    **at_xy,
                    "size": {
                        "field": "local",
                        "type": "quantitative",
                        "legend": None,
                        "scale": {"type": "sqrt", "range": [60, 900], "zero": True},
                    },
                    "color": {
                        "field": "status",
                        "type": "nominal",
                        "title": None,
                        "scale": {"domain": status, "range": ["#2e9e4f", "#e8590c", "#d0d0d0"]},
                    },
                    "description": {"field": "aria"},  # what a screen reader says, not the coordinates
                    "tooltip": [
                        {"field": "label", "title": t("segment", lang)},
                        {"field": "local", "title": t("local", lang)},
                        {"field": "new", "title": t("new_producers", lang)},
                    ],
                },
            },
            {
                "data": {"name": "nodes"},
                "mark": {"type": "text", "baseline": "top", "dy": 15, "fontSize": 12, "lineBreak": "\n"},
                "encoding": {
                    **at_xy,
                    "text": {"field": "text"},
                    "color": {"value": "#222222"},
                    "description": {"field": "aria"},
                },
            },
        ],
    )


# --------------------------------------------------------------------------- parks
def land_spec(lang: Lang) -> Spec:
    kinds = land_kinds(lang)
    return _base(
        lang,
        data={"name": "land"},
        mark={"type": "bar"},
        encoding={
            "y": {"field": "park", "type": "nominal", "title": None, "sort": {"field": "i"}},
            "x": {
                "field": "ha",
                "type": "quantitative",
                "stack": "zero",
                "title": t("hectares", lang),
                "axis": {"tickCount": 3, "labelOverlap": "greedy"},
            },
            "color": _colour("kind", kinds, ["#8c6d31", "#e6a532", "#dfe7d0"]),
            "order": {"field": "k"},
        },
    )


def park_firms_spec(lang: Lang, chain_names: list[str]) -> Spec:
    # taller than the others: the legend of a dozen chains takes room from the bars
    return _base(
        lang,
        height=HEIGHT + 90,
        data={"name": "firms"},
        mark={"type": "bar"},
        encoding={
            "y": {"field": "park", "type": "nominal", "title": None, "sort": {"field": "i"}},
            "x": {
                "field": "n",
                "type": "quantitative",
                "stack": "zero",
                "title": t("firms", lang),
                "axis": {"tickCount": 5},
            },
            "color": {
                "field": "chain",
                "type": "nominal",
                "title": None,
                "scale": {"domain": chain_names, "scheme": "tableau20"},
                "legend": {"columns": 2, "labelFontSize": 11, "symbolSize": 70, "rowPadding": 1},
            },
            "order": {"field": "c"},
        },
    )

"""The dashboard's map-like charts: the chain map of one chain and the parks' land and firms.

Like :mod:`chainsim.dashboard.charts` (whose common settings they use), each
``*_spec(lang, …)`` is a Vega-Lite spec whose named datasets
:mod:`chainsim.dashboard.views` fills.
"""

from __future__ import annotations

from chainsim.dashboard.charts import HEIGHT, Spec, base_spec, colour_by
from chainsim.dashboard.labels import Lang, t

CHAIN_HEIGHT = 430  # room for five segments in a column, each with a two-line label


# --------------------------------------------------------------------------- the words a chart and its data share
def segment_statuses(lang: Lang) -> list[str]:
    """A segment of the chain map: present, a missing link, or no local producer."""
    return [t("seg_present", lang), t("seg_missing", lang), t("seg_none", lang)]


def land_kinds(lang: Lang) -> list[str]:
    """A park's land: used before 2022, used since, free."""
    return [t("land_used", lang) + " < 2022", t("land_used", lang) + " ≥ 2022", t("land_free", lang)]


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
    return base_spec(
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
            # labels below the nodes of every other column and above the rest: neighbouring
            # columns' labels ("Cold chain", "Retail & e-commerce") never meet on one line
            *(
                {
                    "data": {"name": "nodes"},
                    "transform": [{"filter": "datum.above" if above else "!datum.above"}],
                    "mark": {
                        "type": "text",
                        "baseline": "bottom" if above else "top",
                        # clear of the largest circle (radius 17); Vega stacks the lines of a text downwards
                        # from its first, so a two-line label above starts one line (14 px) higher
                        "dy": -33 if above else 19,
                        "fontSize": 12,
                        "lineBreak": "\n",
                    },
                    "encoding": {
                        **at_xy,
                        "text": {"field": "text"},
                        "color": {"value": "#222222"},
                        "description": {"field": "aria"},
                    },
                }
                for above in (False, True)
            ),
        ],
    )


# --------------------------------------------------------------------------- parks
def land_spec(lang: Lang) -> Spec:
    kinds = land_kinds(lang)
    return base_spec(
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
            "color": colour_by("kind", kinds, ["#8c6d31", "#e6a532", "#dfe7d0"]),
            "order": {"field": "k"},
        },
    )


def park_firms_spec(lang: Lang, chain_names: list[str]) -> Spec:
    # taller than the others: the legend of a dozen chains takes room from the bars
    return base_spec(
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

"""The dashboard's charts: a Vega-Lite spec and its datasets for each view.

Each ``*_spec(…, lang)`` depends only on the language (and, for the chain map, the
chosen chain), so the browser embeds a chart once; each ``*_data(model, …)`` returns the
named datasets for the model's current state, which the browser swaps in place (see
:mod:`chainsim.dashboard.vega`). Pure functions of the model: no Solara here.

Reference marks are the reported figures (docs/reference/FACTS.md): F2a, F2b for funds
and foreign capital in H1 2023 (with H1 2022 derived from their growth rates), F16 for
the landing rate of 2022's major projects.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import networkx as nx
import numpy as np

from chainsim.dashboard.classroom import ClassroomModel
from chainsim.dashboard.labels import Lang, name, source, stage, t
from chainsim.engine.records import F
from chainsim.vocabulary import Stage, source_names

Spec = dict[str, Any]
Rows = list[dict[str, Any]]

# FACTS F2a / F2b (H1 2023) and the H1 2022 values derived from their year-on-year growth.
F2A_H1_2023_YI, F2A_GROWTH = 646.66, 0.1937
F2B_H1_2023_USD_YI, F2B_GROWTH = 3.2, 0.919
F16_LANDING = 0.8697  # 287 of 330 major projects of 2022 landed by mid-2023
# the built-in sources' colours, then more for sources registered by added strategies
SOURCE_COLOURS = ["#d62728", "#ff7f0e", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
FUNNEL_STAGES = [
    Stage.CONTACTED,
    Stage.NEGOTIATING,
    Stage.SIGNED,
    Stage.REGISTERED,
    Stage.LAND,
    Stage.CONSTRUCTION,
    Stage.PRODUCING,
    Stage.LOST,
]
HEIGHT = 230
CHAIN_HEIGHT = 430  # room for five segments in a column, each with a two-line label


def _base(lang: Lang, **spec: Any) -> Spec:
    """Common settings: readable on a projector, CJK-capable fonts, container width."""
    font = "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', 'PingFang SC', sans-serif"
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


def _ms(dates: np.ndarray) -> list[int]:
    return dates.astype("datetime64[D]").astype("datetime64[ms]").astype(np.int64).tolist()


def _day_ms(d: dt.date) -> int:
    return int(np.datetime64(d, "D").astype("datetime64[ms]").astype(np.int64))


def time_span(m: ClassroomModel) -> tuple[int, int]:
    """The whole reported period (ms): time axes stay put while the lines grow into them."""
    cal = m.config.calendar
    return _day_ms(cal.start_date - dt.timedelta(days=1)), _day_ms(cal.end_date)


def _time_x(span: tuple[int, int]) -> dict[str, Any]:
    return {
        "field": "date",
        "type": "temporal",
        "title": None,
        "scale": {"domain": list(span)},
        "axis": {"format": "%y-%m", "tickCount": {"interval": "month", "step": 6}, "labelAngle": 0},
    }


def _dates(m: ClassroomModel) -> list[int]:
    """Dates of the reported steps done so far, after a zero point on the eve of the start."""
    return [_day_ms(m.config.calendar.start_date - dt.timedelta(days=1))] + _ms(
        m.calendar.date_end[m.reported]
    )


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


def funnel_data(m: ClassroomModel, lang: Lang) -> dict[str, Rows]:
    counts = m.recorder.stages[m.step_no - 1]
    return {
        "stages": [
            {
                "label": f"{stage(s, lang)}  {int(counts[s]):,}",
                "i": i,
                "n": int(counts[s]),
                "lost": s == Stage.LOST,
            }
            for i, s in enumerate(FUNNEL_STAGES)
        ]
    }


# --------------------------------------------------------------------------- signings by source
def _source_colour(lang: Lang) -> dict[str, Any]:
    return {
        "field": "source",
        "type": "nominal",
        "title": None,
        "legend": {"columns": 2},
        "scale": {"domain": [source(s, lang) for s in source_names()], "range": SOURCE_COLOURS},
    }


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
            "color": _source_colour(lang),
            "order": {"field": "k"},
        },
    )


def signings_data(m: ClassroomModel, lang: Lang, value: bool) -> dict[str, Rows]:
    if value:
        flows = m.value_by_source[m.reported]
    else:
        flows = m.recorder.flows[m.reported][:, [F[f"signings_by_source.{s}"] for s in source_names()]]
    names = [source(s, lang) for s in source_names()]
    cum = np.vstack([np.zeros((1, len(names))), np.cumsum(flows, axis=0)])
    return {
        "cum": [
            {"date": d, "source": names[k], "k": k, "y": round(float(cum[i, k]), 2)}
            for i, d in enumerate(_dates(m))
            for k in range(len(names))
        ]
    }


# --------------------------------------------------------------------------- funds
def _within_year(m: ClassroomModel, flow: str) -> list[float]:
    """Cumulative sum of a flow since 1 January of each step's year (0 at the start)."""
    f = m.recorder.flows[m.reported, F[flow]]
    years = m.calendar.date_end[m.reported].astype("datetime64[Y]")
    out, total, year = [0.0], 0.0, None
    for v, y in zip(f, years, strict=True):
        total = (0.0 if y != year else total) + float(v)
        year = y
        out.append(round(total, 3))
    return out


def funds_spec(lang: Lang, foreign: bool, span: tuple[int, int]) -> Spec:
    reported = F2B_H1_2023_USD_YI if foreign else F2A_H1_2023_YI
    growth = F2B_GROWTH if foreign else F2A_GROWTH
    marks = [
        {"date": _day_ms(dt.date(2023, 6, 30)), "y": reported, "kind": t("reported", lang)},
        {
            "date": _day_ms(dt.date(2022, 6, 30)),
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


def funds_data(m: ClassroomModel, foreign: bool) -> dict[str, Rows]:
    ys = _within_year(m, "fdi_usd_yi" if foreign else "funds_in_place_yi")
    return {"series": [{"date": d, "y": y} for d, y in zip(_dates(m), ys, strict=True)]}


# --------------------------------------------------------------------------- landing by cohort
def cohort_spec(lang: Lang, quarters: list[str]) -> Spec:
    status = [t("landed", lang), t("pending", lang), t("dropped", lang)]
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
                    "color": {
                        "field": "status",
                        "type": "nominal",
                        "title": None,
                        "legend": {"columns": 2},
                        "scale": {"domain": status, "range": ["#2e9e4f", "#f2c14e", "#c7c7c7"]},
                    },
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


def cohort_data(m: ClassroomModel, lang: Lang) -> dict[str, Rows]:
    c = m.cohort_status()
    names = [t("landed", lang), t("pending", lang), t("dropped", lang)]
    bars, major, f16 = [], [], []
    for i, q in enumerate(c.quarters):
        if q.startswith("2022"):
            f16.append({"quarter": q, "share": F16_LANDING})
        if not c.signed[i]:
            continue
        n = int(c.signed[i])
        for k, counts in enumerate((c.landed, c.pending, c.dropped)):
            bars.append(
                {
                    "quarter": q,
                    "status": names[k],
                    "k": k,
                    "n": int(counts[i]),
                    "share": round(int(counts[i]) / n, 4),
                }
            )
        if c.major_signed[i]:
            major.append({"quarter": q, "share": round(int(c.major_landed[i]) / int(c.major_signed[i]), 4)})
    return {"bars": bars, "major": major, "f16": f16}


# --------------------------------------------------------------------------- chain map
@lru_cache(maxsize=64)
def _layout(edges: tuple[tuple[str, str], ...], nodes: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """Upstream → downstream, left to right: columns are the DAG's topological generations
    (networkx); within a column, nodes sit in the order of their suppliers' mean height,
    which keeps crossings few."""
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from(edges)
    layers = [list(gen) for gen in nx.topological_generations(g)]
    pos: dict[str, tuple[float, float]] = {}
    for col, layer in enumerate(layers):

        def height(n: str) -> float:
            ys = [pos[p][1] for p in g.predecessors(n) if p in pos]
            return -float(np.mean(ys)) if ys else float(nodes.index(n))

        layer.sort(key=height)
        x = -1.0 + 2.0 * col / max(len(layers) - 1, 1)
        for j, n in enumerate(layer):
            pos[n] = (x, 0.9 - 1.8 * (j + 0.5) / len(layer))
    return pos


def chain_spec(lang: Lang) -> Spec:
    status = [t("seg_present", lang), t("seg_missing", lang), t("seg_none", lang)]
    hidden = {"axis": None, "scale": {"domain": [-1.3, 1.3]}}
    hidden_y = {"axis": None, "scale": {"domain": [-1.12, 1.0]}}
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
                    "x": {"field": "x", "type": "quantitative", **hidden},
                    "y": {"field": "y", "type": "quantitative", **hidden_y},
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
                    "x": {"field": "x", "type": "quantitative", **hidden},
                    "y": {"field": "y", "type": "quantitative", **hidden_y},
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
                    "x": {"field": "x", "type": "quantitative", **hidden},
                    "y": {"field": "y", "type": "quantitative", **hidden_y},
                    "text": {"field": "text"},
                    "color": {"value": "#222222"},
                    "description": {"field": "aria"},
                },
            },
        ],
    )


def chain_data(m: ClassroomModel, chain_id: str, lang: Lang) -> dict[str, Rows]:
    idx = m.chains
    g = idx.graphs[chain_id]
    pos = _layout(tuple(g.edges), tuple(g.nodes))
    local = idx.incumbents + m.producing_by_segment[0]
    new = m.producing_by_segment[0] - m.producing_at_start
    status = [t("seg_present", lang), t("seg_missing", lang), t("seg_none", lang)]
    nodes = []
    for sid in g.nodes:
        i = idx.offset[(chain_id, sid)]
        label = name(g.nodes[sid], lang)
        s = 2 if local[i] == 0 else (1 if m.missing[0, i] else 0)
        plus = f" (+{int(new[i])})" if new[i] else ""
        nodes.append(
            {
                "id": sid,
                "x": pos[sid][0],
                "y": pos[sid][1],
                "local": int(local[i]),
                "new": int(new[i]),
                "status": status[s],
                "label": label,
                "text": f"{label}\n{int(local[i])}{plus}",
                "aria": f"{label}: {status[s]}, {t('local', lang)} {int(local[i])}",
            }
        )
    edges = []
    for a, b in g.edges:
        (x, y), (x2, y2) = pos[a], pos[b]
        edges.append({"x": x, "y": y, "x2": x2, "y2": y2, "ax": x + 0.6 * (x2 - x), "ay": y + 0.6 * (y2 - y)})
    return {"nodes": nodes, "edges": edges}


# --------------------------------------------------------------------------- parks
def land_spec(lang: Lang) -> Spec:
    kinds = [t("land_used", lang) + " < 2022", t("land_used", lang) + " ≥ 2022", t("land_free", lang)]
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
            "color": {
                "field": "kind",
                "type": "nominal",
                "title": None,
                "legend": {"columns": 2},
                "scale": {"domain": kinds, "range": ["#8c6d31", "#e6a532", "#dfe7d0"]},
            },
            "order": {"field": "k"},
        },
    )


def land_data(m: ClassroomModel, lang: Lang) -> dict[str, Rows]:
    p, land_used_at_start = m.parks, m.land_used_at_start
    kinds = [t("land_used", lang) + " < 2022", t("land_used", lang) + " ≥ 2022", t("land_free", lang)]
    rows = []
    for i, park in enumerate(p.parks):
        values = (land_used_at_start[i], p.land_used[0, i] - land_used_at_start[i], p.land_free[0, i])
        rows += [
            {"park": name(park.cfg, lang), "i": i, "kind": kinds[k], "k": k, "ha": round(float(v), 1)}
            for k, v in enumerate(values)
        ]
    return {"land": rows}


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


def park_firms_data(m: ClassroomModel, lang: Lang) -> dict[str, Rows]:
    p = m.parks
    chains = [name(m.config.chains[c], lang) for c in m.chains.chain_ids]
    return {
        "firms": [
            {"park": name(park.cfg, lang), "i": i, "chain": chains[c], "c": c, "n": int(p.producing[0, c, i])}
            for i, park in enumerate(p.parks)
            for c in range(len(chains))
            if p.producing[0, c, i]
        ]
    }

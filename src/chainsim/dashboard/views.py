"""The dashboard's data: the datasets of each chart, built from the model's current state.

Each ``*_data(model, …)`` returns the named datasets that the chart of the same name in
:mod:`chainsim.dashboard.charts` draws; the browser swaps them in place (see
:mod:`chainsim.dashboard.vega`). Pure functions of the model: no Solara here.

The landing-rate view marks F16 (docs/reference/FACTS.md), the landing rate of 2022's
major projects.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import networkx as nx
import numpy as np

from chainsim.dashboard.charts import cohort_statuses, day_ms, land_kinds, segment_statuses
from chainsim.dashboard.classroom import ClassroomModel
from chainsim.dashboard.labels import Lang, name, source, stage, t
from chainsim.engine.records import F
from chainsim.vocabulary import Stage, source_names

Rows = list[dict[str, Any]]

F16_LANDING = 0.8697  # 287 of 330 major projects of 2022 landed by mid-2023
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


def _ms(dates: np.ndarray) -> list[int]:
    return dates.astype("datetime64[D]").astype("datetime64[ms]").astype(np.int64).tolist()


def time_span(m: ClassroomModel) -> tuple[int, int]:
    """The whole reported period (ms): time axes stay put while the lines grow into them."""
    cal = m.config.calendar
    return day_ms(cal.start_date - dt.timedelta(days=1)), day_ms(cal.end_date)


def _dates(m: ClassroomModel) -> list[int]:
    """Dates of the reported steps done so far, after a zero point on the eve of the start."""
    return [day_ms(m.config.calendar.start_date - dt.timedelta(days=1))] + _ms(
        m.calendar.date_end[m.reported]
    )


# --------------------------------------------------------------------------- funnel


# --------------------------------------------------------------------------- funnel
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


# --------------------------------------------------------------------------- signings by source
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


def funds_data(m: ClassroomModel, foreign: bool) -> dict[str, Rows]:
    ys = _within_year(m, "fdi_usd_yi" if foreign else "funds_in_place_yi")
    return {"series": [{"date": d, "y": y} for d, y in zip(_dates(m), ys, strict=True)]}


# --------------------------------------------------------------------------- landing by cohort


# --------------------------------------------------------------------------- landing by cohort
def cohort_data(m: ClassroomModel, lang: Lang) -> dict[str, Rows]:
    c = m.cohort_status()
    names = cohort_statuses(lang)
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


def chain_data(m: ClassroomModel, chain_id: str, lang: Lang) -> dict[str, Rows]:
    idx = m.chains
    g = idx.graphs[chain_id]
    pos = _layout(tuple(g.edges), tuple(g.nodes))
    local = idx.incumbents + m.producing_by_segment[0]
    new = m.producing_by_segment[0] - m.producing_at_start
    status = segment_statuses(lang)
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


# --------------------------------------------------------------------------- parks
def land_data(m: ClassroomModel, lang: Lang) -> dict[str, Rows]:
    p, land_used_at_start = m.parks, m.land_used_at_start
    kinds = land_kinds(lang)
    rows = []
    for i, park in enumerate(p.parks):
        values = (land_used_at_start[i], p.land_used[0, i] - land_used_at_start[i], p.land_free[0, i])
        rows += [
            {"park": name(park.cfg, lang), "i": i, "kind": kinds[k], "k": k, "ha": round(float(v), 1)}
            for k, v in enumerate(values)
        ]
    return {"land": rows}


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

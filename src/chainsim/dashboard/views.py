"""The dashboard's data: the datasets of each chart, built from the model's current state.

Each ``*_data(model, …)`` returns the named datasets that the chart of the same name in
:mod:`chainsim.dashboard.charts` draws; the browser swaps them in place (see
:mod:`chainsim.dashboard.vega`). Pure functions of the model: no Solara here.

The landing-rate view marks F16 (docs/reference/FACTS.md), the landing rate of 2022's
major projects.

With ``spread`` (the page's ensemble view), the signings, funds and landing-rate views
also get the range of the middle runs of the model's replicates (the batch the page runs,
:data:`~chainsim.dashboard.classroom.ENSEMBLE_RUNS`, without the
:data:`~chainsim.dashboard.classroom.SPREAD_DROP` lowest and highest: :func:`middle`): a
``band`` (by date) or a ``spread`` (by quarter) dataset. Middle runs, not the extremes:
one run that signs a giant project would otherwise stretch the band over everything.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import networkx as nx
import numpy as np

from chainsim.dashboard.charts import cohort_statuses, day_ms
from chainsim.dashboard.classroom import SPREAD_DROP, ClassroomModel
from chainsim.dashboard.labels import Lang, name, source, stage, t
from chainsim.dashboard.mapcharts import land_kinds, segment_statuses
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


def middle(values: np.ndarray, drop: int = SPREAD_DROP) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest of the replicates (along the first axis) once the ``drop`` lowest
    and highest are left out; NaN values (no data in that replicate) are not counted, and
    where fewer than ``2 * drop + 1`` remain, the plain lowest and highest."""
    v = np.sort(np.asarray(values, dtype=float), axis=0)  # NaN last
    n = (~np.isnan(v)).sum(axis=0)
    cut = np.where(n > 2 * drop, drop, 0)
    lo = np.take_along_axis(v, np.minimum(cut, np.maximum(n - 1, 0))[None], axis=0)[0]
    hi = np.take_along_axis(v, np.maximum(n - 1 - cut, 0)[None], axis=0)[0]
    return lo, hi


def _band(m: ClassroomModel, cum: np.ndarray) -> Rows:
    """The middle runs' range of the replicates (rows of ``cum``), by date."""
    lo, hi = middle(cum)
    return [
        {"date": d, "lo": round(float(lo[i]), 3), "hi": round(float(hi[i]), 3)}
        for i, d in enumerate(_dates(m))
    ]


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
def signings_data(m: ClassroomModel, lang: Lang, value: bool, spread: bool = False) -> dict[str, Rows]:
    if value:
        flows = m.value_by_source[0, m.reported]
    else:
        flows = m.recorder.flows[m.reported][:, [F[f"signings_by_source.{s}"] for s in source_names()]]
    names = [source(s, lang) for s in source_names()]
    cum = np.vstack([np.zeros((1, len(names))), np.cumsum(flows, axis=0)])
    out = {
        "cum": [
            {"date": d, "source": names[k], "k": k, "y": round(float(cum[i, k]), 2)}
            for i, d in enumerate(_dates(m))
            for k in range(len(names))
        ]
    }
    if spread:  # the total of every replicate
        per_run = (
            m.value_by_source[:, m.reported].sum(axis=2)
            if value
            else m.recorder_batch.flows[:, m.reported, F["signings"]]
        )
        out["band"] = _band(m, np.hstack([np.zeros((m.n_reps, 1)), np.cumsum(per_run, axis=1)]))
    return out


# --------------------------------------------------------------------------- funds
def within_year(m: ClassroomModel, flow: str) -> np.ndarray:
    """Cumulative sum of a flow since 1 January of each step's year, per replicate
    (replicates × (1 + reported steps done); 0 at the start)."""
    f = m.recorder_batch.flows[:, m.reported, F[flow]]
    years = m.calendar.date_end[m.reported].astype("datetime64[Y]")
    out = np.zeros((m.n_reps, f.shape[1] + 1))
    for y in np.unique(years):
        cols = np.flatnonzero(years == y)
        out[:, cols + 1] = np.cumsum(f[:, cols], axis=1)
    return out


def funds_data(m: ClassroomModel, foreign: bool, spread: bool = False) -> dict[str, Rows]:
    ys = within_year(m, "fdi_usd_yi" if foreign else "funds_in_place_yi")
    out = {"series": [{"date": d, "y": round(float(y), 3)} for d, y in zip(_dates(m), ys[0], strict=True)]}
    if spread:
        out["band"] = _band(m, ys)
    return out


# --------------------------------------------------------------------------- landing by cohort
def cohort_data(m: ClassroomModel, lang: Lang, spread: bool = False) -> dict[str, Rows]:
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
    out = {"bars": bars, "major": major, "f16": f16}
    if spread:
        shares = m.landed_shares()
        seen = ~np.isnan(shares).all(axis=0)
        lo, hi = middle(shares)
        out["spread"] = [
            {"quarter": q, "lo": round(float(lo[i]), 4), "hi": round(float(hi[i]), 4)}
            for i, q in enumerate(c.quarters)
            if seen[i]
        ]
    return out


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
    columns = sorted({x for x, _ in pos.values()})
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
                "above": columns.index(pos[sid][0]) % 2 == 1,  # label above the node (odd columns)
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

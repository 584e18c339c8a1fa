"""The report's sections, one per role a sweep plays in the experiment.

``factorial``: arm means, main effects, two-way interactions, what switching each strategy
off costs, funnels and signing sources; ``dose_response``: each lever's curve around the
2023 point; ``tradeoff``: the frontier of strategy mixes. Each returns its Markdown lines
and writes its figures (:mod:`chainsim.report.figures`) into ``dest``.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from chainsim.config.loader import ScenarioError
from chainsim.report import figures as fig
from chainsim.report.data import SweepData
from chainsim.report.labels import FUNNEL, abbr, arm_label, arm_legend, fig_title, heading, word
from chainsim.report.stats import Effect, contrast, decompose, paired, share_interval, unpaired
from chainsim.report.tables import bounds, ci, effect_row, effect_table, num
from chainsim.vocabulary import capital, metric_term, outcome_label, term

DOSE_OUTCOMES = [
    "periods.2023_2025.funds_in_place_yi",
    "cohorts.2023.landing_rate",
    "periods.2023_2025.signings_ge_10yi",
    "periods.2023_2025.signings",
]


def title(exp: dict[str, Any]) -> str:
    """The section title in English · Chinese (English alone when the file gives no Chinese title)."""
    zh = exp.get("title_zh") or ""
    return f"{exp['title']} · {zh}" if zh else exp["title"]


def factorial(d: SweepData, dest: Path, zh: bool) -> list[str]:
    names = list(d.factors)
    levels = [d.factors[n]["values"] for n in names]
    if any(v != ["off", "on"] for v in levels):
        raise ScenarioError(f"{d.dir}: a factorial experiment needs factors with values [off, on]", d.dir)
    arms = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*levels)]
    n = len(names)
    lines = [
        f"## {title(d.rec['experiment'])}",
        "",
        f"Sweep `{d.rec['name']}`: {len(arms)} arms (every combination of {', '.join(d.label(x, zh) for x in names)} "
        f"off / on) × {d.runs_phrase()} "
        f"= {len(d.runs)} runs.",
        "",
        f"### {heading('report.arm_means')}",
        "",
        f"| {word('report.arm')} | " + " | ".join(outcome_label(o, zh) for o in d.outcomes) + " |",
        "|---|" + "---:|" * len(d.outcomes),
    ]
    data = {o: [d.array(a, o) for a in arms] for o in d.outcomes}
    for i, a in enumerate(arms):
        lines.append(
            f"| {arm_label(a)} | " + " | ".join(num(decompose(data[o][i]).mean, o) for o in d.outcomes) + " |"
        )
    lines += [
        "",
        f"{arm_legend(names)}; ✓ {d.level_phrase(names, 'on')}; ✗ {d.level_phrase(names, 'off')}.",
        "",
    ]

    def sign(a: dict, j: str) -> int:
        return 1 if a[j] == "on" else -1

    main: dict[str, list[tuple[str, Effect]]] = {}
    inter: dict[str, list[tuple[str, Effect]]] = {}
    lines += [
        f"### {heading('report.main_effects')}",
        "",
        "The effect of switching a strategy on (on − off), averaged over the other strategies' settings, "
        "computed run by run on paired runs (same draw, same random numbers).",
        "",
    ]

    def main_effect(o: str, j: str) -> tuple[Effect, Effect]:
        """Strategy j's main effect on o, and the same from unpaired runs."""
        w = [sign(a, j) / 2 ** (n - 1) for a in arms]
        on = contrast(data[o], [max(x, 0) for x in w])
        off = contrast(data[o], [max(-x, 0) for x in w])
        return decompose(contrast(data[o], w)), unpaired(on, off)

    for o in d.outcomes:
        effects = [(j, *main_effect(o, j)) for j in names]
        main[o] = [(d.label(j, zh).replace(" · ", "\n"), e) for j, e, _ in effects]
        lines += effect_table(
            o, zh, [effect_row(d.label(j, zh), e, o, u, draws=d.draws) for j, e, u in effects], draws=d.draws
        )
    interactions = f"### {heading('report.interactions')}"
    lines += [
        interactions,
        "",
        "(effect of the first strategy with the second on) − (… with the second off)"
        + {2: "", 3: ", averaged over the third"}.get(n, ", averaged over the others")
        + ": positive = the two reinforce each other.",
        "",
    ]
    pairs = list(itertools.combinations(names, 2))
    for o in d.outcomes:
        joint = [
            decompose(contrast(data[o], [sign(a, j) * sign(a, l) / 2 ** (n - 2) for a in arms]))
            for j, l in pairs
        ]
        inter[o] = [(f"{abbr(j)}×{abbr(l)}", e) for (j, l), e in zip(pairs, joint, strict=True)]
        rows = [
            effect_row(f"{d.label(j, zh)} × {d.label(l, zh)}", e, o, draws=d.draws)
            for (j, l), e in zip(pairs, joint, strict=True)
        ]
        lines += effect_table(o, zh, rows, draws=d.draws)
    fig.forest(
        [(outcome_label(o, zh), main[o]) for o in d.outcomes],
        fig_title("report.main_effects_title", zh),
        dest / "main_effects.png",
        d.draws,
    )
    fig.forest(
        [(outcome_label(o, zh), inter[o]) for o in d.outcomes],
        fig_title("report.interactions", zh),
        dest / "interactions.png",
        d.draws,
    )
    lines[lines.index(interactions) : lines.index(interactions)] = ["![main effects](main_effects.png)", ""]
    lines += [
        "![interactions](interactions.png)",
        "",
        f"### {heading('report.switch_off')}",
        "",
        f"{ {2: 'Both', 3: 'All three'}.get(n, f'All {n}') } strategies on minus the same with one strategy "
        f"switched off ({d.level_phrase(names, 'off')}), paired.",
        "",
    ]
    on_all = {x: "on" for x in names}
    for o in d.outcomes:
        rows = []
        for j in names:
            y1, y0 = d.array(on_all, o), d.array({**on_all, j: "off"}, o)
            rows.append(
                effect_row(f"without {d.label(j, zh)}", paired(y1, y0), o, unpaired(y1, y0), draws=d.draws)
            )
        lines += effect_table(o, zh, rows, draws=d.draws)
    lines += funnel_section(d, arms, dest, zh)
    return lines


def funnel_section(d: SweepData, arms: list[dict], dest: Path, zh: bool) -> list[str]:
    stages = [s for s in FUNNEL if f"periods.2023_2025.{s}" in d.rec["outcomes"]]
    if not stages:
        return []
    means = [{s: decompose(d.array(a, f"periods.2023_2025.{s}")).mean for s in stages} for a in arms]
    names = [metric_term(s).both(" ") if zh else metric_term(s).en for s in stages]
    fig.funnels(
        [
            (arm_label(a), dict(zip(names, [m[s] for s in stages], strict=True)))
            for a, m in zip(arms, means, strict=True)
        ],
        names,
        f"{capital(term('report.funnel').en)}, 2023–2025" + (f" · {term('report.funnel').zh}" if zh else ""),
        dest / "funnels.png",
    )
    lines = [
        f"### {heading('report.funnel')} (2023–2025, mean flows)",
        "",
        "![funnels](funnels.png)",
        "",
        f"| {word('report.arm')} | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(stages),
    ]
    lines += [
        f"| {arm_label(a)} | " + " | ".join(num(m[s]) for s in stages) + " |"
        for a, m in zip(arms, means, strict=True)
    ]
    src = [o for o in d.rec["outcomes"] if o.startswith("periods.2023_2025.signings_by_source.")]
    if src:
        lines += [
            "",
            f"{capital(term('word.by_source').en)}, 2023–2025 {term('word.by_source').zh}",
            "",
            f"| {word('report.arm')} | " + " | ".join(outcome_label(o, zh, unit=False) for o in src) + " |",
            "|---|" + "---:|" * len(src),
        ]
        lines += [
            f"| {arm_label(a)} | " + " | ".join(num(decompose(d.array(a, o)).mean) for o in src) + " |"
            for a in arms
        ]
    return [*lines, ""]


def dose_response(d: SweepData, dest: Path, zh: bool) -> list[str]:
    ref = d.rec["reference"]
    varied = [f for f in d.factors if len(d.factors[f]["values"]) > 1]
    numeric = [
        f
        for f in varied
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in d.factors[f]["values"])
    ]
    categorical = [f for f in varied if f not in numeric]
    lines = [
        f"## {title(d.rec['experiment'])}",
        "",
        f"Sweep `{d.rec['name']}`: one lever at a time around the reference (2023) point "
        f"{', '.join(f'{k} = {v}' for k, v in ref.items())}; {d.runs_phrase()} "
        "per point. Curves show the change from the reference, paired run by run.",
        "",
    ]
    outcomes = [o for o in DOSE_OUTCOMES if o in d.rec["outcomes"]]
    table: list[str] = []
    for o in outcomes:
        y_ref = d.array(ref, o)
        panels = []
        for f in numeric:
            xs = d.factors[f]["values"]
            panels.append(
                {
                    "title": d.label(f, zh),
                    "x": xs,
                    "reference": ref[f],
                    "effects": [paired(d.array({**ref, f: v}, o), y_ref) for v in xs],
                    "unpaired": [unpaired(d.array({**ref, f: v}, o), y_ref) for v in xs],
                }
            )
        if categorical:
            alt = {f: next(v for v in d.factors[f]["values"] if v != ref[f]) for f in categorical}
            panels.append(
                {
                    "title": f"{term('report.switched').en} "
                    + "/".join(sorted(set(alt.values())))
                    + (f" · {term('report.switched').zh}" if zh else ""),
                    "x": [d.label(f, zh).replace(" · ", "\n") for f in categorical],
                    "categorical": True,
                    "effects": [paired(d.array({**ref, f: alt[f]}, o), y_ref) for f in categorical],
                    "unpaired": [unpaired(d.array({**ref, f: alt[f]}, o), y_ref) for f in categorical],
                }
            )
        png = f"dose_{o.replace('.', '_')}.png"
        fig.dose(
            panels,
            f"{outcome_label(o, zh)}: {term('report.change_from_2023').en}"
            + (f" · {term('report.change_from_2023').zh}" if zh else ""),
            term("report.change").both() if zh else term("report.change").en,
            dest / png,
            d.draws,
        )
        rows = []
        for p in panels:
            for x, e, u in zip(p["x"], p["effects"], p["unpaired"], strict=True):
                label = (
                    f"{p['title']} = {x}"
                    if not p.get("categorical")
                    else f"{str(x).replace(chr(10), ' ')} {p['title']}"
                )
                if not p.get("categorical") and x == p["reference"]:
                    continue
                rows.append(effect_row(label, e, o, u, draws=d.draws))
        table += effect_table(
            o,
            zh,
            rows,
            after_name=f" (reference level {num(decompose(y_ref).mean, o)})",
            above=[f"![{o}]({png})", ""],
            draws=d.draws,
        )
    return [*lines, *table]


def tradeoff(d: SweepData, dest: Path, zh: bool) -> list[str]:
    exp = d.rec["experiment"]
    x_o, y_o = exp["frontier"]
    names = list(d.factors)
    points = d.runs.drop_duplicates(names)[names].to_dict("records")
    base = exp.get("baseline")

    def label(p: dict) -> str:  # "trips 1.25, slots 16": a factor's last word and its value
        return ", ".join(
            f"{k.rsplit('_', 1)[-1]} {v:g}" if isinstance(v, (int, float)) else f"{k.rsplit('_', 1)[-1]} {v}"
            for k, v in p.items()
        )

    rows = [(label(p), decompose(d.array(p, x_o)), decompose(d.array(p, y_o))) for p in points]
    if base:  # the frontier of paired differences from the baseline: the shared parameter spread cancels
        drows = [
            (
                label(p),
                paired(d.array(p, x_o), d.array(base, x_o)),
                paired(d.array(p, y_o), d.array(base, y_o)),
            )
            for p in points
        ]
        fig.frontier(
            drows,
            f"change in {outcome_label(x_o, zh)}",
            f"change in {outcome_label(y_o, zh)}",
            exp["title"] + (f" · {exp['title_zh']}" if zh else "") + f" (vs {label(base)})",
            dest / "frontier.png",
            zero=True,
        )
    else:
        fig.frontier(
            rows,
            outcome_label(x_o, zh),
            outcome_label(y_o, zh),
            exp["title"] + (f" · {exp['title_zh']}" if zh else ""),
            dest / "frontier.png",
        )
    eff = set(fig.pareto([(ex.mean, ey.mean) for _, ex, ey in rows]))
    kind, band = ("param", "parameter") if d.draws else ("noise", "noise")

    def level_ci(p: dict, o: str) -> str:
        """A level's interval; a share's on the logit scale, so it stays within [0, 100 %]."""
        y = d.array(p, o)
        return bounds(*share_interval(y, kind), o) if o.endswith("_rate") else ci(decompose(y), kind, o)

    lines = [
        f"## {title(exp)}",
        "",
        f"Sweep `{d.rec['name']}`: {len(points)} mixes × {d.runs_phrase()}. Figure: paired change from the baseline mix, bars = "
        f"{'parameter uncertainty' if d.draws else 'noise'} 95 %; table: levels (a rate's interval is computed on the "
        "logit scale, so it stays within 0–100 %).",
        "",
        "![frontier](frontier.png)",
        "",
        f"| {word('report.mix')} | {outcome_label(x_o, zh)} | {band} 95 % | {outcome_label(y_o, zh)} | "
        f"{band} 95 % | {word('report.on_frontier')} |",
        "|---|---:|---|---:|---|:-:|",
    ]
    for i, (lab, ex, ey) in enumerate(rows):
        lines.append(
            f"| {lab} | {num(ex.mean, x_o)} | {level_ci(points[i], x_o)} | {num(ey.mean, y_o)} | "
            f"{level_ci(points[i], y_o)} | "
            f"{'✓' if i in eff else ''} |"
        )
    if base:
        paired_word = term("report.paired_from_baseline")
        lines += ["", f"{capital(paired_word.en)} ({label(base)}) {paired_word.zh}:", ""]
        for o in (x_o, y_o):
            y0 = d.array(base, o)
            rows = [
                effect_row(label(p), paired(d.array(p, o), y0), o, unpaired(d.array(p, o), y0), draws=d.draws)
                for p in points
                if p != base
            ]
            lines += effect_table(o, zh, rows, draws=d.draws)
    return [*lines, ""]

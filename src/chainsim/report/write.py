"""``chainsim report DIR``: report.md and figures for a finished ``chainsim experiment``.

Reads ``DIR/experiment.json`` and each sweep's results (:func:`chainsim.sweep.analyze.
load_finished`: complete, and the hash the experiment recorded), then writes
``DIR/report/report.md`` and its PNGs, each through a temporary file and a rename, only
after every check has passed. Effects are paired differences under common random numbers
(:mod:`chainsim.report.stats`); sections by the sweep's role: the factorial's main effects,
two-way interactions, what switching each strategy off costs, funnels and signing sources;
the dose–response curves; the trade-off frontier. The report states the chainsim
version, git commit, experiment and sweep files with their hashes, seeds, draws and
replicates, and the calibration posterior's SHA-256.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np

from chainsim.config.loader import ScenarioError
from chainsim.report import figures as fig
from chainsim.report.experiment import read_record
from chainsim.report.labels import (
    FUNNEL,
    HEADLINE,
    abbr,
    arm_label,
    arm_legend,
    fig_title,
    heading,
    word,
)
from chainsim.report.stats import Effect, contrast, decompose, paired, unpaired
from chainsim.results.outputs import atomic_write
from chainsim.vocabulary import capital, known, metric_term, outcome_label, strategy_term, term

DOSE_OUTCOMES = [
    "periods.2023_2025.funds_in_place_yi",
    "cohorts.2023.landing_rate",
    "periods.2023_2025.signings_ge_10yi",
    "periods.2023_2025.signings",
]


class SweepData:
    """One finished sweep of the experiment: its record and its runs."""

    def __init__(self, rec: dict[str, Any], out: Path) -> None:
        from chainsim.sweep.analyze import load_finished

        self.rec, self.dir = rec, out / rec["name"]
        manifest, self.runs, _ = load_finished(self.dir)
        if manifest["sweep"]["hash"] != rec["hash"]:
            raise ScenarioError(
                f"{self.dir}: holds results of sweep hash {manifest['sweep']['hash'][:12]}, but "
                f"experiment.json recorded {rec['hash'][:12]}; rerun `chainsim experiment`",
                self.dir,
            )
        if "draw" not in self.runs:
            self.runs["draw"] = 0
        self.factors: dict[str, dict] = rec["factors"]
        self.outcomes = [o for o in HEADLINE if o in rec["outcomes"]] or rec["outcomes"][:8]

    def array(self, where: dict[str, Any], outcome: str) -> np.ndarray:
        """Draw × replicate values of ``outcome`` at the design point ``where``."""
        mask = np.ones(len(self.runs), dtype=bool)
        for f, v in where.items():
            mask &= (self.runs[f] == v).to_numpy()
        sub = self.runs.loc[mask, ["draw", "replicate", outcome]]
        if sub.empty:
            raise ScenarioError(f"{self.dir}: no runs at {where}", self.dir)
        return sub.pivot(index="draw", columns="replicate", values=outcome).sort_index().to_numpy(float)

    def label(self, name: str, zh: bool) -> str:
        if known(f"strategy.{name}"):
            t = strategy_term(name)
            return t.both(short=True) if zh else t.short_en
        cn = self.factors.get(name, {}).get("name_zh", "")
        return f"{name.replace('_', ' ')} · {cn}" if zh and cn else name.replace("_", " ")


# --------------------------------------------------------------------------- formatting
def num(x: float, outcome: str = "") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if outcome.endswith("_rate"):
        return f"{100 * x:.1f} %"
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def ci(e: Effect, kind: str, outcome: str = "") -> str:
    if math.isnan(e.mean):
        return "–"
    lo, hi = e.interval(kind)
    return f"[{num(lo, outcome)}, {num(hi, outcome)}]"


def effect_row(name: str, e: Effect, outcome: str, u: Effect | None = None) -> str:
    gain = (
        f"{u.noise_sd / e.noise_sd:.1f}×"
        if u is not None and e.noise_sd > 0 and not math.isnan(u.noise_sd)
        else "–"
    )
    return (
        f"| {name} | **{num(e.mean, outcome)}** | {ci(e, 'param', outcome)} | {ci(e, 'noise', outcome)} | "
        f"{ci(e, 'total', outcome)} | ±{num(1.96 * e.mc_se, outcome)} | {gain} |"
    )


def effect_head() -> list[str]:
    words = " | ".join(
        word(f"report.{k}") for k in ("effect", "mean", "parameter_95", "noise_95", "total_95")
    )
    return [f"| {words} | ± MC 95 % | CRN gain |", "|---|---:|---|---|---|---:|---:|"]


# --------------------------------------------------------------------------- sections
def factorial(d: SweepData, dest: Path, zh: bool) -> list[str]:
    names = list(d.factors)
    levels = [d.factors[n]["values"] for n in names]
    if any(v != ["off", "on"] for v in levels):
        raise ScenarioError(f"{d.dir}: a factorial experiment needs factors with values [off, on]", d.dir)
    arms = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*levels)]
    n = len(names)
    lines = [
        f"## {d.rec['experiment']['title']} · {d.rec['experiment']['title_zh']}",
        "",
        f"Sweep `{d.rec['name']}`: {len(arms)} arms (every combination of {', '.join(d.label(x, zh) for x in names)} "
        f"off / on) × {d.rec['draws'] or 1} posterior draws × {d.rec['replications']} replicates "
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
        f"{arm_legend(names)}; ✓ on at the 2023 intensity, ✗ off from 1 January 2023.",
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
    for o in d.outcomes:
        lines += [f"**{outcome_label(o, zh)}**", "", *effect_head()]
        main[o] = []
        for j in names:
            w = [sign(a, j) / 2 ** (n - 1) for a in arms]
            e = decompose(contrast(data[o], w))
            on = contrast(data[o], [max(x, 0) for x in w])
            off = contrast(data[o], [max(-x, 0) for x in w])
            main[o].append((d.label(j, zh).replace(" · ", "\n"), e))
            lines.append(effect_row(d.label(j, zh), e, o, unpaired(on, off)))
        lines.append("")
    interactions = f"### {heading('report.interactions')}"
    lines += [
        interactions,
        "",
        "(effect of the first strategy with the second on) − (… with the second off), averaged over the third: "
        "positive = the two reinforce each other.",
        "",
    ]
    for o in d.outcomes:
        lines += [f"**{outcome_label(o, zh)}**", "", *effect_head()]
        inter[o] = []
        for j, l in itertools.combinations(names, 2):
            e = decompose(contrast(data[o], [sign(a, j) * sign(a, l) / 2 ** (n - 2) for a in arms]))
            inter[o].append((f"{abbr(j)}×{abbr(l)}", e))
            lines.append(effect_row(f"{d.label(j, zh)} × {d.label(l, zh)}", e, o))
        lines.append("")
    fig.forest(
        [(outcome_label(o, zh), main[o]) for o in d.outcomes],
        fig_title("report.main_effects_title", zh),
        dest / "main_effects.png",
    )
    fig.forest(
        [(outcome_label(o, zh), inter[o]) for o in d.outcomes],
        fig_title("report.interactions", zh),
        dest / "interactions.png",
    )
    lines[lines.index(interactions) : lines.index(interactions)] = ["![main effects](main_effects.png)", ""]
    lines += [
        "![interactions](interactions.png)",
        "",
        f"### {heading('report.switch_off')}",
        "",
        "All three strategies on (2023) minus the same with one strategy off from 2023 (paired).",
        "",
    ]
    on_all = {x: "on" for x in names}
    for o in d.outcomes:
        lines += [f"**{outcome_label(o, zh)}**", "", *effect_head()]
        for j in names:
            y1, y0 = d.array(on_all, o), d.array({**on_all, j: "off"}, o)
            lines.append(effect_row(f"without {d.label(j, zh)}", paired(y1, y0), o, unpaired(y1, y0)))
        lines.append("")
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
        f"## {d.rec['experiment']['title']} · {d.rec['experiment']['title_zh']}",
        "",
        f"Sweep `{d.rec['name']}`: one lever at a time around the reference (2023) point "
        f"{', '.join(f'{k} = {v}' for k, v in ref.items())}; {d.rec['draws'] or 1} posterior draws × "
        f"{d.rec['replications']} replicates per point. Curves show the change from the reference, paired run by run.",
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
        )
        table += [
            f"**{outcome_label(o, zh)}** (reference level {num(decompose(y_ref).mean, o)})",
            "",
            f"![{o}]({png})",
            "",
            *effect_head(),
        ]
        for p in panels:
            for x, e, u in zip(p["x"], p["effects"], p["unpaired"], strict=True):
                label = (
                    f"{p['title']} = {x}"
                    if not p.get("categorical")
                    else f"{str(x).replace(chr(10), ' ')} {p['title']}"
                )
                if not p.get("categorical") and x == p["reference"]:
                    continue
                table.append(effect_row(label, e, o, u))
        table.append("")
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
    lines = [
        f"## {exp['title']} · {exp['title_zh']}",
        "",
        f"Sweep `{d.rec['name']}`: {len(points)} mixes × {d.rec['draws'] or 1} posterior draws × "
        f"{d.rec['replications']} replicates. Figure: paired change from the baseline mix, bars = parameter "
        "uncertainty 95 %; table: levels.",
        "",
        "![frontier](frontier.png)",
        "",
        f"| {word('report.mix')} | {outcome_label(x_o, zh)} | parameter 95 % | {outcome_label(y_o, zh)} | "
        f"parameter 95 % | {word('report.on_frontier')} |",
        "|---|---:|---|---:|---|:-:|",
    ]
    for i, (lab, ex, ey) in enumerate(rows):
        lines.append(
            f"| {lab} | {num(ex.mean, x_o)} | {ci(ex, 'param', x_o)} | {num(ey.mean, y_o)} | {ci(ey, 'param', y_o)} | "
            f"{'✓' if i in eff else ''} |"
        )
    if base:
        paired_word = term("report.paired_from_baseline")
        lines += ["", f"{capital(paired_word.en)} ({label(base)}) {paired_word.zh}:", ""]
        for o in (x_o, y_o):
            lines += [f"**{outcome_label(o, zh)}**", "", *effect_head()]
            y0 = d.array(base, o)
            lines += [
                effect_row(label(p), paired(d.array(p, o), y0), o, unpaired(d.array(p, o), y0))
                for p in points
                if p != base
            ]
            lines.append("")
    return [*lines, ""]


# --------------------------------------------------------------------------- the report
def write_report(out: str | Path) -> Path:
    """Check everything, then write ``out/report/report.md`` and its figures."""
    out = Path(out)
    rec = read_record(out)
    if rec.get("status") != "complete":
        raise ScenarioError(
            f"{out}: the experiment is {rec.get('status')}; rerun `{rec.get('command') or 'chainsim experiment'}` "
            "to finish it first",
            out / "experiment.json",
        )
    sweeps = [SweepData(s, out) for s in rec["sweeps"]]
    font = fig.setup()
    zh = font is not None
    dest = out / "report"
    dest.mkdir(exist_ok=True)
    body: list[str] = []
    for d in sweeps:
        role = d.rec["experiment"]["role"]
        body += {"factorial": factorial, "dose_response": dose_response, "tradeoff": tradeoff}[role](
            d, dest, zh
        )
    text = "\n".join([*header(rec, sweeps, font), *body, *assumptions(rec)]) + "\n"
    atomic_write(dest / "report.md", lambda p: p.write_text(text, encoding="utf-8"))
    return dest


def header(rec: dict[str, Any], sweeps: list[SweepData], font: str | None) -> list[str]:
    cal = rec.get("calibration") or {}
    git = rec.get("git") or {}
    lines = [
        f"# {rec['name']}: {term('report.title').both()}",
        "",
        f"## {heading('report.provenance')}",
        "",
        f"- chainsim {rec['chainsim_version']}, git {git.get('commit', '–')}{' (with local changes)' if git.get('dirty') else ''}, "
        f"Python {rec.get('python')}; backend {rec.get('backend')}; run {rec.get('started')} → {rec.get('ended')}",
        f"- experiment file `{rec['file']}` (SHA-256 `{rec['file_sha256'][:16]}…`); command `{rec.get('command') or '–'}`",
    ]
    if cal:
        stamp = cal.get("stamp", {})
        lines += [
            f"- calibration posterior `{cal['posterior']}` **SHA-256 `{cal['posterior_sha256']}`** "
            f"(calibrated {stamp.get('date', '?')}, generation {stamp.get('generation', '?')}, chainsim "
            f"{stamp.get('chainsim_version', '?')}); calibration config `{cal['calibration']}` (SHA-256 "
            f"`{cal['calibration_sha256'][:16]}…`)"
        ]
    lines += [
        "",
        "| sweep | file | role | seed | draws K | replicates R | runs | sweep hash | time |",
        "|---|---|---|---:|---:|---:|---:|---|---:|",
    ]
    for d in sweeps:
        s, t = d.rec, rec.get("timings", {}).get(d.rec["name"], {})
        lines.append(
            f"| {s['name']} | `{s['file']}` | {s['experiment']['role']} | {s['seed']} | {s['draws'] or '–'} | "
            f"{s['replications']} | {len(d.runs)} | `{s['hash'][:12]}` | {t.get('seconds', '–')} s |"
        )
    lines += [
        "",
        "Seeds: run (draw k, replicate r) uses `SeedSequence(S_r, spawn_key=(k,))`, S_r = replicate r's seed of "
        "`chainsim run --seed SEED`; the same in every arm (common random numbers). Draws: systematic resample of the "
        "posterior weights seeded by the sweep seed, as `chainsim run --posterior-draws K`.",
        "",
        f"## {heading('report.how_to_read')}",
        "",
        "Every effect is a **paired difference**: the arms ran the same posterior draws with the same random numbers, "
        "so a difference is computed run by run and the shared noise cancels. For each effect: **mean**; "
        "**parameter 95 %** = mean ± 1.96 σ_θ, how much the effect differs across the calibration's plausible "
        "parameter values (between-draw spread with the noise removed: what the data do not pin down); "
        "**noise 95 %** = mean ± 1.96 σ_w, the chance variation of the effect in one realised history with the "
        "parameters known (within-draw spread); **total 95 %** combines both; **± MC** is the Monte Carlo 95 % "
        "half-width of the mean itself (s_b/√K); **CRN gain** = noise sd had the arms run on independent random "
        "numbers ÷ the paired noise sd (same runs).",
        "",
    ]
    if font is None:
        lines += [
            "> **No CJK font found** (`fc-list :lang=zh` is empty): figure labels are in English only. Install one "
            "from Debian (`apt-get install fonts-noto-cjk` or `fonts-wqy-microhei`) and rerun `chainsim report`.",
            "",
        ]
    else:
        lines += [f"Figures: matplotlib, Chinese glyphs from {font}.", ""]
    return lines


def assumptions(rec: dict[str, Any]) -> list[str]:
    lines = [f"## {heading('report.assumptions')}", ""]
    for s in rec["sweeps"]:
        lines += [f"- *{s['name']}*: {a}" for a in s["experiment"].get("assumptions", [])]
    lines += [
        "- Parameters the calibration leaves undetermined (see calibration/report/) spread into the parameter "
        "intervals; structural assumptions of the model (docs/model.md) are not in any interval."
    ]
    return lines

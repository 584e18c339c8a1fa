"""``chainsim report DIR``: report.md and figures for a finished ``chainsim experiment``.

Reads ``DIR/experiment.json`` and each sweep's results (:func:`chainsim.sweep.analyze.
load_finished`: complete, and the hash the experiment recorded), then writes
``DIR/report/report.md`` and its PNGs, each through a temporary file and a rename, only
after every check has passed. Effects are paired differences under common random numbers
(:mod:`chainsim.report.stats`); the sections by the sweep's role (:mod:`chainsim.report.sections`):
the factorial's main effects, two-way interactions, what switching each strategy off costs,
funnels and signing sources; the dose–response curves; the trade-off frontier. This module
writes the file: the header, the sections, the assumptions. The report states the chainsim
version, git commit, experiment and sweep files with their hashes, seeds, draws and
replicates, and the calibration posterior's SHA-256.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chainsim.config.loader import ScenarioError
from chainsim.report import figures as fig
from chainsim.report.data import SweepData
from chainsim.report.experiment import read_record
from chainsim.report.labels import heading
from chainsim.report.sections import dose_response, factorial, tradeoff
from chainsim.report.tables import recording
from chainsim.results.outputs import atomic_write
from chainsim.vocabulary import term


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
    with recording() as effects:
        for d in sweeps:
            role = d.rec["experiment"]["role"]
            effects.sweep = d.rec["name"]
            body += {"factorial": factorial, "dose_response": dose_response, "tradeoff": tradeoff}[role](
                d, dest, zh
            )
    text = "\n".join([*header(rec, sweeps, font), *body, *assumptions(rec)]) + "\n"
    atomic_write(dest / "effects.csv", lambda p: write_effects_csv(p, effects.rows))
    atomic_write(dest / "report.md", lambda p: p.write_text(text, encoding="utf-8"))
    return dest


def write_effects_csv(path: Path, effects: list[dict]) -> None:
    """Every effect of the report's tables, one row each, at full precision (docs/outputs.md);
    an interval that does not exist (no posterior draws, too few runs) is an empty cell."""
    import csv
    import math

    from chainsim.vocabulary import outcome_label

    fields = ["sweep", "outcome", "outcome_en", "outcome_zh", *list(effects[0])[2:]] if effects else ["sweep"]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for row in effects:
            cells = {k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            en, both = outcome_label(row["outcome"], False), outcome_label(row["outcome"], True)
            w.writerow({**cells, "outcome_en": en, "outcome_zh": both.split(" · ")[-1]})


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
            f"(calibrated {stamp.get('date', '?')}, "
            + (
                f"{stamp['method']}, {stamp.get('waves', '?')} waves"
                if stamp.get("method") == "emulator"
                else f"generation {stamp.get('generation', '?')}"
            )
            + ", chainsim "
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
    no_draws = [d.rec["name"] for d in sweeps if not d.draws]
    lines += [
        "",
        *(
            [
                f"No posterior draws in {', '.join(no_draws)}: every run uses the scenario's own parameters, so "
                "those effects carry stochastic noise only (no parameter-uncertainty column), and ± MC is the "
                "noise over the R replicates.",
                "",
            ]
            if no_draws
            else []
        ),
        "Seeds: run (draw k, replicate r) uses `SeedSequence(S_r, spawn_key=(k,))`, S_r = replicate r's seed of "
        "`chainsim run --seed SEED`; the same in every arm (common random numbers). Draws: systematic resample of the "
        "posterior weights seeded by the sweep seed, as `chainsim run --posterior-draws K`.",
        "",
        f"## {heading('report.how_to_read')}",
        "",
        how_to_read(any(d.draws for d in sweeps)),
        "",
    ]
    if font is None:
        lines += [
            "> **No CJK font found**: figure labels are in English only. The project's font (Noto Sans SC) comes "
            "with the `fonts` extra, which `./dev setup` and `pip install 'chainsim[report]'` install; add it with "
            "`pip install 'chainsim[fonts]'` (or install a system CJK font) and rerun `chainsim report`.",
            "",
        ]
    else:
        lines += [f"Figures: matplotlib, Chinese glyphs from {font}.", ""]
    return lines


def how_to_read(draws: bool) -> str:
    """What each column of the effect tables means; without posterior draws there is no
    parameter column, and ± MC is over the replicates."""
    if not draws:
        return (
            "Every effect is a **paired difference**: the arms ran the same random numbers, so a difference is "
            "computed run by run and the shared noise cancels. For each effect: **mean**; **noise 95 %** = mean ± "
            "1.96 σ, the chance variation of the effect in one realised history (spread of the paired differences "
            "over the replicates); **± MC** is the Monte Carlo 95 % half-width of the mean itself (s/√R over the R "
            "replicates); **CRN gain** = noise sd had the arms run on independent random numbers ÷ the paired "
            "noise sd (same runs). Every run uses one parameter set, so no interval includes parameter uncertainty."
        )
    return (
        "Every effect is a **paired difference**: the arms ran the same posterior draws with the same random "
        "numbers, so a difference is computed run by run and the shared noise cancels. For each effect: **mean**; "
        "**parameter 95 %** = mean ± 1.96 σ_θ, how much the effect differs across the calibration's plausible "
        "parameter values (between-draw spread with the noise removed: what the data do not pin down); "
        "**noise 95 %** = mean ± 1.96 σ_w, the chance variation of the effect in one realised history with the "
        "parameters known (within-draw spread); **total 95 %** combines both; **± MC** is the Monte Carlo 95 % "
        "half-width of the mean itself (s_b/√K); **CRN gain** = noise sd had the arms run on independent random "
        "numbers ÷ the paired noise sd (same runs)."
    )


def assumptions(rec: dict[str, Any]) -> list[str]:
    lines = [f"## {heading('report.assumptions')}", ""]
    for s in rec["sweeps"]:
        lines += [f"- *{s['name']}*: {a}" for a in s["experiment"].get("assumptions", [])]
    if any(s.get("draws") for s in rec["sweeps"]):
        lines.append(
            "- Parameters the calibration leaves undetermined (see calibration/report/) spread into the parameter "
            "intervals; structural assumptions of the model (docs/model.md) are not in any interval."
        )
    else:
        lines.append(
            "- No posterior draws: every run uses the scenario's own parameter values, so no interval here "
            "includes parameter uncertainty; nor does any include the structural assumptions of the model "
            "(docs/model.md)."
        )
    return lines

"""The documentation renders: every code fence opens and closes on a line of its own, and
the experiment's run count is the same wherever the docs state it."""

from __future__ import annotations

import re

import pytest

from paths import ROOT

DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_code_fences_are_balanced_and_alone_on_their_lines(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    fences = [(i, line) for i, line in enumerate(lines, 1) if "```" in line]
    for i, line in fences:
        # an opening fence may name a language; nothing may follow a closing one
        assert re.fullmatch(r"\s*```[\w+-]*\s*", line), f"{path.name}:{i}: text beside a code fence: {line!r}"
    assert len(fences) % 2 == 0, f"{path.name}: an unclosed code fence"


def test_the_experiment_run_count_agrees_everywhere():
    from chainsim.sweep.config import load_sweep
    from chainsim.sweep.design import n_points

    files = ["strategy_comparison.yaml", "strategy_dose_response.yaml", "strategy_tradeoff.yaml"]
    total = 0
    for name in files:
        sweep = load_sweep(ROOT / "experiments" / name)
        total += n_points(sweep) * sweep.spec.replications
    stated = f"{total:,}"
    for path in (
        ROOT / "docs" / "experiments.md",
        ROOT / "experiments" / "strategy_comparison.yaml",
        ROOT / "README.md",
    ):
        text = path.read_text(encoding="utf-8")
        counts = set(re.findall(r"(\d,\d{3}) runs", text))
        assert counts <= {stated, "1,600", "2,100"}, f"{path.name} states {counts}, the files make {stated}"

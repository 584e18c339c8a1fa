"""The vocabulary: one English and one Chinese term per concept, the only home of Chinese words
in the code, and sources that strategies add at run time."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import get_args, get_origin

import pytest

import chainsim
from chainsim import vocabulary as V
from chainsim.config.schema import Reforms, Strategies
from chainsim.dashboard import labels as dashboard_labels
from chainsim.engine import strategies as engine_strategies
from chainsim.results.outputs import print_summary
from chainsim.results.summary import PERIOD_METRICS
from chainsim.sweep.outcomes import leaf_paths, summary_skeleton

SRC = Path(chainsim.__file__).parent
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
UNITS = re.compile(r"亿美元|亿元|亿")  # the model's units, written the same in English text (FACTS)


def chinese(text: str) -> bool:
    return bool(CJK.search(text))


def assert_bilingual(t: V.Term) -> None:
    assert V.known(t.key), t.key
    assert t.en.strip() and not chinese(UNITS.sub("", t.en)), t
    assert chinese(t.zh), t


# --------------------------------------------------------------------------- coverage
def test_every_stage_and_source_has_both_languages():
    assert V.STAGE_NAMES == [s.name.lower() for s in V.Stage]
    assert V.SOURCE_NAMES[:5] == [s.name.lower() for s in V.Source if s >= 0]
    for s in V.Stage:
        assert_bilingual(V.stage_term(s))
        assert V.stage_term(s) is V.stage_term(s.name.lower())
    for s in V.Source:
        if s >= 0:
            assert_bilingual(V.source_term(s))
            assert V.source_term(s).name == V.SOURCE_NAMES[s]
    assert V.STAGE_ZH == [V.stage_term(s).zh for s in V.Stage]
    assert V.SOURCE_ZH == [V.source_term(s).zh for s in V.SOURCE_NAMES]


def test_every_strategy_and_reform_has_both_languages():
    names = {"leader_led", "chain_based", "commissioners", "events", "organic"}
    names |= set(Strategies.model_fields)  # the scenario's strategy sections
    names |= {cls.key for cls in engine_strategies.registered()}  # the engine's strategy modules
    for n in sorted(names):
        t = V.strategy_term(n)
        assert_bilingual(t)
        assert t.abbr and t.short_en
    for r in (f for f in Reforms.model_fields if not f.endswith("_factor")):
        assert_bilingual(V.term(f"reform.{r}"))


def test_every_indicator_and_summary_path_has_both_languages():
    for m in PERIOD_METRICS:
        assert_bilingual(V.metric_term(m))
    cfg = chainsim.load(Path(__file__).parents[1] / "scenarios/kunming_2023.yaml")
    paths = [".".join(p) for p in leaf_paths(summary_skeleton(cfg))]
    assert len(paths) > 50
    for path in paths:
        t = V.outcome_term(path)
        assert V.known(f"metric.{path.rsplit('.', 1)[-1]}") or ".signings_by_source." in path, path
        assert t.en.strip() and chinese(t.zh), path


def test_every_term_has_both_languages():
    terms = V.terms()
    assert len({t.key for t in terms}) == len(terms) > 150
    for t in terms:
        assert t.en.strip() and t.zh.strip(), t
        if not t.key.startswith("ui."):  # the dashboard's words include "English", "亿元" …
            assert_bilingual(t)


def test_one_chinese_term_per_concept_where_tables_disagreed():
    assert V.label("source.anchor_referral", "zh") == "龙头企业引荐"
    assert V.label("source.leader_trip", "zh") == "领导外出招商"
    assert V.label("metric.funds_in_place_yi", "zh") == "省外产业到位资金"  # FACTS F2a
    assert V.label("strategy.leader_led", "zh") == "“一把手”招商"
    zh = {t.zh for t in V.terms()}
    assert not zh & {"以商招商", "领导招商", "自发", "10亿元以上项目"}


def test_lookups_fall_back_to_the_key():
    assert V.label("source.fund_led", "zh") == "fund_led"
    assert V.term("nothing") == V.Term("nothing", "nothing", "nothing")
    assert V.source_term(99).text("en") == "99" and V.stage_term(42).text("zh") == "42"
    assert V.outcome_label("periods.2023H1.no_such_metric") == "no such metric 2023H1"
    assert dashboard_labels.t("no_such_word", "zh") == "no_such_word"
    assert V.label("ui.step_of", "en", n=3, total=9) == "Step 3 of 9"


# --------------------------------------------------------------------------- sources added at run time
def test_register_source():
    with V.sources_restored():
        names = V.SOURCE_NAMES
        code = V.register_source("fund_led", "guidance-fund co-investment", "基金招商")
        assert code == 5 == V.source_code("fund_led") and names is V.SOURCE_NAMES  # grown in place
        assert V.source_names() == [*[s.name.lower() for s in V.Source if s >= 0], "fund_led"]
        assert V.source_names() is not V.SOURCE_NAMES
        assert V.register_source("fund_led", "guidance-fund co-investment", "基金招商") == 5  # idempotent
        assert V.register_source("organic", "organic arrivals", "自主来访") == V.Source.ORGANIC
        assert len(V.SOURCE_NAMES) == 6 and V.SOURCE_ZH[5] == "基金招商"
        with pytest.raises(ValueError, match="already registered"):
            V.register_source("fund_led", "guidance fund", "基金招商")
        with pytest.raises(ValueError, match="already registered"):
            V.register_source("organic", "walk-ins", "自主来访")
        for bad in ("Fund", "fund-led", "", "9lives"):
            with pytest.raises(ValueError, match="source key"):
                V.register_source(bad, "x", "某")
        with pytest.raises(ValueError, match="English and a Chinese"):
            V.register_source("silent", "silent", " ")
        assert V.register_source("park_tour", "park tours", "园区考察") == 6
        # every consumer looks the new source up when it runs
        assert V.source_term(5).zh == V.source_term("fund_led").zh == "基金招商"
        assert dashboard_labels.source(6, "en") == "park tours"
        assert V.outcome_label("periods.2023H1.signings_by_source.fund_led") == (
            "signings from guidance-fund co-investment 2023H1 · 基金招商签约"
        )
    assert V.source_names() == [s.name.lower() for s in V.Source if s >= 0]
    assert not V.known("source.fund_led") and V.source_code("fund_led") == V.Source.NONE


def test_printed_summary_shows_a_registered_source():
    stat = {"mean": 1.0, "ci95": [1.0, 1.0]}
    period = {m: stat for m in PERIOD_METRICS}
    period["signings_by_source"] = {s: stat for s in [*V.SOURCE_NAMES, "fund_led", "unknown_one"]}
    summary = {
        "chainsim_version": "x",
        "scenario": "s",
        "seed": 1,
        "replications": 1,
        "config_hash": "h",
        "periods": {"2023H1": period},
        "cohorts": {},
        "events": {},
        "durations": {},
    }
    lines: list[str] = []
    with V.sources_restored():
        V.register_source("fund_led", "guidance-fund co-investment", "基金招商")
        print_summary(summary, None, lines.append)  # type: ignore[arg-type]
    text = "\n".join(lines)
    assert "  fund_led 基金招商" in text and "  anchor_referral 龙头企业引荐" in text
    assert "  unknown_one " in text and "unknown_one unknown_one" not in text  # not registered: its key


# --------------------------------------------------------------------------- the one home
def _code_strings(path: Path) -> list[tuple[int, str]]:
    """String literals of a module that the program can print: not docstrings, not the
    ``description=`` of a schema field or a command's help (documentation)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docs.add(id(first.value))
        if isinstance(node, ast.keyword) and node.arg == "description":
            docs |= {id(sub) for sub in ast.walk(node.value)}
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
    ]


def test_chinese_words_live_only_in_the_vocabulary():
    """A Chinese word in code outside the vocabulary package would be a label table of its own: the way
    four tables drifted apart (以商招商 in one, 龙头企业引荐 in another). Docstrings, comments,
    schema descriptions and the units 亿 / 亿元 / 亿美元 are not labels; names that belong to a
    scenario (events, chains, parks) come from its YAML, not from code."""
    offenders = [
        f"{path.relative_to(SRC.parent)}:{line}: {text[:60]!r}"
        for path in sorted(SRC.rglob("*.py"))
        if SRC / "vocabulary" not in path.parents
        for line, text in _code_strings(path)
        if chinese(UNITS.sub("", text))
    ]
    assert not offenders, (
        "put these words in chainsim/vocabulary/tables.py (the dashboard's in dashboard_words.py):\n"
        + "\n".join(offenders)
    )


def test_the_check_sees_tables_fstrings_and_keywords(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        '"""模块说明。"""\nX = {"a": ("b", "以商招商")}\ny = f"{X} 签约"\nf(name_zh="后验")\n'
        'g(description="说明")\nz = "3 亿元"\n',
        encoding="utf-8",
    )
    found = [t for _, t in _code_strings(probe) if chinese(UNITS.sub("", t))]
    assert sorted(found) == sorted(["以商招商", " 签约", "后验"])


# --------------------------------------------------------------------------- scenario fields
def _titled_fields(model: type, prefix: str = "") -> dict[str, str]:
    """Schema path ('*' for a mapping's or list's entry) → title, of every field with a title."""
    from pydantic import BaseModel

    from chainsim.sweep.labels import unwrap

    found = {}
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        if info.title:
            found[path] = info.title
        tp = unwrap(info.annotation)
        while get_origin(tp) in (dict, list):
            path += ".*"
            tp = unwrap(get_args(tp)[-1])
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            found |= _titled_fields(tp, f"{path}.")
    return found


def test_every_titled_scenario_field_has_its_chinese_name_and_back():
    """The English of a field's label is its title in the schema, the Chinese the vocabulary's
    FIELD_ZH: a title without Chinese, or Chinese for a path the schema does not title, fails."""
    from chainsim.config.schema import Scenario

    titled = _titled_fields(Scenario)
    assert len(titled) >= 20 and titled["pipeline.engage_prob_per_step"] == "Engagement probability per week"
    assert sorted(titled) == sorted(V.FIELD_ZH)
    assert all(zh and chinese(zh) for zh in V.FIELD_ZH.values())

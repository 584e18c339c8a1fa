"""Tests for chainsim.config.loader: loading, extends/--set merging, and error messages.

Uses a tiny schema defined here, so these tests do not depend on the real scenario schema.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Annotated, Literal

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, model_validator

from chainsim.config import yamlfile
from chainsim.config.loader import (
    Origin,
    ScenarioError,
    extends_allowed,
    load_scenario,
    load_yaml_mapping,
    resolve_scenario,
    validate,
)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Park(_Frozen):
    land_ha: float = Field(ge=0)
    kind: Literal["industrial", "logistics"] = "industrial"


class Market(_Frozen):
    price_yi: float = Field(1.0, gt=0)


class Scenario(_Frozen):
    name: str
    start_date: dt.date
    years: int = Field(1, ge=1, le=50)
    regions: list[str] = []
    parks: dict[str, Park] = {}
    market: Market = Market()


class Circle(_Frozen):
    kind: Literal["circle"]
    radius: float = Field(gt=0)


class Square(_Frozen):
    kind: Literal["square"]
    side: float = Field(gt=0)


class Shapes(_Frozen):
    shape: Circle | Square


class Keyed(_Frozen):
    parks: dict[Annotated[str, Field(pattern=r"^[a-z_]+$")], Park]
    first_year: int = 2022
    last_year: int = 2023

    @model_validator(mode="after")
    def _ordered(self) -> Keyed:
        if self.last_year < self.first_year:
            raise ValueError("last_year must not be before first_year")
        return self


BASE = """\
name: base
start_date: 2022-01-01
regions: [kunming, yuxi, qujing]
parks:
  anning:
    land_ha: 500
    kind: industrial
  jinning:
    land_ha: 300
market:
  price_yi: 2.5
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(fn, *args) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        fn(*args)
    assert info.value.exit_code == 2
    return info.value


# ------------------------------------------------------------------------ happy paths
def test_load_valid_scenario(tmp_path: Path) -> None:
    path = write(tmp_path, "base.yaml", BASE)
    config, merged = load_scenario(Scenario, path)
    assert isinstance(config, Scenario)
    assert config.start_date == dt.date(2022, 1, 1)
    assert config.parks["anning"].land_ha == 500
    assert merged["regions"] == ["kunming", "yuxi", "qujing"]


def test_line_numbers_for_keys_and_list_items(tmp_path: Path) -> None:
    data, lines = load_yaml_mapping(write(tmp_path, "base.yaml", BASE))
    assert data["parks"]["jinning"] == {"land_ha": 300}
    assert lines[("name",)] == 1
    assert lines[("parks", "anning", "land_ha")] == 6
    assert lines[("parks", "jinning")] == 8
    assert lines[("market", "price_yi")] == 11
    write(tmp_path, "list.yaml", "items:\n  - a: 1\n  - a: 2\n")
    _, lines = load_yaml_mapping(tmp_path / "list.yaml")
    assert lines[("items", 1)] == 3 and lines[("items", 1, "a")] == 3


def test_extends_deep_merges_mappings_and_replaces_lists(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    over = write(
        tmp_path,
        "sub/over.yaml",
        """\
        extends: ../base.yaml
        regions: [dali]
        parks:
          anning:
            land_ha: 800
        """,
    )
    with extends_allowed([tmp_path]):  # ../ leaves the file's own directory: allowed explicitly
        merged, source = resolve_scenario(over)
    assert "extends" not in merged
    assert merged["regions"] == ["dali"]  # the list is replaced wholesale
    assert merged["parks"]["anning"] == {"land_ha": 800, "kind": "industrial"}
    assert merged["parks"]["jinning"] == {"land_ha": 300}
    assert merged["name"] == "base"
    # The source map blames the overlay for what it overrode and the base for the rest.
    assert source[("parks", "anning", "land_ha")] == Origin(str(over), 5)
    assert source[("parks", "anning", "kind")] == Origin(str(tmp_path / "sub/../base.yaml"), 7)
    assert source.locate(("regions", 0)) == Origin(str(over), 2)
    assert ("regions", 2) not in source  # the base's third region no longer exists


def test_overlay_null_deletes_an_inherited_entry(tmp_path: Path) -> None:
    """JSON Merge Patch (RFC 7386): `key: null` in an overlay removes the key — a new city
    drops the base's parks; a field set to null goes back to its default."""
    write(tmp_path, "base.yaml", BASE)
    over = write(
        tmp_path,
        "over.yaml",
        """\
        extends: base.yaml
        parks:
          jinning: null
          anning:
            kind: null
        market: null
        """,
    )
    merged, source = resolve_scenario(over)
    assert set(merged["parks"]) == {"anning"} and "market" not in merged
    assert merged["parks"]["anning"] == {"land_ha": 500}
    assert ("parks", "jinning") not in source and ("market", "price_yi") not in source
    config, _ = load_scenario(Scenario, over)
    assert config.parks["anning"].kind == "industrial" and config.market == Market()
    # --set key=null deletes too
    merged, source = resolve_scenario(write(tmp_path, "b2.yaml", BASE), ["parks.jinning=null"])
    assert set(merged["parks"]) == {"anning"} and ("parks", "jinning") not in source


def test_extends_chain_of_three_files(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    write(tmp_path, "mid.yaml", "extends: base.yaml\nyears: 5\nname: mid\n")
    top = write(tmp_path, "top.yaml", "extends: mid.yaml\nname: top\n")
    config, merged = load_scenario(Scenario, top)
    assert (config.name, config.years, config.parks["jinning"].land_ha) == ("top", 5, 300)
    assert "extends" not in merged


def test_set_overrides_reach_one_mapping_item(tmp_path: Path) -> None:
    path = write(tmp_path, "base.yaml", BASE + "flags: {fast: false}\n")
    merged, source = resolve_scenario(
        path,
        [
            "parks.anning.land_ha=900",
            "flags.fast=true",
            "regions=[a, b]",
            "parks.new={land_ha: 1}",
            "flags.added=x y",
        ],
    )
    assert merged["parks"]["anning"] == {"land_ha": 900, "kind": "industrial"}
    assert isinstance(merged["parks"]["anning"]["land_ha"], int)
    assert merged["flags"] == {"fast": True, "added": "x y"}
    assert merged["regions"] == ["a", "b"]
    assert merged["parks"]["new"] == {"land_ha": 1}
    assert source[("parks", "anning", "land_ha")].file == "--set"
    assert source.locate(("parks", "new", "land_ha")).file == "--set"
    assert source.locate(("parks", "anning", "kind")).line == 7


def test_set_replacing_a_mapping_forgets_its_old_origins(tmp_path: Path) -> None:
    merged, source = resolve_scenario(write(tmp_path, "b.yaml", BASE), ["parks.jinning=[1]"])
    assert merged["parks"]["jinning"] == [1]
    assert source[("parks", "jinning")] == Origin("--set")
    assert ("parks", "jinning", "land_ha") not in source


def test_aliases_are_resolved_and_unshared(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.yaml",
        """\
        name: x
        start_date: 2022-01-01
        default_park: &p {land_ha: 5}
        parks:
          anning: *p
          jinning:
            <<: *p
            kind: logistics
        """,
    )
    merged, source = resolve_scenario(path, ["parks.anning.land_ha=7"])
    assert merged["parks"]["jinning"] == {"land_ha": 5, "kind": "logistics"}
    assert merged["default_park"] == {"land_ha": 5}  # not changed through the alias
    assert source.locate(("parks", "jinning", "land_ha")).line == 6


# -------------------------------------------------------------------- file problems
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "is empty: expected a YAML mapping of scenario fields"),
        ("  \n# only a comment\n", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        (b"name: caf\xe9\n", "not UTF-8"),
        ("- a\n- b\n", "top level must be a mapping"),
        ("just a string\n", "top level must be a mapping"),
    ],
)
def test_unusable_files(tmp_path: Path, content: str | bytes, expected: str) -> None:
    path = write(tmp_path, "bad.yaml", content)
    err = error_of(load_scenario, Scenario, path)
    assert expected in str(err) and str(path) in str(err)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    err = error_of(resolve_scenario, tmp_path / "nope.yaml")
    assert "not found" in str(err) and "nope.yaml" in str(err)
    err = error_of(resolve_scenario, tmp_path)
    assert "is a directory" in str(err) and str(tmp_path) in str(err)


def test_missing_extends_names_the_file_that_named_it(tmp_path: Path) -> None:
    path = write(tmp_path, "over.yaml", "name: x\nextends: gone.yaml\n")
    err = error_of(resolve_scenario, path)
    assert "not found" in str(err) and "gone.yaml" in str(err)
    assert f"named by 'extends:' in {path}, line 2" in str(err)


def test_broken_yaml_reports_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "name: x\nparks:\n  anning: [1, 2\n  jinning: 3\n")
    err = error_of(resolve_scenario, path)
    assert str(path) in str(err) and "invalid YAML" in str(err)
    assert "line 4, column 10" in str(err) and err.line == 4  # the stray ":"


def test_impossible_date_is_a_yaml_error_with_line(tmp_path: Path) -> None:
    path = write(tmp_path, "d.yaml", "name: x\nstart_date: 2022-13-01\n")
    err = error_of(resolve_scenario, path)
    assert "line 2" in str(err) and "invalid date '2022-13-01'" in str(err)


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    text = "name: a\nparks:\n  anning: {land_ha: 1}\n  anning: {land_ha: 2}\n"
    path = write(tmp_path, "dup.yaml", text)
    err = error_of(resolve_scenario, path)
    assert "duplicate key 'anning'" in str(err) and "line 4" in str(err) and "line 3" in str(err)
    assert err.line == 4 and err.path == str(path)


def test_python_tag_is_refused_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"name: !!python/object/apply:os.system ['touch {marker}']\n"
    path = write(tmp_path, "evil.yaml", text)
    err = error_of(resolve_scenario, path)
    assert "python/object/apply:os.system" in str(err) and "safe loader" in str(err)
    assert str(path) in str(err) and "line 1" in str(err)
    assert not marker.exists()


def test_recursive_alias_is_an_error(tmp_path: Path) -> None:
    err = error_of(resolve_scenario, write(tmp_path, "r.yaml", "a: &x [1, *x]\n"))
    assert "r.yaml" in str(err) and "recursive" in str(err)


def test_extends_cycles_name_the_chain(tmp_path: Path) -> None:
    me = write(tmp_path, "me.yaml", "extends: me.yaml\n")
    assert "cycle" in str(error_of(resolve_scenario, me))
    a = write(tmp_path, "a.yaml", "extends: b.yaml\n")
    b = write(tmp_path, "b.yaml", "extends: a.yaml\n")
    assert f"{a} -> {b} -> {a}" in str(error_of(resolve_scenario, a))


def test_extends_must_be_a_string(tmp_path: Path) -> None:
    err = error_of(resolve_scenario, write(tmp_path, "x.yaml", "name: a\nextends: [b.yaml]\n"))
    assert "'extends' must be a scenario file path" in str(err) and "line 2" in str(err)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("years", "expected dotted.key=value"),
        ("=5", "expected dotted.key=value"),
        ("parks..land_ha=5", "expected dotted.key=value"),
        ("name.first=5", "name is 'base', not a mapping"),
        ("regions.x=1", "regions is a list, not a mapping"),
        ("parks.aning.land_ha=5", "did you mean 'anning'?"),
        ("years=[1, 2", "not valid YAML"),
        ("years=!!python/name:os.system", "not valid YAML"),
    ],
)
def test_bad_set_names_the_override(tmp_path: Path, override: str, expected: str) -> None:
    err = error_of(resolve_scenario, write(tmp_path, "b.yaml", BASE), [override])
    assert f"bad --set {override!r}" in str(err) and expected in str(err)
    assert "\n" not in str(err)  # one paragraph


# --------------------------------------------------------------- validation messages
def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    path = write(tmp_path, "b.yaml", BASE.replace("    land_ha: 500", "    lnad_ha: 500"))
    err = error_of(load_scenario, Scenario, path)
    msg = str(err)
    assert f"{path}, line 6: parks.anning.lnad_ha: unknown key 'lnad_ha'" in msg
    assert "allowed keys here: land_ha, kind" in msg and "did you mean 'land_ha'?" in msg
    assert "parks.anning.land_ha: required field is missing" in msg  # second problem, own line
    # The attributes describe the first problem pydantic reported: the missing field.
    assert err.field == "parks.anning.land_ha" and err.line == 5 and err.path == str(path)


@pytest.mark.parametrize(
    ("override", "field", "expected"),
    [
        ("parks.anning.land_ha=-5", "parks.anning.land_ha", "must be >= 0.0, got -5"),
        ("years=51", "years", "must be <= 50, got 51"),
        ("market.price_yi=.nan", "market.price_yi", "must be a finite number"),
        ("market.price_yi=.inf", "market.price_yi", "must be a finite number"),
        ("parks.anning.kind=farm", "parks.anning.kind", "must be one of 'industrial' or 'logistics'"),
        ("years=many", "years", "expected an integer, got 'many'"),
        ("start_date=soon", "start_date", "expected a date (YYYY-MM-DD)"),
        ("regions=kunming", "regions", "expected a list"),
        ("market=3", "market", "expected a mapping"),
    ],
)
def test_validation_messages_show_what_is_allowed(
    tmp_path: Path, override: str, field: str, expected: str
) -> None:
    err = error_of(load_scenario, Scenario, write(tmp_path, "b.yaml", BASE), [override])
    assert f"--set: {field}: {expected}" in str(err), str(err)
    assert err.field == field


def test_error_in_base_file_names_the_base_file_and_line(tmp_path: Path) -> None:
    base = write(tmp_path, "base.yaml", BASE.replace("land_ha: 300", "land_ha: -3"))
    over = write(tmp_path, "over.yaml", "extends: base.yaml\nyears: 0\n")
    msg = str(error_of(load_scenario, Scenario, over))
    assert msg.startswith(f"{over}: invalid scenario (2 problems):")
    assert f"{base}, line 9: parks.jinning.land_ha: must be >= 0.0, got -3" in msg
    assert f"{over}, line 2: years: must be >= 1, got 0" in msg


def test_missing_top_level_field_blames_the_root_file(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", "name: x\n")
    msg = str(error_of(load_scenario, Scenario, path))
    assert f"{path}: start_date: required field is missing" in msg


def test_at_most_ten_problems_are_listed(tmp_path: Path) -> None:
    parks = "".join(f"  p{i}: {{land_ha: -1}}\n" for i in range(15))
    path = write(tmp_path, "many.yaml", f"name: x\nstart_date: 2022-01-01\nparks:\n{parks}")
    msg = str(error_of(load_scenario, Scenario, path))
    assert msg.count("must be >= 0") == 10 and "... and 5 more" in msg
    assert len(msg.splitlines()) == 12


def test_union_member_tags_are_hidden_from_the_path(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "shape: {kind: circle, radius: -1, sid: 2}\n")
    data, source = resolve_scenario(path)
    msg = str(error_of(validate, Shapes, data, source))
    assert f"{path}, line 1: shape.radius: must be > 0.0, got -1" in msg
    assert "shape.sid: unknown key 'sid'; allowed keys here: kind, radius" in msg


def test_bad_mapping_key_and_custom_validator_messages(tmp_path: Path) -> None:
    path = write(tmp_path, "k.yaml", "parks:\n  Anning: {land_ha: 1}\n")
    msg = str(error_of(load_scenario, Keyed, path))
    assert f"{path}, line 2: parks.Anning: the key must match the pattern ^[a-z_]+$" in msg
    path = write(tmp_path, "v.yaml", "parks: {}\nfirst_year: 2023\nlast_year: 2022\n")
    msg = str(error_of(load_scenario, Keyed, path))
    assert f"{path}: (top level): last_year must not be before first_year" in msg


# ----------------------------------------------------------------------- properties
_keys = st.text("abcdefghij_", min_size=1, max_size=6)
_trees = st.recursive(
    st.integers() | st.booleans() | st.text("xyz ", max_size=5),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(_keys, kids, max_size=3),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(base=st.dictionaries(_keys, _trees, max_size=4), over=st.dictionaries(_keys, _trees, max_size=4))
def test_extends_merge_round_trips_and_every_key_has_an_origin(
    tmp_path_factory, base: dict, over: dict
) -> None:
    tmp = tmp_path_factory.mktemp("prop")
    (tmp / "base.yaml").write_text(yaml.safe_dump(base) if base else "{}\n", encoding="utf-8")
    overlay = yaml.safe_dump({"extends": "base.yaml", **over})
    (tmp / "over.yaml").write_text(overlay, encoding="utf-8")
    merged, source = resolve_scenario(tmp / "over.yaml")

    def expect(b: object, o: object) -> object:
        if isinstance(b, dict) and isinstance(o, dict):
            return {**b, **{k: expect(b.get(k), v) for k, v in o.items()}}
        return o

    assert merged == expect(base, {k: v for k, v in over.items() if k != "extends"})

    def paths(value: object, prefix: tuple = ()):
        items = (
            value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        )
        for k, v in items:
            yield prefix + (k,)
            yield from paths(v, prefix + (k,))

    # An exact origin for every key and list item, and none left over from replaced values.
    assert set(source) == set(paths(merged))


# ------------------------------------------------------------- libyaml and pure Python
# Files are parsed with libyaml's C parser when PyYAML has it (about 4× faster), else with
# the pure-Python one; both must give the same data, lines and error locations.
LOADERS = [pytest.param(yamlfile.PyLineLoader, id="python")] + (
    [pytest.param(yamlfile.CLineLoader, id="libyaml")] if yaml.__with_libyaml__ else []
)


@pytest.fixture(params=LOADERS)
def line_loader(request, monkeypatch: pytest.MonkeyPatch) -> type:
    monkeypatch.setattr(yamlfile, "LineLoader", request.param)
    return request.param


def test_libyaml_is_used_when_available() -> None:
    assert yamlfile.LineLoader is (yamlfile.CLineLoader if yaml.__with_libyaml__ else yamlfile.PyLineLoader)


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML built without libyaml")
def test_both_parsers_read_the_repository_files_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).resolve().parents[1]
    files = [
        p for d in ("scenarios", "calibration", "experiments") for p in sorted((root / d).rglob("*.yaml"))
    ]
    assert len(files) >= 5
    for path in files:
        read = {}
        for cls in (yamlfile.PyLineLoader, yamlfile.CLineLoader):
            monkeypatch.setattr(yamlfile, "LineLoader", cls)
            read[cls] = resolve_scenario(path)
        assert read[yamlfile.PyLineLoader] == read[yamlfile.CLineLoader], path


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("name: x\nparks:\n  anning: [1, 2\n  jinning: 3\n", 4, 10, ["',' or ']'"]),
        ("name: ok\nseed: a: b\n", 2, 8, ["mapping values are not allowed"]),
        ("name: x\nparks: *nowhere\n", 2, 8, ["found undefined alias 'nowhere'"]),
        ("name: x\n名字: 昆明: b\n", 2, 7, ["mapping values are not allowed"]),
        ("a: 1\r\nb: [1,\r\n  c: 2\r\n", 4, 1, ["',' or ']'"]),
        ("name: x\nkey: 'open\n", 3, 1, ["end of stream"]),
        ("name: x\n名\x07: 2\n", 2, 2, ["unacceptable character #x0007"]),
        ("a: 1\n--- \nb: 2\n", 2, 1, ["found another document"]),
    ],
)
def test_syntax_errors_name_line_and_column_on_both_parsers(
    tmp_path: Path, line_loader: type, text: str, line: int, column: int, words: list[str]
) -> None:
    path = write(tmp_path, "bad.yaml", text.encode())
    err = error_of(resolve_scenario, path)
    assert f"{path}, line {line}, column {column}: invalid YAML" in str(err) and err.line == line
    for word in words:
        assert word in str(err)


def test_date_errors_tags_and_duplicates_on_both_parsers(tmp_path: Path, line_loader: type) -> None:
    err = error_of(resolve_scenario, write(tmp_path, "d.yaml", "name: x\nstart_date: 2022-13-01\n"))
    assert "line 2" in str(err) and "invalid date '2022-13-01'" in str(err)
    err = error_of(resolve_scenario, write(tmp_path, "t.yaml", "name: x\nn: !!python/name:os.system\n"))
    assert "line 2" in str(err) and "safe loader" in str(err)
    err = error_of(resolve_scenario, write(tmp_path, "k.yaml", "a: 1\nb: 2\na: 3\n"))
    assert "duplicate key 'a' (already on line 1)" in str(err) and err.line == 3


def test_alias_bomb_is_capped_on_both_parsers(
    tmp_path: Path, line_loader: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yamlfile, "MAX_NODES", 10_000)  # the real cap (a million) takes a second
    rows = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    rows += [f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]" for p, c in zip("abcdefgh", "bcdefghi")]
    err = error_of(resolve_scenario, write(tmp_path, "lol.yaml", "\n".join(rows) + "\n"))
    assert "too large (over 10000 values once YAML aliases are expanded)" in str(err)
    assert str(tmp_path / "lol.yaml") in str(err) and err.line is not None


def test_set_values_are_read_with_the_same_safe_loader(tmp_path: Path, line_loader: type) -> None:
    path = write(tmp_path, "base.yaml", BASE)
    err = error_of(resolve_scenario, path, ["start_date=2022-02-30"])
    assert "bad --set 'start_date=2022-02-30': the value is not valid YAML" in str(err)
    assert "invalid date '2022-02-30'" in str(err)
    merged, _ = resolve_scenario(path, ["start_date=2022-02-28", "parks.anning.land_ha=7.5"])
    assert merged["start_date"] == dt.date(2022, 2, 28) and merged["parks"]["anning"]["land_ha"] == 7.5

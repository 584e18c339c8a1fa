"""Read scenario YAML files: ``extends:`` overlays, ``--set`` overrides, friendly errors.

Generic over the pydantic model that validates the result. Every mistake a user can make
in a scenario file or on the command line becomes a :class:`ScenarioError` (exit code 2)
whose message names the file and line, so the CLI never shows a traceback. Files are read
with a *safe* YAML loader only: custom tags such as ``!!python/object`` are refused.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
import typing
from collections.abc import Mapping, Sequence, Set
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

import yaml
from pydantic import BaseModel, ValidationError

KeyPath = tuple[Any, ...]  # mapping keys (usually str) and list indices (int)
_MAX_NODES = 1_000_000  # caps alias expansion ("billion laughs"), since we un-share aliases
_MAX_ERRORS = 10
_UNIONS = (typing.Union, types.UnionType)


class ScenarioError(Exception):
    """A user-input problem. ``str(err)`` is the full human message; exit code 2."""

    exit_code = 2

    def __init__(
        self, message: str, path: str | Path | None = None, field: str | None = None, line: int | None = None
    ) -> None:
        super().__init__(message)
        self.path, self.field, self.line = (None if path is None else str(path)), field, line


class Origin(NamedTuple):
    """Where a value was defined: a file path (or "--set") and its 1-based line, if known."""

    file: str
    line: int | None = None


class SourceMap(dict[KeyPath, Origin]):
    """Key path of the merged scenario -> the :class:`Origin` that defined it."""

    def __init__(self, root: str, entries: Mapping[KeyPath, Origin] | None = None) -> None:
        super().__init__(entries or {})
        self.root = root  # the file the user named: blamed when nothing more precise is known

    def locate(self, path: Sequence[Any]) -> Origin | None:
        """The origin of the longest recorded prefix of ``path`` (None if there is none)."""
        path = tuple(path)
        return next((self[path[:n]] for n in range(len(path), 0, -1) if path[:n] in self), None)

    def drop(self, path: KeyPath) -> None:
        """Forget ``path`` and everything under it (its value was replaced)."""
        for p in [p for p in self if p[: len(path)] == path]:
            del self[p]


def _timestamp(loader: Any, node: yaml.ScalarNode) -> Any:
    """A YAML date, or a YAML error with a line for an impossible one (2024-13-01)."""
    try:
        return loader.construct_yaml_timestamp(node)
    except (ValueError, OverflowError) as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"invalid date {node.value!r} ({exc})", node.start_mark
        ) from None


_TIMESTAMP = "tag:yaml.org,2002:timestamp"


# The constructor tables below are copies: registering through a loader's own table would
# change it for everyone.
class PyLineLoader(yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, with :func:`_timestamp`. Always available."""

    yaml_constructors = {**yaml.SafeLoader.yaml_constructors, _TIMESTAMP: _timestamp}


LineLoader: type[Any] = PyLineLoader
if yaml.__with_libyaml__:  # PyYAML built with libyaml: its C parser is ~4× faster on a scenario

    class CLineLoader(yaml.CSafeLoader):
        """libyaml's C parser with the same resolver, constructors and node marks (line,
        column) as :class:`PyLineLoader`: the same data, lines and error locations; only the
        wording of some syntax errors differs."""

        yaml_constructors = {**yaml.CSafeLoader.yaml_constructors, _TIMESTAMP: _timestamp}

    LineLoader = CLineLoader


def _parse(text: str, name: str) -> tuple[Any, dict[KeyPath, int]]:
    """Compose nodes, record every key's and list item's line (refusing duplicate keys,
    which PyYAML would silently collapse), then construct plain, un-shared data."""
    loader, lines, count = LineLoader(text), {}, [0]

    def fail(node: yaml.Node, why: str) -> NoReturn:
        line = node.start_mark.line + 1
        raise ScenarioError(f"{name}, line {line}: {why}", name, line=line)

    def walk(node: yaml.Node, path: KeyPath) -> None:
        count[0] += 1
        if count[0] > _MAX_NODES:
            fail(node, f"too large (over {_MAX_NODES} values once YAML aliases are expanded)")
        if isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[path + (i,)] = item.start_mark.line + 1
                walk(item, path + (i,))
        elif isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, value_node in node.value:
                # Keys merged in by `<<: *anchor` get no line: locate() blames the parent key.
                if key_node.tag.endswith(":merge") or not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = loader.construct_object(key_node, deep=True)
                if key in seen:
                    fail(
                        key_node,
                        f"duplicate key {key!r} (already on line {seen[key]}); "
                        "YAML would silently keep only the last one",
                    )
                seen[key] = lines[path + (key,)] = key_node.start_mark.line + 1
                walk(value_node, path + (key,))

    def clone(value: Any) -> Any:  # un-share aliased objects: a --set must change one copy
        if isinstance(value, dict):
            return {k: clone(v) for k, v in value.items()}
        return [clone(v) for v in value] if isinstance(value, list) else value

    if (node := loader.get_single_node()) is None:
        return None, lines
    walk(node, ())
    return clone(loader.construct_document(node)), lines


def load_yaml_mapping(path: str | Path, named_by: str = "") -> tuple[dict, dict[KeyPath, int]]:
    """Read a YAML file with a SAFE loader; return (data, lines) where lines maps a key
    path tuple (list indices as ints) to its 1-based line number. ``named_by`` (e.g.
    "(named by 'extends:' in a.yaml, line 1)") is appended to the file name in errors."""
    path = Path(path)
    shown = f"{path}{named_by and ' ' + named_by}"
    if path.is_dir():
        raise ScenarioError(f"{shown} is a directory, not a scenario file", path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(f"scenario file not found: {shown}", path) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read {shown}: {exc.strerror or exc}", path) from None
    if b"\0" in raw:
        raise ScenarioError(f"{shown} looks like a binary file, not YAML text", path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"{shown} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at "
            f"offset {exc.start}); save it as UTF-8",
            path,
        ) from None
    try:
        data, lines = _parse(text, str(path))
    except yaml.YAMLError as exc:
        line, why = _yaml_problem(exc, text)
        raise ScenarioError(f"{path}{why}", path, line=line) from None
    except RecursionError:  # deep nesting, or an alias used inside its own anchor
        raise ScenarioError(f"{path}: YAML too deeply nested or recursive", path) from None
    if data is None:
        raise ScenarioError(f"{shown} is empty: expected a YAML mapping of scenario fields", path)
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{path}: the top level must be a mapping of scenario fields "
            f"(key: value lines), not {_show(data)}",
            path,
            line=1,
        )
    return data, lines


def _yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[int | None, str]:
    """(1-based line, message after the file name) of a YAML error: the same line and column
    from libyaml's parser as from the pure-Python one."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark  # 0-based
        problem = str(exc.problem or exc.context)
        if problem == "found undefined alias" and mark:  # libyaml leaves out the name
            alias = re.match(r"\*([^\s,\[\]{}]+)", _yaml_lines(text)[mark.line][mark.column :])
            problem += f" {alias[1]!r}" if alias else ""
        if "constructor for the tag" in problem:
            problem += "; custom YAML tags such as !!python/... are refused: scenario files are read with a safe loader"
        if not mark:
            return None, f": invalid YAML: {problem}"
        return mark.line + 1, f", line {mark.line + 1}, column {mark.column + 1}: invalid YAML: {problem}"
    if isinstance(exc, yaml.reader.ReaderError) and isinstance(exc.character, int):
        # The parsers count its position differently (characters, UTF-8 bytes): find it.
        if (index := text.find(chr(exc.character))) >= 0:
            before = _yaml_lines(text[:index])
            return len(before), (
                f", line {len(before)}, column {len(before[-1]) + 1}: invalid YAML: unacceptable "
                f"character #x{exc.character:04x}: non-printable characters are not allowed"
            )
    return None, f": unreadable YAML ({str(exc).splitlines()[0]})"  # the rest is a location dump


def _yaml_lines(text: str) -> list[str]:
    """``text`` split at YAML's line breaks (not at the other breaks str.splitlines knows)."""
    return re.split(r"\r\n|[\r\n\x85\u2028\u2029]", text)


def _merge(base: dict, over: dict, base_src: SourceMap, over_src: SourceMap, prefix: KeyPath = ()) -> dict:
    """Deep-merge ``over`` into ``base`` in place, keeping the source map in step."""
    for key, value in over.items():
        path = prefix + (key,)
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value, base_src, over_src, path)
            base_src.update({path: over_src[path]} if path in over_src else {})
        else:  # lists too replace wholesale, and so must their origins
            base[key] = value
            base_src.drop(path)
            base_src.update({p: o for p, o in over_src.items() if p[: len(path)] == path})
    return base


def _resolve_file(path: Path, chain: list[tuple[Path, str]], via: str) -> tuple[dict, SourceMap]:
    name, real = str(path), path.resolve()
    if any(real == seen for seen, _ in chain):
        names = " -> ".join([shown for _, shown in chain] + [name])
        raise ScenarioError(
            f"'extends:' cycle: {names}; a scenario cannot extend itself, directly or through other files",
            path,
        )
    data, lines = load_yaml_mapping(path, via)
    entries = SourceMap(name, {p: Origin(name, line) for p, line in lines.items()})
    if "extends" not in data:
        return data, entries
    parent, line = data.pop("extends"), lines.get(("extends",))
    entries.drop(("extends",))
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(
            f"{name}, line {line}: 'extends' must be a scenario file path "
            f"(relative to this file), got {_show(parent)}",
            path,
            "extends",
            line,
        )
    # Relative to the naming file, so that scenarios work from any working directory.
    base, base_entries = _resolve_file(
        path.parent / parent, [*chain, (real, name)], f"(named by 'extends:' in {name}, line {line})"
    )
    return _merge(base, data, base_entries, entries), base_entries


def _apply_override(data: dict, source: SourceMap, text: str) -> None:
    key, sep, raw = (x.strip() for x in text.partition("="))
    parts, bad = [p.strip() for p in key.split(".")], f"bad --set {text!r}"
    if not sep or not all(parts):
        raise ScenarioError(f"{bad}: expected dotted.key=value, e.g. parks.anning.land_ha=900")
    try:
        value = yaml.load(raw, Loader=LineLoader)  # a safe loader: see LineLoader
    except yaml.YAMLError as exc:  # `problem` alone: the full str spans several lines
        why = getattr(exc, "problem", None) or exc
        raise ScenarioError(f"{bad}: the value is not valid YAML ({why})") from None
    node, path = data, ()
    for i, part in enumerate(parts):
        here = ".".join(parts[:i]) or "the top level"
        if not isinstance(node, dict):
            raise ScenarioError(f"{bad}: {here} is {_show(node)}, not a mapping", field=key)
        if part not in node and part.lstrip("-").isdigit() and int(part) in node:
            part = int(part)  # reach YAML int keys such as `2023:`
        if i < len(parts) - 1 and part not in node:
            raise ScenarioError(
                f"{bad}: {here} has no key {part!r}{_allowed_text(part, [str(k) for k in node])}", field=key
            )
        path, parent, node = path + (part,), node, node.get(part)
    parent[path[-1]] = value
    source.drop(path)
    source[path] = Origin("--set")  # locate() covers its sub-keys


def resolve_scenario(path: str | Path, overrides: Sequence[str] = ()) -> tuple[dict, SourceMap]:
    """Load ``path``, follow ``extends:`` chains, deep-merge (mappings key by key; any
    other value replaces wholesale), drop ``extends``, then apply ``dotted.key=value``
    overrides (values parsed as YAML). Returns the merged dict and its SourceMap."""
    data, source = _resolve_file(Path(path), [], "")
    source.root = str(path)  # else the deepest base file
    for text in overrides:
        _apply_override(data, source, text)
    return data, source


def _walk_loc(model_cls: type[BaseModel], data: Any, loc: Sequence[Any]) -> tuple[KeyPath, list[str]]:
    """Drop union-member tags and '[key]' from a pydantic loc; return (clean loc, keys
    allowed in the model holding its last element, or [] if that is not a model)."""

    def is_model(tp: Any) -> bool:
        return typing.get_origin(tp) is None and isinstance(tp, type) and issubclass(tp, BaseModel)

    def unwrap(tp: Any) -> Any:  # Annotated[X, …] -> X; X | None -> X (pydantic adds no tag)
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin is typing.Annotated:
            return unwrap(args[0])
        real = [a for a in args if a is not type(None)]
        return unwrap(real[0]) if origin in _UNIONS and len(real) == 1 else tp

    def child(tp: Any, part: Any) -> Any:
        if is_model(tp):
            return next(
                (f.annotation for name, f in tp.model_fields.items() if part in (name, f.alias)), None
            )
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if isinstance(origin, type) and args and issubclass(origin, (Mapping, Sequence, Set)):
            return args[-1] if issubclass(origin, Mapping) else args[0]  # tuples: approximated
        return None

    tp, node, clean, parent = model_cls, data, [], None
    for part in loc:
        tp = unwrap(tp)
        present = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        )
        if part == "[key]" and not present:
            continue
        if typing.get_origin(tp) in _UNIONS and not present:
            # pydantic names the member tried (class name or discriminator value)
            tp = next(
                (
                    m
                    for m in typing.get_args(tp)
                    if getattr(m, "__name__", None) == part
                    or is_model(m)
                    and any(part in typing.get_args(f.annotation) for f in m.model_fields.values())
                ),
                None,
            )
            continue
        parent, tp = tp, (child(tp, part) if tp is not None else None)
        clean.append(part)
        node = node[part] if present else None
    allowed = [f.alias or n for n, f in parent.model_fields.items()] if is_model(parent) else []
    return tuple(clean), allowed


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)) or value is None:
        return {dict: "a mapping", list: "a list"}.get(type(value), "null (empty)")
    text = value.isoformat() if isinstance(value, dt.date) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed_text(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    return (f"; allowed keys here: {', '.join(allowed)}" if allowed else "") + (
        f"; did you mean {close[0]!r}?" if close else ""
    )


# What is allowed, by pydantic error type, filled from the error's ctx.
_RULES = {
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "finite_number": "must be a finite number",
    "multiple_of": "must be a multiple of {multiple_of}",
    "literal_error": "must be one of {expected}",
    "enum": "must be one of {expected}",
    "string_pattern_mismatch": "must match the pattern {pattern}",
    "string_too_short": "must have at least {min_length} character(s)",
    "string_too_long": "must have at most {max_length} character(s)",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} item(s)",
}
_TYPES = {
    "int": "an integer",
    "float": "a number",
    "decimal": "a number",
    "bool": "true or false",
    "string": "a string",
    "date": "a date (YYYY-MM-DD)",
    "datetime": "a date-time (YYYY-MM-DD HH:MM)",
    "dict": "a mapping (key: value)",
    "model": "a mapping (key: value)",
    "list": "a list",
    "tuple": "a list",
    "set": "a list",
}


def _what(err: Mapping[str, Any], allowed: list[str]) -> str:
    """Say what is wrong and what is allowed."""
    kind, ctx, got = err["type"], err.get("ctx") or {}, _show(err.get("input"))
    if kind == "extra_forbidden":
        return f"unknown key {err['loc'][-1]!r}{_allowed_text(str(err['loc'][-1]), allowed)}"
    if kind == "missing":
        return "required field is missing"
    if kind in _RULES:
        return f"{_RULES[kind].format_map(ctx)}, got {got}"
    if (word := _TYPES.get(kind.split("_")[0])) and kind.endswith(
        ("_type", "_parsing", "_from_float", "_inexact")
    ):
        return f"expected {word}, got {got}" + (f" ({ctx['error']})" if "error" in ctx else "")
    return str(err["msg"]).removeprefix("Value error, ")  # a custom validator's own text


def validate(model_cls: type[BaseModel], data: dict, source: SourceMap) -> BaseModel:
    """``model_cls.model_validate(data)``; a ValidationError becomes a ScenarioError that
    lists each problem (max 10) with its file and line, field path and what is allowed."""
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    problems, first = [], None
    for err in errors[:_MAX_ERRORS]:
        loc, allowed = _walk_loc(model_cls, data, err["loc"])
        origin = source.locate(loc) or Origin(source.root)
        field = ".".join(map(str, loc)) or "(top level)"
        what = ("the key " if "[key]" in err["loc"] else "") + _what(err, allowed)
        where = f"{origin.file}, line {origin.line}" if origin.line else origin.file
        problems.append(f"  {where}: {field}: {what}")
        first = first or (origin, field)
    if len(errors) > _MAX_ERRORS:
        problems.append(f"  ... and {len(errors) - _MAX_ERRORS} more")
    origin, field = first
    raise ScenarioError(
        f"{source.root}: invalid scenario ({len(errors)} problem"
        f"{'s' if len(errors) > 1 else ''}):\n" + "\n".join(problems),
        None if origin.file == "--set" else origin.file,
        field,
        origin.line,
    )


def load_scenario(
    model_cls: type[BaseModel], path: str | Path, overrides: Sequence[str] = ()
) -> tuple[BaseModel, dict]:
    """resolve_scenario + validate; returns (config, merged_dict)."""
    data, source = resolve_scenario(path, overrides)
    return validate(model_cls, data, source), data


def nest_dotted(flat: Mapping[str, typing.Any]) -> dict[str, typing.Any]:
    """``{"a.b.c": v}`` → ``{"a": {"b": {"c": v}}}``: dotted keys (the ``--set`` form) as nested mappings."""
    out: dict[str, typing.Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out

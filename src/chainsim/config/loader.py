"""Read scenario files: ``extends:`` overlays, ``--set`` overrides, friendly errors.

Generic over the pydantic model that validates the result. Every mistake a user can make
in a scenario file or on the command line becomes a :class:`ScenarioError` (exit code 2)
whose message names the file and line, so the CLI never shows a traceback. Each file is
read by :func:`chainsim.config.yamlfile.load_yaml_mapping` (a safe YAML loader, with the
line of every key); ``--set`` keys are dotted keys (:mod:`chainsim.config.dotted`).
"""

from __future__ import annotations

import contextlib
import difflib
import types
import typing
from collections.abc import Iterator, Mapping, Sequence, Set
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError

from chainsim.config import dotted
from chainsim.config.errors import ScenarioError, show
from chainsim.config.yamlfile import KeyPath, load_yaml_mapping

__all__ = [
    "Origin",
    "allow_extends",
    "extends_allowed",
    "ScenarioError",
    "SourceMap",
    "load_scenario",
    "load_yaml_mapping",
    "resolve_scenario",
    "validate",
]
_MAX_ERRORS = 10
_UNIONS = (typing.Union, types.UnionType)


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


def _merge(base: dict, over: dict, base_src: SourceMap, over_src: SourceMap, prefix: KeyPath = ()) -> dict:
    """Deep-merge ``over`` into ``base`` in place, keeping the source map in step. A key set
    to null in ``over`` is deleted (JSON Merge Patch, RFC 7386): an overlay can drop an
    inherited park, chain, region, event … or put a field back to its default."""
    for key, value in over.items():
        path = prefix + (key,)
        if value is None:
            base.pop(key, None)
            base_src.drop(path)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value, base_src, over_src, path)
            base_src.update({path: over_src[path]} if path in over_src else {})
        else:  # lists too replace wholesale, and so must their origins
            base[key] = value
            base_src.drop(path)
            base_src.update({p: o for p, o in over_src.items() if p[: len(path)] == path})
    return base


#: the project's own scenario and calibration directories (a source checkout's root)
_PROJECT = Path(__file__).resolve().parents[3]
PROJECT_DIRS = (_PROJECT / "scenarios", _PROJECT / "calibration")
#: directories ``extends:`` may also reach (``chainsim --allow-extends DIR``)
_ALLOWED_EXTRA: list[Path] = []


def allow_extends(dirs: Sequence[str | Path]) -> None:
    """Let ``extends:`` also name files under ``dirs`` (the ``--allow-extends`` option);
    replaces the previous list."""
    _ALLOWED_EXTRA[:] = [Path(d).resolve() for d in dirs]


@contextlib.contextmanager
def extends_allowed(dirs: Sequence[str | Path]) -> Iterator[None]:
    """``allow_extends(dirs)`` for the length of a ``with`` block."""
    old = list(_ALLOWED_EXTRA)
    allow_extends([*old, *dirs])
    try:
        yield
    finally:
        _ALLOWED_EXTRA[:] = old


def _project_dirs_of(path: Path) -> list[Path]:
    """scenarios/ and calibration/ of the nearest directory above ``path`` that has both
    (a chainsim project, or a copy of one: experiments/x/base.yaml extends ../../scenarios/)."""
    for anc in path.parents:
        if (anc / "scenarios").is_dir() and (anc / "calibration").is_dir():
            return [anc / "scenarios", anc / "calibration"]
    return []


def _check_extends_target(target: Path, extending: Path, name: str, line: int | None) -> None:
    """``extends:`` may name files in the extending file's directory tree, the project's
    scenarios/ and calibration/, or a directory allowed with --allow-extends; the target
    is not read otherwise (so no error can show its content)."""
    real = target.resolve()
    roots = [extending.parent, *PROJECT_DIRS, *_project_dirs_of(extending), *_ALLOWED_EXTRA]
    if any(real.is_relative_to(root.resolve()) for root in roots):
        return
    raise ScenarioError(
        f"{name}, line {line}: 'extends:' may only name a file in this file's directory "
        f"({extending.parent}) or below it, or in the scenarios/ and calibration/ of its project; "
        f"{target} is outside them. To allow its directory: chainsim --allow-extends DIR ...",
        name,
        "extends",
        line,
    )


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
            f"(relative to this file), got {show(parent)}",
            path,
            "extends",
            line,
        )
    # Relative to the naming file, so that scenarios work from any working directory.
    _check_extends_target(path.parent / parent, real, name, line)
    base, base_entries = _resolve_file(
        path.parent / parent, [*chain, (real, name)], f"(named by 'extends:' in {name}, line {line})"
    )
    return _merge(base, data, base_entries, entries), base_entries


def _apply_override(data: dict, source: SourceMap, text: str) -> None:
    bad = f"bad --set {text!r}"
    try:
        key, value = dotted.parse_setting(text)
    except dotted.SettingError as err:
        raise ScenarioError(f"{bad}: {err}") from None
    parts = key.split(".")
    node: Any = data
    path: tuple[str | int, ...] = ()
    for i, part in enumerate(parts):
        here = ".".join(parts[:i]) or "the top level"
        if not isinstance(node, dict):
            raise ScenarioError(f"{bad}: {here} is {show(node)}, not a mapping", field=key)
        found = dotted.step(node, part)  # reaches YAML int keys such as `2023:` too
        if found is None and i < len(parts) - 1:
            raise ScenarioError(
                f"{bad}: {here} has no key {part!r}{_allowed_text(part, [str(k) for k in node])}", field=key
            )
        k = part if found is None else found
        path, parent, node = path + (k,), node, node.get(k)
    source.drop(path)
    if value is None:  # key=null deletes, as in an overlay (RFC 7386): back to the default
        parent.pop(path[-1], None)
        return
    parent[path[-1]] = value
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

    tp: Any = model_cls  # a model, a container or union type, or None once the path leaves the schema
    parent: Any = None
    node, clean = data, []
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
    kind, ctx, got = err["type"], err.get("ctx") or {}, show(err.get("input"))
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
    problems: list[str] = []
    first: tuple[Origin, str] | None = None
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
    assert first is not None  # a ValidationError holds at least one error
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

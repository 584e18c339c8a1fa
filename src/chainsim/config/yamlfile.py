"""Read one YAML file safely: its data, the line of every key, and friendly errors.

Files are read with a *safe* loader only (custom tags such as ``!!python/object`` are
refused): libyaml's C parser when PyYAML was built with it (``yaml.__with_libyaml__``),
else PyYAML's pure-Python one, which gives the same data and lines at a quarter of the
speed (syntax errors: the same line and column but in rare cases, other words). Duplicate
keys and impossible dates are errors with a line; aliases are expanded into un-shared
copies, at most :data:`MAX_NODES` values.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NoReturn

import yaml

from chainsim.config.errors import ScenarioError, show

KeyPath = tuple[Any, ...]  # mapping keys (usually str) and list indices (int)
#: caps alias expansion ("billion laughs"), since aliases are un-shared
MAX_NODES = 1_000_000
#: the largest input file read (a scenario is ~50 kB; a CSV design table may be larger)
MAX_BYTES = 20_000_000


def read_input(path: Path, shown: str, what: str = "scenario file", limit: int = MAX_BYTES) -> bytes:
    """The bytes of a user's input file: only a regular file (not a FIFO, a device such as
    /dev/zero, a socket or a directory) and at most ``limit`` bytes; ScenarioError otherwise."""
    import os
    import stat

    if "\0" in str(path):
        raise ScenarioError(f"{shown!r}: a file name cannot contain a NUL character", path)
    try:
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise ScenarioError(f"{shown}: a symbolic link to a missing file", path) from None
        raise ScenarioError(f"{what} not found: {shown}", path) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read {shown}: {exc.strerror or exc}", path) from None
    if stat.S_ISDIR(st.st_mode):
        raise ScenarioError(f"{shown} is a directory, not a {what}", path)
    if not stat.S_ISREG(st.st_mode):
        raise ScenarioError(
            f"{shown} is not a regular file (a pipe, device or socket); give a {what} on disk", path
        )
    if st.st_size > limit:
        raise ScenarioError(f"{shown} is too large ({st.st_size:,} bytes; at most {limit:,})", path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            raw = fh.read(limit + 1)
    except FileNotFoundError:
        raise ScenarioError(f"{what} not found: {shown}", path) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read {shown}: {exc.strerror or exc}", path) from None
    if len(raw) > limit:
        raise ScenarioError(f"{shown} is too large (over {limit:,} bytes)", path)
    return raw


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
        if count[0] > MAX_NODES:
            fail(node, f"too large (over {MAX_NODES} values once YAML aliases are expanded)")
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
        # counted again here: merge keys (`<<: *a`) copy a mapping's entries without a node
        # of their own, so a few hundred bytes of nested merges could expand to gigabytes
        count[0] += 1
        if count[0] > 2 * MAX_NODES:
            raise ScenarioError(
                f"{name}: too large (over {MAX_NODES} values once YAML aliases and merge keys are expanded)",
                name,
            )
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
    raw = read_input(path, shown)
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
        if named_by:  # another file's target: say where, never what (it may not be a scenario at all)
            where = f", line {line}" if line else ""
            raise ScenarioError(f"{shown}{where}: not valid YAML", path, line=line) from None
        raise ScenarioError(f"{path}{why}", path, line=line) from None
    except RecursionError:  # deep nesting, or an alias used inside its own anchor
        raise ScenarioError(f"{path}: YAML too deeply nested or recursive", path) from None
    if data is None:
        raise ScenarioError(f"{shown} is empty: expected a YAML mapping of scenario fields", path)
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{shown}: the top level must be a mapping of scenario fields "
            f"(key: value lines){'' if named_by else ', not ' + show(data)}",
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


def read_value(text: str) -> Any:
    """A YAML scalar or flow value (``900``, ``2023-01-31``, ``[a, b]``, ``{}``) read with the
    same safe loader as files; yaml.YAMLError if it is not valid YAML."""
    return yaml.load(text, Loader=LineLoader)  # a safe loader: see LineLoader

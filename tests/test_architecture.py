"""The package's dependency rules, read from the source with ``ast`` (nothing is imported).

* **No import cycles** among chainsim's modules. Every ``import`` of a chainsim module
  counts, function-local ones included (a lazy import still makes the importer depend on
  the module), except those under ``if TYPE_CHECKING:``, which never run.
* **No private cross-module imports** in config/, sweep/ and calibration/: a module there
  does not import another module's ``_underscore`` name (make it public or move it).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import chainsim

PACKAGE = Path(chainsim.__file__).parent

# Cycles that exist and are not yet fixed, as (importer, imported) pairs of one cycle; a
# pair listed here is left out of the graph. Shrink this list: never grow it.
KNOWN_CYCLE_EDGES: set[tuple[str, str]] = set()

PRIVATE_CHECKED = ("chainsim.config", "chainsim.sweep", "chainsim.calibration")


def _modules() -> dict[str, Path]:
    """Module name → file, for every module of the package."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement of a module, at any depth, but not under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                yield from _import_nodes(ast.Module(body=[child], type_ignores=[]))
        else:
            yield from _import_nodes(node)


def _imports(module: str) -> Iterator[tuple[str, str, int]]:
    """(imported chainsim module, imported name or "", line) of each import in ``module``."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield _owner(alias.name), "", node.lineno
            continue
        base = node.module or ""
        if node.level:  # relative: from . import x, from ..config import y
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join(anchor + ([node.module] if node.module else []))
        for alias in node.names:
            full = f"{base}.{alias.name}"
            # `from pkg import module` imports the module; `from module import name`, the module
            yield (full, "", node.lineno) if full in MODULES else (_owner(base), alias.name, node.lineno)


def _owner(name: str) -> str:
    """The longest chainsim module that ``name`` lies in ("" for other packages)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module in MODULES:
        for target, _, _ in _imports(module):
            if target and target != module and (module, target) not in KNOWN_CYCLE_EDGES:
                graph[module].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def test_the_parser_sees_the_imports_it_must() -> None:
    """Guard the test itself: top-level, function-local and relative imports are edges;
    TYPE_CHECKING ones are not."""
    graph = _graph()
    assert "chainsim.config.loader" in graph["chainsim.api"]  # top level
    assert "chainsim.api" in graph["chainsim"]  # function-local (the lazy chainsim.run)
    assert {"chainsim.sweep.config", "chainsim.sweep.runner"} <= graph["chainsim.sweep.cli"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    cycles = _cycles(_graph())
    graph = _graph()
    shown = [
        " ↔ ".join(c) + ": " + "; ".join(f"{a} → {b}" for a in c for b in sorted(graph[a]) if b in c)
        for c in cycles
    ]
    assert not cycles, "import cycles (break them, e.g. move what both need lower):\n" + "\n".join(shown)


def test_known_cycle_edges_are_still_needed() -> None:
    """Each listed edge must still exist, so a fixed cycle is taken off the list."""
    for importer, imported in KNOWN_CYCLE_EDGES:
        assert imported in {t for t, _, _ in _imports(importer)}, (importer, imported)


def test_no_private_cross_module_imports() -> None:
    bad = [
        f"{module}:{line}: {name} from {target}"
        for module in MODULES
        if module.startswith(PRIVATE_CHECKED)
        for target, name, line in _imports(module)
        if target and target != module and name.startswith("_") and not name.startswith("__")
    ]
    assert not bad, "private names imported from another module (make them public or move them):\n" + (
        "\n".join(bad)
    )

"""The import graph of ``agent/`` and ``api/`` has no cycles.

A lower layer that imports its callers makes the code hard to follow and
order-dependent at import time. Two graphs are checked, both read from the
source with :mod:`ast` (nothing is imported):

* module-level imports (what runs when a module is imported): no cycle at all;
* every import, including those inside functions (a function-level import
  only hides a cycle from the interpreter, not from a reader): no cycle
  outside :data:`ALLOWED_CYCLES`, each entry named with its reason.

Imports under ``if TYPE_CHECKING:`` never run and are left out of both.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agent", "api")

#: Cycles of the full graph that exist today, with the reason; a new cycle fails the test.
ALLOWED_CYCLES: dict[frozenset[str], str] = {}

Graph = dict[str, set[str]]


def module_files() -> dict[str, Path]:
    """Dotted module name -> source file, for every module of :data:`PACKAGES`."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _statements(body: list[ast.stmt], nested: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    for stmt in body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            yield stmt
        elif isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test):
            yield from _statements(stmt.orelse, nested)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if nested or isinstance(stmt, ast.ClassDef):
                yield from _statements(stmt.body, nested)
        else:
            for field in ("body", "orelse", "finalbody", "handlers"):
                children = getattr(stmt, field, None)
                if isinstance(children, list):
                    inner = [c for c in children if isinstance(c, ast.stmt)]
                    for handler in (c for c in children if isinstance(c, ast.ExceptHandler)):
                        inner.extend(handler.body)
                    yield from _statements(inner, nested)


def import_graph(*, function_level: bool) -> Graph:
    """Edges module -> imported module within :data:`PACKAGES`."""
    files = module_files()
    graph: Graph = {name: set() for name in files}
    for name, path in files.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _statements(tree.body, function_level):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    parent = package[: len(package) - node.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base
                    for alias in node.names
                ]
            for target in targets:
                while target and target not in files:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: Graph) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def test_the_cycle_finder_finds_a_cycle_and_ignores_a_chain() -> None:
    graph: Graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [frozenset({"a", "b", "c"})]


def test_function_level_imports_count_only_in_the_full_graph() -> None:
    module_level = import_graph(function_level=False)
    full = import_graph(function_level=True)
    # agent/llm/chat.py imports its backends inside the factories (start-up time).
    assert "agent.llm.local" not in module_level["agent.llm.chat"]
    assert "agent.llm.local" in full["agent.llm.chat"]


def test_no_import_cycle_among_module_level_imports() -> None:
    found = cycles(import_graph(function_level=False))
    assert found == [], [sorted(c) for c in found]


def test_no_import_cycle_outside_the_named_allowance() -> None:
    found = cycles(import_graph(function_level=True))
    new = [sorted(c) for c in found if not any(c <= allowed for allowed in ALLOWED_CYCLES)]
    assert new == [], f"new import cycles: {new}"
    stale = [sorted(a) for a in ALLOWED_CYCLES if not any(c <= a for c in found)]
    assert stale == [], f"these cycles are gone; remove them from ALLOWED_CYCLES: {stale}"

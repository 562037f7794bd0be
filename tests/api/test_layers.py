"""The web app's layers: pages call services, never route modules; services know no web framework.

A route is the HTTP face of a service. When a page imports a route module
the page depends on how the API parses and answers, and the two drift apart
(the brief page and the brief JSON once disagreed on what a model wrote); a
service that takes a ``Request`` cannot be called from the CLI or a test
without a web request. The graph is read from the source
(:func:`tests.test_import_graph.import_graph`), function-level imports
included. See docs/api-development.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.test_import_graph import ROOT, import_graph

#: Modules outside api/pages/ that render HTML pages.
PAGE_MODULES = ("api.note_view", "api.call_page", "api.note_form")
WEB_PACKAGES = ("fastapi", "starlette")


def _is_page(module: str) -> bool:
    return module.startswith("api.pages.") or module in PAGE_MODULES


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package.replace(".", "/")).glob("*.py"))


def _top_level_packages(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_pages_and_services_import_no_route_module() -> None:
    graph = import_graph(function_level=True)
    found = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if _is_page(module) or module.startswith(("api.services", "api.schemas"))
        for target in targets
        if target.startswith("api.routes")
    )
    assert found == [], "call the service instead"


def test_services_and_schemas_import_no_page() -> None:
    graph = import_graph(function_level=True)
    found = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module.startswith(("api.services", "api.schemas"))
        for target in targets
        if _is_page(target)
    )
    assert found == []


@pytest.mark.parametrize(
    "path",
    _modules("api.services") + _modules("api.schemas"),
    ids=lambda p: p.parent.name + "/" + p.stem,
)
def test_services_and_schemas_import_no_web_framework(path: Path) -> None:
    assert not _top_level_packages(path) & set(WEB_PACKAGES)

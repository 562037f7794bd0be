"""The web app's layers: pages and services never import a route module; services know no FastAPI.

A route is the HTTP face of a service; when a page imports a route module,
the page depends on how the API parses and answers, and the two drift apart
(the brief page and the brief JSON disagreed on what a model wrote). The
graph is read from the source (:func:`tests.test_import_graph.import_graph`),
function-level imports included.
"""

from __future__ import annotations

import ast

from tests.test_import_graph import ROOT, import_graph

#: Modules that render HTML pages.
PAGE_MODULES = ("api.note_view", "api.call_page", "api.note_form")
#: Route modules that pages still import: typed in the other branch of the API redesign
#: (accounts, analytics, auth, plan, tasks), whose services replace them at the merge.
NOT_YET_MOVED = {"api.routes.accounts", "api.routes.analytics", "api.routes.auth",
                 "api.routes.plan", "api.routes.tasks"}  # fmt: skip


def _is_page(module: str) -> bool:
    return module.startswith("api.pages.") or module in PAGE_MODULES


def test_pages_and_services_import_no_route_module() -> None:
    graph = import_graph(function_level=True)
    found = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if _is_page(module) or module.startswith("api.services.")
        for target in targets
        if target.startswith("api.routes") and not (_is_page(module) and target in NOT_YET_MOVED)
    )
    assert found == []
    still = {t for m, targets in graph.items() if _is_page(m) for t in targets}
    stale = sorted(NOT_YET_MOVED - still)
    assert stale == [], f"no page imports these any more; remove them from NOT_YET_MOVED: {stale}"


def test_services_know_no_fastapi() -> None:
    for path in sorted((ROOT / "api" / "services").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                modules = [*names, getattr(node, "module", None) or ""]
                assert not any(m.split(".")[0] in ("fastapi", "starlette") for m in modules), (
                    f"{path.name} imports {modules}"
                )

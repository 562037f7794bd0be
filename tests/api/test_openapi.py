"""The OpenAPI document: every JSON answer under /api is a named model with an example.

Integrators generate clients from ``/api/openapi.json`` and read it to learn
what an endpoint returns, so an endpoint that answers an untyped object (a
route returning ``dict[str, Any]``) or shows no example is a gap in the
contract; a non-JSON answer (audio) declares its media type instead. Each
operation is its own test case, so a failure names the endpoint; the
operations are read from the routers (no app is needed to collect them),
their documentation from the document the app serves.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

import api.routes
from agent.crm.db import close_all
from agent.settings import set_settings
from api.app import create_app
from tests.api.conftest import make_settings

Operation = tuple[str, str, str]  # (route module, method, path)


def api_operations() -> Iterator[Operation]:
    """(module, method, path) of every documented operation under /api, from the routers."""
    for info in sorted(pkgutil.iter_modules(api.routes.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"api.routes.{info.name}")
        for route in getattr(getattr(module, "router", None), "routes", []):
            if not isinstance(route, APIRoute) or not route.include_in_schema:
                continue
            if not route.path.startswith("/api/"):
                continue
            for method in sorted(route.methods - {"HEAD"}):
                yield info.name, method.lower(), route.path


OPERATIONS = [
    pytest.param(method, path, id=f"{method.upper()} {path}")
    for _module, method, path in api_operations()
]


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The OpenAPI document the app serves (one app for the module: the document is static).

    Module-scoped, so it runs before the per-test isolation of the settings:
    it isolates the data directory and the config file itself.
    """
    root = tmp_path_factory.mktemp("openapi")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WINBACK_DATA_DIR", str(root / "data"))
        env.setenv("WINBACK_CONFIG", str(root / "no-config.toml"))
        settings = make_settings(f"sqlite:///{root / 'api.db'}")
        with TestClient(create_app(settings)) as client:
            response = client.get("/api/openapi.json")
        set_settings(None)
        close_all()
    assert response.status_code == 200
    yield response.json()


def _component(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any] | None:
    """The component a ``$ref`` schema names, or None for an inline (unnamed) schema."""
    ref = schema.get("$ref", "")
    prefix = "#/components/schemas/"
    if not ref.startswith(prefix):
        return None
    return document["components"]["schemas"][ref.removeprefix(prefix)]  # type: ignore[no-any-return]


def _named_model(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any] | None:
    """The model of an answer: a named component, or the named items of an array."""
    if schema.get("type") == "array":
        return _component(document, schema.get("items", {}))
    return _component(document, schema)


def test_operations_are_found() -> None:
    assert len(OPERATIONS) >= 20
    assert {p.id for p in OPERATIONS} >= {"GET /api/accounts", "GET /api/plan", "GET /api/me"}


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_a_json_answer_is_a_named_model_with_an_example(
    document: dict[str, Any], method: str, path: str
) -> None:
    operation = document["paths"][path][method]
    answers = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
    assert answers, f"{method.upper()} {path} documents no 2xx answer"
    for code, answer in answers.items():
        content = answer.get("content", {})
        if code == "204":
            assert not content, f"{code}: a 204 has no body"
            continue
        if "application/json" not in content:
            # audio, text: the media type is declared with a schema (a string or binary)
            assert content, f"{code}: no media type documented"
            assert all(m.get("schema") for m in content.values()), f"{code}: {content}"
            continue
        media = content["application/json"]
        model = _named_model(document, media.get("schema", {}))
        assert model is not None, f"{code}: the answer is not a named model: {media.get('schema')}"
        assert model.get("type") == "object" and model.get("properties"), (
            f"{code}: the model has no fields"
        )
        examples = media.get("example") or media.get("examples") or model.get("examples")
        assert examples, f"{code}: no example (give the model json_schema_extra examples)"


def test_the_operations_endpoints_are_documented(document: dict[str, Any]) -> None:
    """Probes and scrapers are integrations too: liveness, readiness (with its 503), metrics."""
    for path in ("/healthz", "/readyz"):
        answer = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        model = _named_model(document, answer["schema"])
        assert model is not None and model.get("examples"), path
    refused = document["paths"]["/readyz"]["get"]["responses"]["503"]["content"]
    assert _named_model(document, refused["application/json"]["schema"]) is not None
    metrics = document["paths"]["/metrics"]["get"]["responses"]
    assert list(metrics["200"]["content"]) == ["text/plain"]
    assert metrics["200"]["content"]["text/plain"]["example"].startswith("# HELP")
    assert {"401", "403"} <= set(metrics)


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises with the path of the first invalid part

"""Fixtures for API tests: a real database with the two-tenant world and a TestClient."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from agent.crm.db import open_store
from agent.jobs.queue import forget_queues
from agent.settings import Settings, configure
from api.app import create_app
from api.deps import forget_principals
from api.planning import forget_plans
from tests.api.world import PASSWORD, World, build_world


def make_settings(db_url: str) -> Settings:
    """Settings for API tests: fakes for every model, small upload limit."""
    return configure(
        database_url=db_url,
        chat_backend="fake",
        embeddings_backend="fake",
        transcriber_backend="fake",
        max_upload_mb=2,
    )


@pytest.fixture
def api_settings(sqlite_url: str) -> Settings:
    return make_settings(sqlite_url)


@pytest.fixture
def world(api_settings: Settings) -> World:
    return build_world(open_store(api_settings.db_url))


@pytest.fixture
def client(api_settings: Settings, world: World) -> Iterator[TestClient]:
    forget_plans()
    forget_principals()
    forget_queues()
    with TestClient(create_app(api_settings)) as test_client:
        yield test_client
    forget_queues()


def bearer(world: World, username: str) -> dict[str, str]:
    """Authorization header of ``username``'s API token."""
    return {"Authorization": f"Bearer {world.tokens[username]}"}


def login(client: TestClient, username: str, tenant: str = "acme") -> str:
    """Log ``client`` in with the session cookie; return the CSRF token."""
    response = client.post(
        "/login",
        data={"tenant": tenant, "username": username, "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client.get("/api/me").json()["csrf_token"]  # type: ignore[no-any-return]

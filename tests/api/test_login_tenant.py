"""Login without typing the tenant: inferred from the username, or the tenant tried is named."""

from __future__ import annotations

from fastapi.testclient import TestClient

from agent.crm.db import open_store
from agent.crm.models import Tenant, User
from agent.settings import Settings
from tests import factories as make
from tests.api.world import PASSWORD, World


def post_login(client: TestClient, username: str, password: str = PASSWORD, tenant: str = ""):  # type: ignore[no-untyped-def]  # fmt: skip
    return client.post(
        "/login",
        data={"tenant": tenant, "username": username, "password": password},
        follow_redirects=False,
    )


def test_a_username_of_one_tenant_logs_in_without_the_tenant(client: TestClient) -> None:
    response = post_login(client, "rep1")
    assert response.status_code == 303, response.text
    assert client.get("/api/me").json()["tenant"] == "acme"


def test_a_failed_login_names_the_tenant_it_tried(client: TestClient) -> None:
    page = post_login(client, "rep1", "wrong password").text
    assert "Anmeldung im Mandanten „acme“ fehlgeschlagen" in page
    # An unknown name: the configured tenant was tried, and the page says so.
    page = post_login(client, "nobody", "wrong password").text
    assert "Anmeldung im Mandanten „default“ fehlgeschlagen" in page
    # A typed tenant is used as typed.
    page = post_login(client, "rep1", PASSWORD, tenant="other").text
    assert "Anmeldung im Mandanten „other“ fehlgeschlagen" in page


def test_a_username_in_two_tenants_asks_for_the_tenant(
    client: TestClient, world: World, api_settings: Settings
) -> None:
    with open_store(api_settings.db_url).session() as session:
        twin = session.get(User, world.users["rep1"])
        assert twin is not None
        other = session.get_one(Tenant, world.tenants["other"])
        make.user(session, other, "rep1", name="Twin", password_hash=twin.password_hash)
    response = post_login(client, "rep1")
    assert response.status_code == 401
    assert "in mehreren Mandanten" in response.text
    assert post_login(client, "rep1", tenant="acme").status_code == 303

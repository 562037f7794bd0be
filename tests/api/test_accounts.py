"""``/api/accounts``: list scoping, detail with history, ownership assignment."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import bearer
from tests.api.world import World


def test_rep_lists_only_own_accounts(client: TestClient, world: World) -> None:
    ids = {a["id"] for a in client.get("/api/accounts", headers=bearer(world, "rep1")).json()}
    assert ids == {world.objects["rep1"].account}


def test_manager_lists_the_tenant(client: TestClient, world: World) -> None:
    rows = client.get("/api/accounts", headers=bearer(world, "boss")).json()
    assert {a["id"] for a in rows} == {world.objects["rep1"].account, world.objects["rep2"].account}
    assert {a["owner"] for a in rows} == {"rep1", "rep2"}
    only = client.get("/api/accounts?owner=rep2", headers=bearer(world, "boss")).json()
    assert [a["owner"] for a in only] == ["rep2"]


def test_detail_has_history(client: TestClient, world: World) -> None:
    acc = world.objects["rep1"].account
    data = client.get(f"/api/accounts/{acc}", headers=bearer(world, "rep1")).json()
    assert data["orders_by_year"] == [{"year": 2025, "orders": 1, "revenue": 1200.0}]
    assert [n["id"] for n in data["call_notes"]] == [world.objects["rep1"].note]
    assert data["briefs"][0]["version"] == 1 and len(data["tasks"]) == 1


def test_assign_owner(client: TestClient, world: World) -> None:
    acc = world.objects["rep1"].account
    h = bearer(world, "boss")
    r = client.put(f"/api/accounts/{acc}/owner", json={"owner": "rep2"}, headers=h)
    assert r.status_code == 200 and r.json()["owner"] == "rep2"
    # the former owner lost access, the new one has it
    assert client.get(f"/api/accounts/{acc}", headers=bearer(world, "rep1")).status_code == 403
    assert client.get(f"/api/accounts/{acc}", headers=bearer(world, "rep2")).status_code == 200
    events = client.get("/api/events?action=account.owner", headers=h).json()["events"]
    assert events[-1]["after"] == {"owner": "rep2"}


def test_assign_owner_bad_input(client: TestClient, world: World) -> None:
    acc = world.objects["rep1"].account
    h = bearer(world, "boss")
    assert (
        client.put(f"/api/accounts/{acc}/owner", json={"owner": "boss"}, headers=h).status_code
        == 422
    )
    assert (
        client.put(f"/api/accounts/{acc}/owner", json={"owner": "orep"}, headers=h).status_code
        == 404
    )
    r = client.put(
        f"/api/accounts/{acc}/owner",
        content=b"{not json",
        headers={**h, "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["errors"]
    r = client.put(f"/api/accounts/{acc}/owner", json={"owner": 5}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.owner"


def test_bad_params_are_422_with_fields(client: TestClient, world: World) -> None:
    h = bearer(world, "boss")
    r = client.get("/api/accounts?limit=0", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.limit"
    assert client.get("/api/accounts?status=bogus", headers=h).status_code == 422
    assert client.get("/api/accounts/abc", headers=h).status_code == 422
    assert client.get("/api/accounts/99999999999999999999", headers=h).status_code == 422

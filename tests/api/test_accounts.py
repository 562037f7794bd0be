"""``/api/accounts``: list scoping, detail with history, ownership assignment."""

from __future__ import annotations

from fastapi.testclient import TestClient

from agent.settings import Settings
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


def test_the_account_shows_its_win_back_history(client: TestClient, world: World) -> None:
    from tests.api.conftest import login
    from tests.api.world import QUOTE

    acc, nid = world.objects["rep1"].account, world.objects["rep1"].note
    h = bearer(world, "boss")
    detail = client.get(f"/api/accounts/{acc}", headers=h).json()
    # before the review: the call is listed with its draft, no reasons yet
    assert [(c["note_id"], c["stage"]) for c in detail["calls"]] == [(nid, "pending_review")]
    assert detail["reasons"] == []
    client.patch(f"/api/notes/{nid}", headers=h, json={"outcome": "lost"})
    assert client.post(f"/api/notes/{nid}/approve", headers=h).status_code == 200
    detail = client.get(f"/api/accounts/{acc}", headers=h).json()
    assert detail["status"] == "lost"
    assert [(c["stage"], c["outcome"]) for c in detail["calls"]] == [("approved", "lost")]
    assert [(r["code"], r["evidence"], r["call_note_id"]) for r in detail["reasons"]] == [
        ("delivery_reliability", QUOTE, nid)
    ]
    login(client, "rep1")
    page = client.get(f"/accounts/{acc}").text
    history = page.split('id="winback"')[1].split("</section>")[0]
    assert (
        "verloren – nicht mehr anrufen" in history
        and "Verloren im Gespräch vom 20.11.2026" in history
    )
    assert "Liefertreue" in history and f"„{QUOTE}“" in history
    tasks = history.split('id="open-tasks"')[1].split("</ul>")[0]
    assert "Angebot senden" in tasks and "Nachfassen" in tasks and "27.11.2026" in tasks


def test_a_recording_in_the_pipeline_is_listed_with_its_stage(
    client: TestClient, world: World, api_settings: Settings
) -> None:
    from agent.crm.db import open_store
    from agent.crm.models import CallNote

    acc, nid = world.objects["rep1"].account, world.objects["rep1"].note
    with open_store(api_settings.db_url).session() as s:
        note = s.get(CallNote, nid)
        assert note is not None
        s.delete(note)  # as if the analysis had not finished yet
    calls = client.get(f"/api/accounts/{acc}", headers=bearer(world, "rep1")).json()["calls"]
    assert [(c["recording_id"], c["stage"], c["note_id"]) for c in calls] == [
        (world.objects["rep1"].recording, "queued", None)
    ]

"""Call notes: list/get with transcript, edit, approve (CRM changes), reject, conflicts."""

from __future__ import annotations

from fastapi.testclient import TestClient

from agent.analysis.notes import list_notes
from agent.auth import principal_of
from agent.crm.db import open_store
from agent.crm.models import User
from agent.settings import Settings
from tests.api.conftest import bearer
from tests.api.world import QUOTE, World


def test_list_is_scoped(client: TestClient, world: World) -> None:
    mine = client.get("/api/notes", headers=bearer(world, "rep1")).json()
    assert [n["id"] for n in mine] == [world.objects["rep1"].note]
    team = client.get("/api/notes?status=pending_review", headers=bearer(world, "boss")).json()
    assert len(team) == 2
    assert client.get("/api/notes?status=approved", headers=bearer(world, "boss")).json() == []
    assert client.get("/api/notes?status=bogus", headers=bearer(world, "boss")).status_code == 422


def test_get_has_transcript_and_ai_markers(client: TestClient, world: World) -> None:
    note = client.get(
        f"/api/notes/{world.objects['rep1'].note}", headers=bearer(world, "rep1")
    ).json()
    assert note["churn_reasons"][0]["evidence"] == QUOTE
    assert [s["speaker"] for s in note["transcript"]["segments"]] == ["rep", "customer"]
    assert "summary" in note["ai_generated"] and "outcome" in note["ai_generated"]


def test_edit_marks_fields_as_edited(client: TestClient, world: World) -> None:
    nid = world.objects["rep1"].note
    r = client.patch(f"/api/notes/{nid}", json={"outcome": "reactivated", "summary": "Neu."},
                     headers=bearer(world, "boss"))  # fmt: skip
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["outcome"] == "reactivated" and data["field_sources"]["summary"] == "edited"
    assert "summary" not in data["ai_generated"] and "churn_reasons" in data["ai_generated"]


def test_edit_bad_input_is_422(client: TestClient, world: World) -> None:
    nid = world.objects["rep1"].note
    h = bearer(world, "boss")
    assert client.patch(f"/api/notes/{nid}", json={"outcome": "won"}, headers=h).status_code == 422
    assert (
        client.patch(f"/api/notes/{nid}", json={"status": "approved"}, headers=h).status_code == 422
    )
    r = client.patch(f"/api/notes/{nid}", json={"churn_reasons": [{"code": "aliens"}]}, headers=h)
    assert r.status_code == 422
    assert client.patch(f"/api/notes/{nid}", json={}, headers=h).status_code == 422


def test_approve_writes_the_crm_record_once(client: TestClient, world: World) -> None:
    nid = world.objects["rep1"].note
    h = bearer(world, "boss")
    r = client.post(f"/api/notes/{nid}/approve", json={"comment": "ok"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["labels"] == ["delivery_reliability"]
    assert r.json()["tasks"][0]["due_date"] == "2026-11-27"
    assert client.get(f"/api/notes/{nid}", headers=h).json()["status"] == "approved"
    tasks = client.get("/api/tasks?status=open", headers=bearer(world, "rep1")).json()
    assert any(t["call_note_id"] == nid for t in tasks)
    # a second review is a conflict
    assert client.post(f"/api/notes/{nid}/approve", headers=h).status_code == 409
    assert (
        client.post(f"/api/notes/{nid}/reject", json={"reason": "x"}, headers=h).status_code == 409
    )


def test_reject_needs_a_reason(client: TestClient, world: World) -> None:
    nid = world.objects["rep2"].note
    h = bearer(world, "boss")
    assert client.post(f"/api/notes/{nid}/reject", json={}, headers=h).status_code == 422
    assert (
        client.post(f"/api/notes/{nid}/reject", json={"reason": ""}, headers=h).status_code == 422
    )
    r = client.post(f"/api/notes/{nid}/reject", json={"reason": "falscher Kunde"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "rejected"


def test_approval_answers_with_what_it_wrote_into_the_record(
    client: TestClient, world: World
) -> None:
    nid = world.objects["rep1"].note
    h = bearer(world, "boss")
    client.patch(f"/api/notes/{nid}", headers=h, json={"outcome": "reactivated"})
    r = client.post(f"/api/notes/{nid}/approve", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["account_status"] == {
        "from": "active",
        "to": "active",
        "reason": "Reaktiviert im Gespräch vom 20.11.2026",
    }
    assert body["tasks"] == [
        {"id": body["tasks"][0]["id"], "type": "send_offer", "due_date": "2026-11-27",
         "description": "Angebot senden"}
    ]  # fmt: skip
    assert body["labels"] == ["delivery_reliability"] and body["learning_examples"] >= 0


def test_pages_and_api_list_the_same_notes(
    client: TestClient, world: World, api_settings: Settings
) -> None:
    # One function decides which notes a user sees (agent.analysis.notes.list_notes); the
    # API's cached list keeps the same scope and order.
    store = open_store(api_settings.db_url)
    for username in ("rep1", "rep2", "boss", "oboss"):
        with store.session() as session:
            user = principal_of(session, session.get(User, world.users[username]))
            listed = [n.id for n in list_notes(session, user.tenant_id, None, 100, viewer=user)]
        api = client.get("/api/notes", headers=bearer(world, username)).json()
        assert listed == [n["id"] for n in api], username
    with store.session() as session:
        tenant = world.tenants["acme"]
        everything = [n.id for n in list_notes(session, tenant)]  # the CLI: the whole tenant
    assert sorted(everything) == sorted(
        world.objects[rep].note for rep in ("rep1", "rep2")
    )  # fmt: skip

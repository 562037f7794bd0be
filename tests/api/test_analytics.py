"""Analytics and the event feed change when a manager approves a note."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import bearer
from tests.api.world import World

AS_OF = "2026-11-02"


def test_approval_moves_the_numbers_and_feeds_the_crm(client: TestClient, world: World) -> None:
    h = bearer(world, "boss")
    before = client.get(f"/api/analytics?as_of={AS_OF}", headers=h).json()
    assert before["churn_reasons"]["totals"] == {}
    funnel = {s["stage"]: s["accounts"] for s in before["funnel"]}
    assert funnel == {"planned": 2, "called": 2, "follow_up": 0, "reactivated": 0}
    assert before["pareto"]["callable"] == 2

    feed = client.get("/api/events", headers=h).json()
    assert feed["events"] == []
    nid = world.objects["rep1"].note
    assert client.post(f"/api/notes/{nid}/approve", headers=h).status_code == 200

    after = client.get(f"/api/analytics?as_of={AS_OF}", headers=h).json()
    assert after["churn_reasons"]["totals"] == {"delivery_reliability": 1}
    assert after["churn_reasons"]["months"] == ["2026-11"]
    assert after["internal_external"]["internal_share"] == 1.0
    assert {s["stage"]: s["accounts"] for s in after["funnel"]}["follow_up"] == 1

    feed = client.get(f"/api/events?after={feed['next_after']}", headers=h).json()
    assert [e["action"] for e in feed["events"]] == ["call_note.approve"]
    assert feed["events"][0]["note"]["churn_reasons"][0]["code"] == "delivery_reliability"
    again = client.get(f"/api/events?after={feed['next_after']}", headers=h).json()
    assert again["events"] == []
    # other tenants see nothing of it
    assert client.get("/api/events", headers=bearer(world, "oboss")).json()["events"] == []


def test_reps_have_no_analytics_or_feed(client: TestClient, world: World) -> None:
    assert client.get("/api/analytics", headers=bearer(world, "rep1")).status_code == 403
    assert client.get("/api/events", headers=bearer(world, "rep1")).status_code == 403
    assert client.get("/api/events?action=nope", headers=bearer(world, "boss")).status_code == 422

"""``/api/plan``: planned calls per role and the Pareto curve."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient

from agent.crm.db import open_store
from agent.crm.models import CallNote, CallOutcome, NextStepType, NoteStatus, Task, TaskStatus
from agent.settings import Settings
from tests.api.conftest import bearer
from tests.api.world import World

AS_OF = "2026-11-02"  # both accounts' last order (2025-01-15) lies > 12 months back


def test_rep_gets_own_calls_manager_everyones(client: TestClient, world: World) -> None:
    mine = client.get(f"/api/plan?as_of={AS_OF}", headers=bearer(world, "rep1")).json()["calls"]
    assert [c["account_id"] for c in mine] == [world.objects["rep1"].account]
    assert mine[0]["rep"] == "rep1"
    datetime.fromisoformat(mine[0]["start"])
    team = client.get(f"/api/plan?as_of={AS_OF}", headers=bearer(world, "boss")).json()["calls"]
    assert {c["rep"] for c in team} == {"rep1", "rep2"}
    other = client.get(f"/api/plan?as_of={AS_OF}", headers=bearer(world, "oboss")).json()["calls"]
    assert {c["rep"] for c in other} == {"orep"}


def test_pareto(client: TestClient, world: World) -> None:
    r = client.get(f"/api/plan/pareto?as_of={AS_OF}", headers=bearer(world, "boss"))
    assert r.status_code == 200
    data = r.json()
    assert data["callable"] == 2 and 1 <= data["cutoff_rank"] <= 2
    assert client.get("/api/plan/pareto", headers=bearer(world, "rep1")).status_code == 403


def test_bad_days(client: TestClient, world: World) -> None:
    h = bearer(world, "rep1")
    assert client.get("/api/plan?as_of=2026-13-01", headers=h).status_code == 422
    assert client.get("/api/plan?as_of=0001-01-01", headers=h).status_code == 422
    assert client.get("/api/plan?days=0", headers=h).status_code == 422


def test_model_explains_values_segments_and_exclusions(client: TestClient, world: World) -> None:
    r = client.get("/api/plan/model?as_of=2026-12-01", headers=bearer(world, "boss"))
    assert r.status_code == 200, r.text
    data = r.json()
    # Two one-order customers: the prior, and the reason in numbers.
    assert data["model"]["kind"] == "prior" and data["model"]["customers"] == 2
    assert [s["segment"] for s in data["segments"]] == [
        "unrated", "ease_1", "ease_2", "ease_3", "ease_4", "ease_5"
    ]  # fmt: skip
    first, _ = data["top"]
    assert first["explanation"].startswith("Erwarteter Wert in den nächsten 12 Monaten")
    assert first["expected_value"] == pytest.approx(
        first["p_return"] * first["expected_spend"], rel=1e-3
    )
    assert (first["ease"], first["win_back_chance"]) == (3, 0.3)
    assert data["excluded"] == []
    assert client.get("/api/plan/model", headers=bearer(world, "rep1")).status_code == 403
    assert client.get("/api/plan/model?top=-1", headers=bearer(world, "boss")).status_code == 422


def test_an_outcome_approved_elsewhere_reaches_the_cached_plan(
    client: TestClient, world: World, api_settings: Settings
) -> None:
    h = bearer(world, "boss")
    url = "/api/plan/model?as_of=2026-12-01"
    before = {s["segment"]: s for s in client.get(url, headers=h).json()["segments"]}
    assert before["ease_3"]["outcomes"] == 0
    # Approved by another process (the CLI): the web app hears nothing, the data version
    # of the plan cache changes.
    with open_store(api_settings.db_url).session() as session:
        note = session.get(CallNote, world.objects["rep1"].note)
        assert note is not None
        note.outcome = CallOutcome.reactivated
        note.status = NoteStatus.approved
        note.reviewed_at = datetime(2026, 11, 21, tzinfo=UTC)
    after = {s["segment"]: s for s in client.get(url, headers=h).json()["segments"]}
    assert (after["ease_3"]["outcomes"], after["ease_3"]["reactivated"]) == (1, 1)
    assert after["ease_3"]["chance"] > before["ease_3"]["chance"]


def test_an_agreed_follow_up_holds_the_account_until_its_day(
    client: TestClient, world: World, api_settings: Settings
) -> None:
    boss = bearer(world, "boss")
    held = world.objects["rep1"].account
    with open_store(api_settings.db_url).session() as session:
        task = Task(
            tenant_id=world.tenants["acme"],
            account_id=held,
            type=NextStepType.schedule_call,
            description="Wiedervorlage",
            owner_id=world.users["rep1"],
            due_date=date(2026, 12, 20),
            created_at=datetime(2026, 11, 20, 12, tzinfo=UTC),
        )
        session.add(task)
        session.flush()
        task_id = task.id

    def planned(day: str) -> list[int]:
        calls = client.get(f"/api/plan?as_of={day}", headers=boss).json()["calls"]
        return [c["account_id"] for c in calls]

    assert planned("2026-12-01") == [world.objects["rep2"].account]
    model = client.get("/api/plan/model?as_of=2026-12-01", headers=boss).json()
    assert [(e["account_id"], e["reason"], e["follow_up_due"]) for e in model["excluded"]] == [
        (held, "follow_up", "2026-12-20")
    ]
    page = client.get("/analytics?as_of=2026-12-01", headers=boss).text
    assert "Kunde rep1 GmbH</a>: Wiedervorlage am 20.12.2026" in page
    english = client.get("/analytics?as_of=2026-12-01", headers=boss,
                         cookies={"winback_lang": "en"}).text  # fmt: skip
    assert "Kunde rep1 GmbH</a>: follow-up agreed for 20 Dec 2026" in english
    assert held in planned("2026-12-21")

    # Cancelled in another process (the web app hears nothing, no timestamp changes):
    # the cached plan of that day is not served again.
    with open_store(api_settings.db_url).session() as session:
        stored = session.get(Task, task_id)
        assert stored is not None
        stored.status = TaskStatus.cancelled
    assert planned("2026-12-01") == [held, world.objects["rep2"].account]

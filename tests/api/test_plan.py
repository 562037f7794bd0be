"""``/api/plan``: planned calls per role and the Pareto curve."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient

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

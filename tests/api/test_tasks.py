"""Tasks: scoped list and state changes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import bearer
from tests.api.world import World


def test_list_and_complete(client: TestClient, world: World) -> None:
    tid = world.objects["rep1"].task
    h = bearer(world, "rep1")
    assert [t["id"] for t in client.get("/api/tasks", headers=h).json()] == [tid]
    r = client.patch(f"/api/tasks/{tid}", json={"status": "done"}, headers=h)
    assert r.status_code == 200 and r.json()["completed_at"]
    assert client.get("/api/tasks?status=open", headers=h).json() == []
    r = client.patch(f"/api/tasks/{tid}", json={"status": "open"}, headers=h)
    assert r.json()["completed_at"] is None


def test_bad_status_is_422(client: TestClient, world: World) -> None:
    tid = world.objects["rep1"].task
    h = bearer(world, "rep1")
    assert (
        client.patch(f"/api/tasks/{tid}", json={"status": "finished"}, headers=h).status_code == 422
    )
    assert client.patch(f"/api/tasks/{tid}", json=[], headers=h).status_code == 422

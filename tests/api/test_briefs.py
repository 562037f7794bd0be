"""Briefs: a background job per request, stored versions, access rules."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from agent.crm.db import open_store
from agent.crm.models import Account, AccountStatus
from agent.settings import Settings
from tests.api.conftest import bearer
from tests.api.world import World


def wait(client: TestClient, job_id: str, headers: dict[str, str]) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/api/brief-jobs/{job_id}", headers=headers).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError("brief job did not finish")


def test_brief_of_a_written_off_account(
    client: TestClient, world: World, api_settings: Settings
) -> None:
    # A lost account gets the short "don't call" brief written by code: no model involved.
    acc = world.objects["rep1"].account
    with open_store(api_settings.db_url).session() as session:
        session.get(Account, acc).status = AccountStatus.lost
    h = bearer(world, "rep1")
    r = client.post(f"/api/accounts/{acc}/briefs?as_of=2026-11-02", headers=h)
    assert r.status_code == 202
    job = wait(client, r.json()["id"], h)
    assert job["status"] == "done", job
    brief = client.get(f"/api/briefs/{job['brief_id']}", headers=h).json()
    assert brief["version"] == 2 and brief["content"]["should_call"] is False
    assert brief["ai_generated"] == []  # written by code alone
    versions = client.get(f"/api/accounts/{acc}/briefs", headers=h).json()
    assert [v["version"] for v in versions] == [2, 1]
    # the account page shows it
    page = client.get(f"/accounts/{acc}", headers=h)
    assert page.status_code == 200 and "v2" in page.text


def test_model_failure_ends_the_job_failed_with_reason(client: TestClient, world: World) -> None:
    # The fake chat model has no reply queued: the job must end "failed" with a message.
    acc = world.objects["rep1"].account
    h = bearer(world, "rep1")
    job = wait(
        client,
        client.post(f"/api/accounts/{acc}/briefs?as_of=2026-11-02", headers=h).json()["id"],
        h,
    )
    assert job["status"] in ("done", "failed")
    if job["status"] == "failed":
        assert job["error"]


def test_jobs_of_others_are_not_visible(client: TestClient, world: World) -> None:
    acc = world.objects["rep1"].account
    job = client.post(
        f"/api/accounts/{acc}/briefs?as_of=2026-11-02", headers=bearer(world, "rep1")
    ).json()
    assert (
        client.get(f"/api/brief-jobs/{job['id']}", headers=bearer(world, "rep2")).status_code == 404
    )
    assert (
        client.get(f"/api/brief-jobs/{job['id']}", headers=bearer(world, "oboss")).status_code
        == 404
    )
    assert (
        client.get(f"/api/brief-jobs/{job['id']}", headers=bearer(world, "boss")).status_code == 200
    )
    assert client.get("/api/brief-jobs/nope", headers=bearer(world, "boss")).status_code == 404
    wait(client, job["id"], bearer(world, "rep1"))

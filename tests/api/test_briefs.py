"""Briefs: a queued job per request, run by a real queue worker; stored versions; access."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from agent.crm.db import open_store
from agent.crm.models import Account, AccountStatus, StoredBrief
from agent.jobs.worker import embedded_worker
from agent.settings import Settings
from api.app import create_app
from tests.api.conftest import bearer, login
from tests.api.world import World


@pytest.fixture
def worker(client: TestClient, api_settings: Settings) -> Iterator[None]:
    """The queue worker that runs brief jobs (as ``winback serve`` embeds one)."""
    with embedded_worker(api_settings):
        yield


def wait(client: TestClient, job_id: str, headers: dict[str, str]) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/api/brief-jobs/{job_id}", headers=headers).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError("brief job did not finish")


def test_brief_of_a_written_off_account(
    client: TestClient, world: World, api_settings: Settings, worker: None
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
    assert page.status_code == 200 and "Version 2 vom" in page.text


def test_model_failure_ends_the_job_failed_with_reason(
    client: TestClient, world: World, worker: None
) -> None:
    # The fake chat model has no reply queued: the job must end "failed" with a message.
    acc = world.objects["rep1"].account
    h = bearer(world, "rep1")
    job = wait(
        client,
        client.post(f"/api/accounts/{acc}/briefs?as_of=2026-11-02", headers=h).json()["id"],
        h,
    )
    assert job["status"] == "failed" and "no queued reply" in job["error"], job
    assert job["brief_id"] is None
    # The web app shows the reason in the rep's language, not the operator's English.
    assert job["message"].startswith("Die Gesprächsvorbereitung ist fehlgeschlagen")


def test_job_is_queued_for_a_worker_and_visible_from_another_app(
    client: TestClient, world: World, api_settings: Settings
) -> None:
    # The web process only queues: without a worker the job waits (the model is not loaded
    # here). A second app instance (another uvicorn worker) answers the polls from the row.
    with open_store(api_settings.db_url).session() as session:
        session.get(Account, world.objects["rep1"].account).status = AccountStatus.lost
    acc, h = world.objects["rep1"].account, bearer(world, "rep1")
    posted = client.post(f"/api/accounts/{acc}/briefs?as_of=2026-11-02", headers=h)
    assert posted.status_code == 202
    job = posted.json()
    assert set(job) == {"id", "account_id", "status", "brief_id", "error", "message"}
    assert (job["account_id"], job["status"], job["brief_id"]) == (acc, "queued", None)
    time.sleep(0.5)
    assert client.get(f"/api/brief-jobs/{job['id']}", headers=h).json()["status"] == "queued"
    # Asking again while it waits gives the same job, not a second generation.
    again = client.post(f"/api/accounts/{acc}/briefs?as_of=2026-11-02", headers=h).json()
    assert again["id"] == job["id"]
    with TestClient(create_app(api_settings)) as other, embedded_worker(api_settings):
        done = wait(other, job["id"], h)
    assert done["status"] == "done" and done["brief_id"], done
    assert client.get(f"/api/briefs/{done['brief_id']}", headers=h).status_code == 200


def test_bad_requests_are_clear_errors(client: TestClient, world: World) -> None:
    acc, h = world.objects["rep1"].account, bearer(world, "rep1")
    r = client.post(f"/api/accounts/{acc}/briefs?as_of=1900-01-01", headers=h)
    assert r.status_code == 422 and "as_of" in r.json()["detail"]
    assert client.post(f"/api/accounts/{acc}/briefs?as_of=soon", headers=h).status_code == 422
    assert client.post("/api/accounts/999999/briefs", headers=h).status_code == 404
    other = world.objects["rep2"].account
    assert client.post(f"/api/accounts/{other}/briefs", headers=h).status_code == 403
    assert client.get("/api/brief-jobs/" + "x" * 500, headers=h).status_code == 404


def test_jobs_of_others_are_not_visible(client: TestClient, world: World, worker: None) -> None:
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


def test_the_account_page_flow_with_the_session_cookie(
    client: TestClient, world: World, api_settings: Settings, worker: None
) -> None:
    # What api/static/app.js does: POST with the CSRF token, poll /api/brief-jobs/{id}, reload.
    acc = world.objects["rep1"].account
    with open_store(api_settings.db_url).session() as session:
        session.get(Account, acc).status = AccountStatus.lost
    csrf = login(client, "rep1")
    page = client.get(f"/accounts/{acc}")
    assert f'id="prepare-brief" data-account="{acc}"' in page.text
    assert client.post(f"/api/accounts/{acc}/briefs").status_code == 403  # CSRF token missing
    job = client.post(f"/api/accounts/{acc}/briefs", headers={"X-CSRF-Token": csrf}).json()
    assert wait(client, job["id"], {})["status"] == "done"
    assert "Version 2 vom" in client.get(f"/accounts/{acc}").text


def test_the_api_marks_only_the_parts_a_model_wrote_as_the_page_does(
    client: TestClient, world: World, api_settings: Settings
) -> None:
    # The compact design: code wrote the situation and talking points, the model only the
    # opening question; objections and "avoid" are always the playbook's (code).
    with open_store(api_settings.db_url).session() as session:
        row = session.get(StoredBrief, world.objects["rep1"].brief)
        assert row is not None
        row.model = "qwen2.5-1.5b-instruct"
        row.content = {
            **(row.content or {}),
            "authored": {"situation": "code", "talking_points": "code",
                         "opening_question": "model"},
        }  # fmt: skip
        brief_id = row.id
    brief = client.get(f"/api/briefs/{brief_id}", headers=bearer(world, "rep1")).json()
    assert brief["ai_generated"] == ["opening_question"]

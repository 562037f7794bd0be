"""A recording as the rep follows it: consent confirmed by the server, stages, do-not-call.

Real app, real database; no worker runs: the tests set the steps' states in the
database as a worker would, so each stage can be looked at.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from agent.calls.progress import measure_speeds
from agent.crm.db import open_store
from agent.crm.models import (
    Account,
    AccountStatus,
    CallRecording,
    JobStatus,
    PipelineJob,
    RecordingStatus,
)
from agent.settings import Settings
from tests.api.conftest import bearer, login
from tests.api.test_recordings import JFK, consent
from tests.api.world import World


def post_audio(client: TestClient, account: int, params: dict[str, str], headers: dict[str, str]):  # type: ignore[no-untyped-def]  # fmt: skip
    return client.post(
        f"/api/accounts/{account}/recordings",
        params=params,
        content=JFK.read_bytes(),
        headers={"Content-Type": "audio/flac", **headers},
    )


def recordings_of(client: TestClient, world: World) -> list[dict[str, Any]]:
    return client.get("/api/recordings", headers=bearer(world, "rep1")).json()  # type: ignore[no-any-return]


def test_a_browser_upload_without_the_consent_confirmation_is_refused(
    client: TestClient, world: World
) -> None:
    csrf = login(client, "rep1")
    account = world.objects["rep1"].account
    before = len(recordings_of(client, world))
    # The form's checkbox removed in the browser: the record is complete, the confirmation not.
    refused = post_audio(client, account, consent(), {"X-CSRF-Token": csrf})
    assert refused.status_code == 422, refused.text
    assert refused.json()["message"] == (
        "Bitte bestätigen Sie, dass der Kunde der Aufnahme vorab zugestimmt hat."
    )
    assert len(recordings_of(client, world)) == before  # nothing stored
    unticked = post_audio(
        client, account, {**consent(), "consent_confirmed": "false"}, {"X-CSRF-Token": csrf}
    )
    assert unticked.status_code == 422
    accepted = post_audio(
        client, account, {**consent(), "consent_confirmed": "true"}, {"X-CSRF-Token": csrf}
    )
    assert accepted.status_code == 202, accepted.text
    assert len(recordings_of(client, world)) == before + 1


def test_no_recording_is_taken_for_an_account_marked_do_not_call(
    client: TestClient, world: World, api_settings: Settings
) -> None:
    account = world.objects["rep1"].account
    with open_store(api_settings.db_url).session() as session:
        row = session.get(Account, account)
        assert row is not None
        row.status = AccountStatus.do_not_contact
    refused = post_audio(client, account, consent(), bearer(world, "rep1"))
    assert refused.status_code == 409, refused.text
    assert "Nicht anrufen" in refused.json()["message"]
    page = client.get(f"/accounts/{account}/call", headers=bearer(world, "rep1")).text
    assert 'id="do-not-call"' in page and "kein Kontakt gewünscht" in page
    assert "<fieldset disabled>" in page and 'id="tel"' not in page


def set_jobs(settings: Settings, rid: str, running_for_s: float) -> None:
    """Every step done but the analysis, which has run for ``running_for_s`` seconds."""
    now = datetime.now(UTC)
    with open_store(settings.db_url).session() as session:
        for job in session.scalars(select(PipelineJob).where(PipelineJob.recording_id == rid)):
            if job.step == "analyze":
                job.status, job.started_at = (
                    JobStatus.running,
                    now - timedelta(seconds=running_for_s),
                )
            else:
                job.status, job.duration_s, job.progress = JobStatus.done, 2.0, 1.0
                job.started_at, job.finished_at = now - timedelta(seconds=60), now
        row = session.get(CallRecording, rid)
        assert row is not None
        row.status = RecordingStatus.transcribed


def test_the_stage_runs_from_uploaded_to_draft_ready_with_an_estimate(
    client: TestClient, world: World, api_settings: Settings
) -> None:
    rep = bearer(world, "rep1")
    first = post_audio(client, world.objects["rep1"].account, consent(), rep).json()
    rid = first["id"]
    stage = first["stage"]
    assert (stage["stage"], stage["percent"]) == ("uploaded", 0)
    assert stage["label"].startswith("Hochgeladen") and stage["remaining_s"] > 0
    assert stage["remaining"].startswith("noch etwa") and stage["measured"] is False
    english = client.get(f"/api/recordings/{rid}", headers={**rep, "Cookie": "winback_lang=en"})
    assert english.json()["stage"]["label"].startswith("Uploaded")
    # Listed in "Meine Notizen" with its stage while it has no note.
    page = client.get("/notes", headers=rep).text
    assert f'data-recording="{rid}"' in page and "Hochgeladen" in page

    # The analysis runs: the stage says so (never the raw "transcribed"), and the bar keeps
    # moving with the analysis's expected time instead of halting at the transcription's share.
    set_jobs(api_settings, rid, running_for_s=2)
    early = client.get(f"/api/recordings/{rid}", headers=rep).json()
    set_jobs(api_settings, rid, running_for_s=12)
    later = client.get(f"/api/recordings/{rid}", headers=rep).json()
    assert early["stage"]["stage"] == later["stage"]["stage"] == "analysing"
    assert early["stage"]["label"] == "Analyse läuft"
    assert early["stage"]["percent"] < later["stage"]["percent"] < 100
    assert later["stage"]["remaining_s"] < early["stage"]["remaining_s"]
    page = client.get("/notes", headers=rep).text
    assert "Analyse läuft" in page and "transcribed" not in page
    # The steps before the analysis now have measured speeds for this tenant.
    with open_store(api_settings.db_url).session() as session:
        speeds = measure_speeds(session, world.tenants["acme"])
    assert {"decode", "transcribe", "store"} <= speeds.measured


def test_a_recording_with_its_draft_is_ready_and_links_the_note(
    client: TestClient, world: World
) -> None:
    rep = bearer(world, "rep1")
    mine = world.objects["rep1"]
    state = client.get(f"/api/recordings/{mine.recording}", headers=rep).json()
    assert state["note_id"] == mine.note
    assert state["stage"]["stage"] == "draft_ready" and state["progress"] == 1.0
    assert state["stage"]["label"] == "Entwurf fertig" and state["stage"]["remaining_s"] is None
    page = client.get(f"/recordings/{mine.recording}", headers=rep).text
    assert "Entwurf fertig" in page and f'href="/notes/{mine.note}"' in page
    assert 'role="status"' in page and 'aria-live="polite"' in page
    assert f'data-recording="{mine.recording}"' not in client.get("/notes", headers=rep).text

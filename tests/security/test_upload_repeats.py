"""An upload never returns another user's recording, and a new recording is never dropped.

The probe found that duplicate detection by content hash and by
``Idempotency-Key`` was tenant-wide and the route returned the match without
an ownership check: a rep who uploaded a file a colleague had uploaded, or
reused a key such as ``upload-1``, got 200 with the colleague's recording and
note ids, and their own upload was silently dropped. Now a key belongs to its
uploader, a repeat is answered with the earlier recording only when it is the
same user's same recording, and everything else that collides is a 409 with
a reason. Runs on SQLite and PostgreSQL (the unique constraints decide races).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from agent.crm.db import open_store
from agent.crm.models import CallRecording
from agent.jobs.queue import forget_queues
from agent.settings import Settings
from api.app import create_app
from api.deps import forget_principals
from api.planning import forget_plans
from tests.api.conftest import bearer, make_settings
from tests.api.world import World, build_world
from tests.calls import media


@pytest.fixture
def api(db_url: str) -> Iterator[tuple[TestClient, World, Settings]]:
    settings = make_settings(db_url)
    world = build_world(open_store(settings.db_url))
    forget_plans()
    forget_principals()
    forget_queues()
    with TestClient(create_app(settings)) as client:
        yield client, world, settings
    forget_queues()


@pytest.fixture
def calls(tmp_path: Path) -> Iterator[bytes]:
    """Valid recordings, each with other content."""

    def make() -> Iterator[bytes]:
        for n in itertools.count():
            samples = media.tone(1.0, freq=250.0 + 13 * n)
            yield media.write_audio(tmp_path / f"call{n}.wav", samples).read_bytes()

    return make()


def upload(
    client: TestClient, world: World, user: str, body: bytes, *, account_of: str | None = None,
    key: str | None = None,
) -> Any:  # fmt: skip
    account = world.objects[account_of or user].account
    headers = {**bearer(world, user), "Content-Type": "audio/wav"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(
        f"/api/accounts/{account}/recordings",
        params={"given_by": "Frau Huber", "method": "written",
                "given_at": "2026-11-20T10:00:00+01:00", "text_version": "v1"},
        content=body,
        headers=headers,
    )  # fmt: skip


def recordings(settings: Settings) -> int:
    with open_store(settings.db_url).session() as session:
        return session.scalar(select(func.count()).select_from(CallRecording)) or 0


def test_another_reps_key_does_not_return_their_recording(
    api: tuple[TestClient, World, Settings], calls: Iterator[bytes]
) -> None:
    client, world, settings = api
    first = upload(client, world, "rep1", next(calls), key="upload-1")
    assert first.status_code == 202, first.text
    before = recordings(settings)
    second = upload(client, world, "rep2", next(calls), key="upload-1")
    assert second.status_code == 202, second.text  # a new recording of rep2's, not a repeat
    assert second.json()["id"] != first.json()["id"]
    assert second.json()["account_id"] == world.objects["rep2"].account
    assert recordings(settings) == before + 1
    # Each rep's key still finds their own recording.
    again = upload(client, world, "rep2", next(calls), key="upload-1")
    assert again.status_code == 409  # rep2's key, but other content: see the next test


def test_a_reused_key_with_other_content_is_409_and_stores_nothing(
    api: tuple[TestClient, World, Settings], calls: Iterator[bytes]
) -> None:
    client, world, settings = api
    call = next(calls)
    first = upload(client, world, "rep1", call, key="upload-1")
    assert first.status_code == 202
    before = recordings(settings)
    other = upload(client, world, "rep1", next(calls), key="upload-1")
    assert other.status_code == 409
    assert "Idempotency-Key" in other.json()["detail"] and "new key" in other.json()["detail"]
    assert recordings(settings) == before
    same = upload(client, world, "rep1", call, key="upload-1")  # a real retry
    assert same.status_code == 200 and same.json()["id"] == first.json()["id"]
    assert same.json()["duplicate"] is True


def test_a_colleagues_file_is_409_without_revealing_their_recording(
    api: tuple[TestClient, World, Settings], calls: Iterator[bytes]
) -> None:
    client, world, settings = api
    call = next(calls)
    first = upload(client, world, "rep1", call)
    assert first.status_code == 202
    theirs = first.json()
    copy = upload(client, world, "rep2", call)
    assert copy.status_code == 409, copy.text  # told, not silently dropped
    detail = copy.json()["detail"]
    assert "already been uploaded by another user" in detail
    assert theirs["id"] not in copy.text and str(theirs["account_id"]) not in detail
    assert "note_id" not in copy.json()
    staging = settings.audio_path / ".staging"  # the refused copy's staged file is gone
    assert not staging.exists() or not any(staging.iterdir())
    # rep1's recording is untouched and still theirs alone.
    kept = client.get(f"/api/recordings/{theirs['id']}", headers=bearer(world, "rep1"))
    assert kept.status_code == 200 and kept.json()["account_id"] == world.objects["rep1"].account
    assert (
        client.get(f"/api/recordings/{theirs['id']}", headers=bearer(world, "rep2")).status_code
        == 403
    )


def test_the_same_users_same_file_is_a_repeat_only_on_the_same_account(
    api: tuple[TestClient, World, Settings], calls: Iterator[bytes]
) -> None:
    client, world, settings = api
    call = next(calls)
    first = upload(client, world, "boss", call, account_of="rep1")  # a manager sees every account
    assert first.status_code == 202
    repeat = upload(client, world, "boss", call, account_of="rep1")
    assert repeat.status_code == 200 and repeat.json()["id"] == first.json()["id"]
    elsewhere = upload(client, world, "boss", call, account_of="rep2")
    assert elsewhere.status_code == 409
    assert "another account" in elsewhere.json()["detail"]
    keyed_call = next(calls)
    assert (
        upload(client, world, "boss", keyed_call, account_of="rep1", key="k-7").status_code == 202
    )
    moved = upload(client, world, "boss", keyed_call, account_of="rep2", key="k-7")
    assert moved.status_code == 409 and "another account" in moved.json()["detail"]


def test_the_upload_form_shows_the_conflict_in_german(
    api: tuple[TestClient, World, Settings],
) -> None:
    client, world, _ = api
    page = client.get(f"/accounts/{world.objects['rep1'].account}", headers=bearer(world, "rep1"))
    assert page.status_code == 200
    assert 'data-conflict="Diese Aufnahme wurde bereits hochgeladen' in page.text

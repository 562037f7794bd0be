"""The recording in review: served only to who may see the note, seekable, played from the page."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient

from agent.audio_store import get_audio_store
from agent.crm.db import open_store
from agent.crm.models import CallRecording
from agent.settings import Settings
from tests.api.conftest import bearer, login
from tests.api.world import World

AUDIO = b"RIFF" + bytes(range(256)) * 40


@pytest.fixture
def stored(api_settings: Settings, world: World) -> World:
    """Every recording of the world with audio in the store."""
    store = open_store(api_settings.db_url)
    audio = get_audio_store(api_settings)
    with store.session() as s:
        for objects in world.objects.values():
            row = s.get(CallRecording, objects.recording)
            assert row is not None
            row.storage_key = audio.put(io.BytesIO(AUDIO), max_bytes=10**6).key
            row.container = "wav"
    return world


def test_the_owner_and_managers_hear_the_recording(client: TestClient, stored: World) -> None:
    nid = stored.objects["rep1"].note
    for user in ("rep1", "boss"):
        r = client.get(f"/api/notes/{nid}/audio", headers=bearer(stored, user))
        assert r.status_code == 200 and r.content == AUDIO
        assert r.headers["content-type"] == "audio/wav"
    # players seek with byte ranges
    r = client.get(f"/api/notes/{nid}/audio", headers={**bearer(stored, "boss"),
                                                      "Range": "bytes=100-199"})  # fmt: skip
    assert r.status_code == 206 and r.content == AUDIO[100:200]


def test_another_rep_or_tenant_cannot_fetch_the_recording(
    client: TestClient, stored: World
) -> None:
    nid = stored.objects["rep1"].note
    assert client.get(f"/api/notes/{nid}/audio", headers=bearer(stored, "rep2")).status_code == 403
    for user in ("orep", "oboss"):
        r = client.get(f"/api/notes/{nid}/audio", headers=bearer(stored, user))
        assert r.status_code == 404 and AUDIO[:40] not in r.content
    assert client.get(f"/api/notes/{nid}/audio").status_code == 401


def test_a_deleted_recording_is_gone(
    client: TestClient, stored: World, api_settings: Settings
) -> None:
    from datetime import UTC, datetime

    store = open_store(api_settings.db_url)
    with store.session() as s:
        row = s.get(CallRecording, stored.objects["rep1"].recording)
        assert row is not None
        row.audio_deleted_at = datetime.now(UTC)
    nid = stored.objects["rep1"].note
    r = client.get(f"/api/notes/{nid}/audio", headers=bearer(stored, "boss"))
    assert r.status_code == 404 and "deleted" in r.json()["detail"]
    login(client, "boss")
    page = client.get(f"/notes/{nid}").text
    assert 'id="recording"' not in page
    # the manager learns why there is no player, and how to keep audio for the review
    assert 'id="audio-gone"' in page and "after_review" in page


def test_the_page_plays_from_every_line_and_every_quote(client: TestClient, stored: World) -> None:
    login(client, "rep1")
    nid = stored.objects["rep1"].note
    r = client.get(f"/notes/{nid}")
    page = r.text
    assert (
        f'<audio id="recording" controls preload="metadata" src="/api/notes/{nid}/audio">' in page
    )
    transcript = page.split('id="transcript"')[1]
    assert f'href="/api/notes/{nid}/audio#t=0.00" data-start="0.00"' in transcript
    assert f'href="/api/notes/{nid}/audio#t=4.00" data-start="4.00"' in transcript
    # the evidence quote plays from the segment it was said in
    reasons = page.split('id="reasons"')[1].split("</ul>")[0]
    assert 'data-start="4.00"' in reasons
    # the player is allowed by the page's content security policy
    assert "media-src 'self'" in r.headers["content-security-policy"]

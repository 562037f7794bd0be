"""Bounds on model work per user: queued briefs, audio minutes a day, call length, fair order.

A rep who queues briefs in bulk must get 429 (with Retry-After and a German
message for the web app) instead of filling the workers' queue, and must
not push another rep's upload behind all of them; audio is limited per
user and day by its decoded length, and one call by the maximum length.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from agent.crm.db import open_store
from agent.crm.models import Account, AccountStatus, BriefJob, CallRecording, PipelineJob
from agent.jobs.queue import queued_work
from agent.jobs.worker import embedded_worker
from agent.settings import Settings, configure
from api.app import create_app
from tests.api.conftest import bearer, make_settings
from tests.api.test_recordings import consent
from tests.api.world import World, build_world
from tests.calls import media

STATIC = Path(__file__).resolve().parents[2] / "api" / "static" / "app.js"


@pytest.fixture
def quota_client(sqlite_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A client whose settings have small quotas; returns (client, world, settings)."""
    settings = make_settings(sqlite_url)
    settings = configure(**{**settings.model_dump(), "brief_queue_per_user": 3,
                            "audio_minutes_per_day": 0.5})  # fmt: skip
    world = build_world(open_store(settings.db_url))
    with TestClient(create_app(settings)) as client:
        yield client, world, settings


def post_brief(client: TestClient, world: World, rep: str, day: int):  # type: ignore[no-untyped-def]
    acc = world.objects[rep].account
    as_of = (date(2026, 11, 2) + timedelta(days=day)).isoformat()
    return client.post(f"/api/accounts/{acc}/briefs?as_of={as_of}", headers=bearer(world, rep))


def test_queued_briefs_per_user_are_limited_with_429(quota_client) -> None:  # type: ignore[no-untyped-def]
    client, world, _ = quota_client
    first = [post_brief(client, world, "rep1", day) for day in range(3)]
    assert [r.status_code for r in first] == [202, 202, 202]
    # The same account and day again is the same job, not a fourth.
    assert post_brief(client, world, "rep1", 0).json()["id"] == first[0].json()["id"]
    r = post_brief(client, world, "rep1", 3)
    assert r.status_code == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 300
    body = r.json()
    assert "3" in body["detail"] and body["retry_after"] == int(r.headers["Retry-After"])
    assert "Gesprächsvorbereitungen" in body["message"]  # the web app shows this (German)
    # Other reps are not affected by rep1's queue.
    assert post_brief(client, world, "rep2", 0).status_code == 202
    with open_store(client.app.state.settings.db_url).session() as session:
        assert session.scalar(select(func.count()).select_from(BriefJob)) == 4


def test_the_web_app_shows_the_german_message() -> None:
    script = STATIC.read_text()
    assert script.count("data.message || data.detail") == 2  # brief and upload errors


def tone_bytes(tmp_path: Path, seconds: float, freq: float) -> bytes:
    path = media.write_audio(tmp_path / f"t{freq}.wav", media.tone(seconds, freq=freq))
    return path.read_bytes()


def upload(client: TestClient, world: World, body: bytes):  # type: ignore[no-untyped-def]
    acc = world.objects["rep1"].account
    return client.post(f"/api/accounts/{acc}/recordings", params=consent(), content=body,
                       headers={**bearer(world, "rep1"), "Content-Type": "audio/wav"})  # fmt: skip


def test_audio_minutes_per_day_count_the_decoded_length(quota_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, world, settings = quota_client  # 0.5 minutes a day
    assert upload(client, world, tone_bytes(tmp_path, 11, 300)).status_code == 202
    assert upload(client, world, tone_bytes(tmp_path, 11, 400)).status_code == 202
    r = upload(client, world, tone_bytes(tmp_path, 11, 500))  # 33 s > 30 s
    assert r.status_code == 429, r.text
    assert 1 <= int(r.headers["Retry-After"]) <= 86_400
    assert "Minuten" in r.json()["message"]
    with open_store(settings.db_url).session() as session:
        mine = session.scalar(select(func.count()).select_from(CallRecording)
                              .where(CallRecording.duration_s.is_not(None)))  # fmt: skip
    assert mine == 2  # the refused one left no row
    staging = settings.audio_path / ".staging"
    assert not staging.exists() or not any(staging.iterdir())  # nor a staged file
    # Another rep has their own allowance.
    acc = world.objects["rep2"].account
    r = client.post(f"/api/accounts/{acc}/recordings", params=consent(),
                    content=tone_bytes(tmp_path, 11, 600),
                    headers={**bearer(world, "rep2"), "Content-Type": "audio/wav"})  # fmt: skip
    assert r.status_code == 202


def test_a_repeat_of_ones_own_recording_costs_no_audio_minutes(
    quota_client: tuple[TestClient, World, Settings], tmp_path: Path
) -> None:
    client, world, settings = quota_client  # 0.5 minutes a day
    first = tone_bytes(tmp_path, 11, 300)
    assert upload(client, world, first).status_code == 202
    assert upload(client, world, tone_bytes(tmp_path, 11, 400)).status_code == 202
    # 22 s used: the same 11 s again would be over 30 s, but a retry stores nothing.
    again = upload(client, world, first)
    assert again.status_code == 200 and again.json()["duplicate"] is True, again.text
    staging = settings.audio_path / ".staging"
    assert not staging.exists() or not any(staging.iterdir())


def long_silence_flac(path: Path, seconds: float) -> Path:
    """A small FLAC of silence (8 kHz mono compresses to ~2.6 kB a second)."""
    rate, frame = 8000, 18_432
    container = av.open(str(path), "w", format="flac")
    stream = container.add_stream("flac", rate=rate, layout="mono")
    zeros = np.zeros((1, frame), dtype=np.int16)
    for _ in range(int(seconds * rate) // frame):
        chunk = av.AudioFrame.from_ndarray(zeros, format="s16", layout="mono")
        chunk.sample_rate = rate
        for packet in stream.encode(chunk):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)
    container.close()
    return path


def test_a_call_longer_than_two_hours_is_refused_by_default(
    client: TestClient, world: World, app_settings: Settings, tmp_path: Path
) -> None:
    assert Settings().max_duration_s == 2 * 3600
    body = long_silence_flac(tmp_path / "silence.flac", 2 * 3600 + 600).read_bytes()
    assert len(body) < 2_000_000  # small enough for the upload limit: only the length counts
    acc = world.objects["rep1"].account
    r = client.post(f"/api/accounts/{acc}/recordings", params=consent(), content=body,
                    headers={**bearer(world, "rep1"), "Content-Type": "audio/flac"})  # fmt: skip
    assert r.status_code == 413 and "120 minutes" in r.json()["detail"], r.text


def test_bulk_briefs_do_not_starve_an_upload(sqlite_url: str, tmp_path: Path) -> None:
    settings = make_settings(sqlite_url)
    world = build_world(open_store(settings.db_url))
    with open_store(settings.db_url).session() as session:  # briefs by code alone: quick
        session.get(Account, world.objects["rep1"].account).status = AccountStatus.lost
    with TestClient(create_app(settings)) as client:
        for day in range(5):
            assert post_brief(client, world, "rep1", day).status_code == 202
        acc = world.objects["rep2"].account
        r = client.post(f"/api/accounts/{acc}/recordings", params=consent(),
                        content=tone_bytes(tmp_path, 2, 700),
                        headers={**bearer(world, "rep2"), "Content-Type": "audio/wav"})  # fmt: skip
        assert r.status_code == 202, r.text
        recording_id = r.json()["id"]
        # Only the head of rep1's briefs waits in the queue, so the upload is second, not sixth.
        waiting = [name for name, _ in queued_work(settings)]
        assert sorted(waiting) == ["winback.brief", "winback_calls_decode"], waiting
        unfinished = BriefJob.status.in_(("queued", "running"))
        with embedded_worker(settings, workers=1):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with open_store(settings.db_url).session() as session:
                    left = session.scalar(
                        select(func.count()).select_from(BriefJob).where(unfinished)
                    )
                if not left:
                    break
                time.sleep(0.1)
    with open_store(settings.db_url).session() as session:
        starts = sorted(
            session.scalars(select(BriefJob.started_at).where(BriefJob.status == "done"))
        )
        decoded = session.scalar(select(PipelineJob.started_at).where(
            PipelineJob.recording_id == recording_id, PipelineJob.step == "decode"))  # fmt: skip
    assert len(starts) == 5 and decoded is not None
    assert decoded < starts[1]  # the upload ran after one brief, not after all five


def test_the_recovery_sweep_keeps_the_fair_order(quota_client) -> None:  # type: ignore[no-untyped-def]
    from agent.brief.jobs import jobs_to_requeue

    client, world, settings = quota_client
    ids = [post_brief(client, world, "rep1", day).json()["id"] for day in range(3)]
    store = open_store(settings.db_url)
    # Long after, the waiting briefs still have no message: they wait their turn, not lost.
    assert jobs_to_requeue(store, queued_work(settings), stale_s=0) == []
    # Only a lost head is enqueued again, never the whole lane at once.
    assert jobs_to_requeue(store, set(), stale_s=0) == [ids[0]]

"""Upload → transcript with the real local Whisper, on both deployments.

* SQLite + embedded Huey (worker threads in this process), on the shortest
  rendered two-channel call from ../shared/evals/audio (en-005);
* PostgreSQL + Redis Huey with a real ``winback worker`` process, on the
  JFK clip shipped in tests/fixtures/audio;
* five minutes of silence gives an empty transcript;
* a worker killed with SIGKILL during transcription: after a restart there
  is exactly one transcript and the job is done.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.calls.intake import upload_recording
from agent.calls.status import Recording, get_recording, get_transcript
from agent.crm.db import Store, get_or_create_tenant, open_store
from agent.crm.models import Account, PipelineJob, Transcript
from agent.jobs.worker import embedded_worker
from agent.settings import Settings, configure
from tests.calls import media
from tests.calls.conftest import stored_files
from tests.conftest import pg_database

pytestmark = [pytest.mark.local_model, pytest.mark.slow]

WINBACK = [sys.executable, "-c", "from agent.cli import main; main()"]


def whisper_or_skip(settings: Settings) -> None:
    from agent.errors import ModelError
    from agent.transcription.registry import get_transcriber

    transcriber = get_transcriber(settings)
    try:
        transcriber._whisper()  # type: ignore[attr-defined]
    except ModelError as exc:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip(f"local Whisper model not available: {exc}")


def prepare(url: str, **overrides: object) -> tuple[Settings, Store]:
    settings = configure(database_url=url, transcriber_backend="local", **overrides)
    store = open_store(url)
    with store.session() as session:
        tenant = get_or_create_tenant(session, "default")
        session.add(Account(tenant_id=tenant.id, external_id="K-1001", name="Bäckerei Huber"))
    return settings, store


def upload(store: Store, settings: Settings, path: Path, consent: dict, **kw) -> Recording:  # type: ignore[no-untyped-def]
    with path.open("rb") as fh:
        return upload_recording(store, settings, "K-1001", fh, consent, filename=path.name, **kw)


def wait_done(store: Store, recording_id: str, timeout: float) -> Recording:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = get_recording(store, "default", recording_id)
        if view.status == "failed" or all(j.status == "done" for j in view.jobs):
            return view
        time.sleep(0.3)
    raise AssertionError(f"pipeline not finished after {timeout} s: {view}")


def transcript_count(store: Store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(Transcript)) or 0


@pytest.mark.shared_data
def test_rendered_call_on_sqlite_with_embedded_queue(
    shared_dir: Path, sqlite_url: str, consent: dict
) -> None:
    settings, store = prepare(sqlite_url)
    whisper_or_skip(settings)
    recording = upload(store, settings, shared_dir / "evals/audio/en-005.flac", consent)
    assert recording.channels == 2
    with embedded_worker(settings):
        view = wait_done(store, recording.id, timeout=600)
    assert view.status == "transcribed", view.error
    data = get_transcript(store, "default", recording.id)
    assert data["language"] == "en"
    assert {s["speaker"] for s in data["segments"]} == {"rep", "customer"}
    assert len(data["text"].split()) > 60  # a 69 s conversation, not a fragment
    assert view.audio_deleted and stored_files(settings) == []


def test_five_minutes_of_silence_give_an_empty_transcript(
    sqlite_url: str, consent: dict, tmp_path: Path
) -> None:
    settings, store = prepare(sqlite_url)
    whisper_or_skip(settings)
    silence = media.silence_wav(tmp_path / "silence.wav", 300.0)
    recording = upload(store, settings, silence, consent)
    with embedded_worker(settings):
        view = wait_done(store, recording.id, timeout=300)
    assert view.status == "transcribed", view.error
    data = get_transcript(store, "default", recording.id)
    assert data["segments"] == [] and data["text"] == ""  # nothing invented


@pytest.fixture
def pg_url(pg_admin: str) -> Iterator[str]:
    with pg_database(pg_admin) as url:
        yield url


def start_worker(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*WINBACK, "worker", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: we can kill all of it
    )


def stop_worker(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.postgres
@pytest.mark.redis
def test_jfk_on_postgres_with_redis_and_two_worker_processes(
    pg_url: str, redis_queue: str, consent: dict
) -> None:
    settings, store = prepare(pg_url)
    whisper_or_skip(settings)
    assert settings.queue_backend == "redis" and settings.queue_name == redis_queue
    recording = upload(store, settings, media.JFK, consent, channels="mono")
    env = {**os.environ, "WINBACK_DATABASE_URL": pg_url}
    worker = start_worker(env, "--workers", "2", "--worker-type", "process")
    try:
        view = wait_done(store, recording.id, timeout=300)
    finally:
        stop_worker(worker)
    assert view.status == "transcribed", view.error
    text = get_transcript(store, "default", recording.id)["text"].lower()
    assert "ask not what your country can do for you" in text
    assert transcript_count(store) == 1


@pytest.mark.shared_data
def test_worker_killed_during_transcription_leaves_exactly_one_transcript(
    shared_dir: Path, sqlite_url: str, consent: dict
) -> None:
    overrides = {"job_stale_s": 3.0, "job_heartbeat_s": 0.5, "recover_interval_s": 1.0}
    settings, store = prepare(sqlite_url, **overrides)
    whisper_or_skip(settings)
    recording = upload(store, settings, shared_dir / "evals/audio/en-005.flac", consent)
    env = {
        **os.environ,
        "WINBACK_DATABASE_URL": sqlite_url,
        "WINBACK_JOB_STALE_S": "3",
        "WINBACK_JOB_HEARTBEAT_S": "0.5",
        "WINBACK_RECOVER_INTERVAL_S": "1",
    }
    first = start_worker(env)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            jobs = {j.step: j for j in get_recording(store, "default", recording.id).jobs}
            if jobs["transcribe"].status == "running":
                break
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            time.sleep(0.1)
        else:
            raise AssertionError("transcription never started")
        time.sleep(2.0)  # well inside the transcription of a 69 s call
        assert get_recording(store, "default", recording.id).jobs[1].status == "running"
    finally:
        stop_worker(first, signal.SIGKILL)
    assert first.returncode == -signal.SIGKILL
    assert transcript_count(store) == 0

    second = start_worker(env)
    try:
        view = wait_done(store, recording.id, timeout=600)
    finally:
        stop_worker(second)
    assert view.status == "transcribed", view.error
    assert transcript_count(store) == 1
    with store.session() as session:
        transcribe = session.scalar(
            select(PipelineJob).where(
                PipelineJob.recording_id == recording.id, PipelineJob.step == "transcribe"
            )
        )
        assert transcribe is not None
        assert transcribe.status.value == "done" and transcribe.attempts == 2
        assert transcribe.details.get("reclaimed_from")  # taken over from the dead worker

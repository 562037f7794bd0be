"""Pipeline steps and job state, with the scripted transcriber from agent.testing.

The real Whisper runs in test_end_to_end.py; here the transcriber is the
package's fake so that retries, failures and idempotency can be driven
precisely. Queue, database, audio decoding and storage are all real.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from agent.calls import pipeline
from agent.calls.intake import upload_recording
from agent.calls.jobs import STEPS
from agent.calls.retention import purge_expired_audio
from agent.calls.status import get_recording, get_transcript
from agent.clock import ManualClock
from agent.crm.db import Store
from agent.crm.models import CallRecording, PipelineJob, Transcript
from agent.errors import ModelError
from agent.jobs import runner
from agent.jobs.queue import get_queue
from agent.jobs.worker import embedded_worker
from agent.settings import Settings, configure
from agent.testing import FakeTranscriber
from agent.transcription import registry
from agent.transcription.types import Segment, TranscriptionResult
from tests.calls import media
from tests.calls.conftest import stored_files


@pytest.fixture
def fake_settings(store: Store, account: str) -> Settings:
    return configure(
        database_url=store.engine.url.render_as_string(hide_password=False),
        transcriber_backend="fake",
        job_retries=2,
        job_retry_delay_s=0.01,
    )


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> FakeTranscriber:
    """The fake transcriber the registry hands out (one instance, so tests can script it)."""
    fake = FakeTranscriber()
    monkeypatch.setitem(registry.TRANSCRIBERS, "fake", lambda settings: fake)
    return fake


def upload(store: Store, settings: Settings, tmp_path: Path, consent: dict, channels: int = 2):
    path = media.write_audio(tmp_path / "call.wav", media.tone(2.0, channels=channels))
    with path.open("rb") as fh:
        return upload_recording(store, settings, "K-1001", fh, consent)


def run_all(settings: Settings, recording_id: str) -> list[str]:
    return [pipeline.run_step(settings, recording_id, step) for step in STEPS]


def job(store: Store, recording_id: str, step: str) -> PipelineJob:
    with store.session() as session:
        row = session.scalar(
            select(PipelineJob).where(
                PipelineJob.recording_id == recording_id, PipelineJob.step == step
            )
        )
        assert row is not None
        session.expunge(row)
        return row


def transcripts(store: Store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(Transcript)) or 0


def test_steps_store_one_transcript_and_delete_the_audio(
    store: Store, fake_settings: Settings, consent: dict, tmp_path: Path, scripted: FakeTranscriber
) -> None:
    scripted.enqueue(
        TranscriptionResult(
            "de",
            2.0,
            [
                Segment(0.0, 1.0, "Guten Tag, Herr Huber.", speaker="rep"),
                Segment(1.0, 2.0, "Tag auch.", speaker="customer"),
            ],
            model="fake",
        )
    )
    recording = upload(store, fake_settings, tmp_path, consent)
    assert run_all(fake_settings, recording.id) == ["done"] * len(STEPS)
    assert scripted.calls[0]["channels"] == "rep,customer"
    data = get_transcript(store, "default", recording.id)
    assert [s["speaker"] for s in data["segments"]] == ["rep", "customer"]
    assert data["text"] == "Guten Tag, Herr Huber. Tag auch."
    view = get_recording(store, "default", recording.id)
    assert view.status == "transcribed" and view.progress == 1.0 and view.audio_deleted
    assert all(j.status == "done" and j.attempts == 1 for j in view.jobs)
    assert all(j.duration_s is not None for j in view.jobs)
    assert (
        job(store, recording.id, "analyze").details["skipped"].startswith("analysis switched off")
    )
    assert stored_files(fake_settings) == []  # original and normalised audio are gone
    # Every step is idempotent: running them all again changes nothing.
    assert run_all(fake_settings, recording.id) == ["skipped"] * len(STEPS)
    assert transcripts(store) == 1 and len(scripted.calls) == 1


def test_store_step_rerun_after_a_crash_keeps_one_transcript(
    store: Store, fake_settings: Settings, consent: dict, tmp_path: Path, scripted: FakeTranscriber
) -> None:
    recording = upload(store, fake_settings, tmp_path, consent)
    for step in STEPS[:3]:
        assert pipeline.run_step(fake_settings, recording.id, step) == "done"
    # Simulate a worker that wrote the transcript, then died before the job row said so.
    with store.session() as session:
        row = session.scalar(
            select(PipelineJob).where(
                PipelineJob.recording_id == recording.id, PipelineJob.step == "store"
            )
        )
        assert row is not None
        row.status = row.status.__class__("running")
        row.details = {**row.details, "heartbeat_at": "2000-01-01T00:00:00+00:00"}
    assert pipeline.run_step(fake_settings, recording.id, "store") == "done"
    assert transcripts(store) == 1
    assert job(store, recording.id, "store").attempts == 2


def test_transient_error_is_retried_with_backoff(
    store: Store, fake_settings: Settings, consent: dict, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    attempts: list[int] = []

    class Flaky(FakeTranscriber):
        def transcribe(self, path: Path, **kw: Any) -> TranscriptionResult:
            attempts.append(1)
            if len(attempts) == 1:
                raise ModelError("model server busy")
            return super().transcribe(path, **kw)

    monkeypatch.setitem(registry.TRANSCRIBERS, "fake", lambda settings: Flaky())
    recording = upload(store, fake_settings, tmp_path, consent)
    assert pipeline.run_step(fake_settings, recording.id, "decode") == "done"
    assert pipeline.run_step(fake_settings, recording.id, "transcribe") == "retry"
    state = job(store, recording.id, "transcribe")
    assert (state.status.value, state.attempts) == ("pending", 1)
    assert "model server busy" in (state.error or "")
    # Huey queues a delayed task with its eta; the consumer holds it until then.
    huey = get_queue(fake_settings)
    retry = [t for t in huey.pending() if t.eta is not None]
    assert [(type(t).__name__, t.args) for t in retry] == [
        ("winback_calls_transcribe", (recording.id,))
    ]
    assert pipeline.run_step(fake_settings, recording.id, "transcribe") == "done"
    state = job(store, recording.id, "transcribe")
    assert (state.status.value, state.attempts, state.error) == ("done", 2, None)


def test_transient_errors_end_after_the_retries(
    store: Store, fake_settings: Settings, consent: dict, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    class Broken(FakeTranscriber):
        def transcribe(self, path: Path, **kw: Any) -> TranscriptionResult:
            raise ModelError("still busy")

    monkeypatch.setitem(registry.TRANSCRIBERS, "fake", lambda settings: Broken())
    recording = upload(store, fake_settings, tmp_path, consent)
    pipeline.run_step(fake_settings, recording.id, "decode")
    outcomes = [pipeline.run_step(fake_settings, recording.id, "transcribe") for _ in range(4)]
    assert outcomes == ["retry", "retry", "failed", "skipped"]
    view = get_recording(store, "default", recording.id)
    assert view.status == "failed" and "gave up after 3 attempts" in (view.error or "")


def test_corrupt_audio_fails_at_once_without_retry(
    store: Store, fake_settings: Settings, consent: dict, tmp_path: Path, scripted: FakeTranscriber
) -> None:
    recording = upload(store, fake_settings, tmp_path, consent)
    with store.session() as session:
        row = session.get(CallRecording, recording.id)
        assert row is not None and row.storage_key
        key = row.storage_key
    # The stored file rots after upload (disk error): decoding is a permanent failure.
    path = fake_settings.audio_path / key[:2] / key
    path.write_bytes(b"\x00garbage" * 100)
    get_queue(fake_settings).flush()  # run the step directly instead
    assert pipeline.run_step(fake_settings, recording.id, "decode") == "failed"
    state = job(store, recording.id, "decode")
    assert (state.status.value, state.attempts) == ("failed", 1)
    huey = get_queue(fake_settings)
    assert [type(t).__name__ for t in huey.pending() + huey.scheduled()] == []  # no retry
    view = get_recording(store, "default", recording.id)
    assert view.status == "failed" and view.error and view.error.startswith("decode:")
    assert pipeline.run_step(fake_settings, recording.id, "transcribe") == "skipped"


def test_recover_requeues_lost_and_stale_steps_only(
    store: Store, fake_settings: Settings, consent: dict, tmp_path: Path, scripted: FakeTranscriber
) -> None:
    fake_settings = configure(**{**fake_settings.model_dump(), "job_stale_s": 1.0})
    recording = upload(store, fake_settings, tmp_path, consent)
    huey = get_queue(fake_settings)
    clock = ManualClock(start=datetime.now(UTC))
    assert runner.recover(fake_settings, clock) == 0  # its message is in the queue
    huey.flush()  # the message is lost (e.g. taken by a worker that was killed)
    assert runner.recover(fake_settings, clock) == 0  # a worker may be about to claim it
    clock.advance(1.1)
    assert runner.recover(fake_settings, clock) == 1  # missing for longer than job_stale_s
    assert runner.recover(fake_settings, clock) == 0  # and not twice
    huey.flush()
    pipeline.run_step(fake_settings, recording.id, "decode")
    huey.flush()
    # transcribe "running" on a worker that is alive (fresh heartbeat): leave it alone.
    with store.session() as session:
        row = session.scalar(
            select(PipelineJob).where(
                PipelineJob.recording_id == recording.id, PipelineJob.step == "transcribe"
            )
        )
        assert row is not None
        row.status = row.status.__class__("running")
        row.attempts = 1
        row.details = {"heartbeat_at": datetime.now(UTC).isoformat()}
    assert runner.recover(fake_settings) == 0
    assert pipeline.run_step(fake_settings, recording.id, "transcribe") == "skipped"
    with store.session() as session:
        row = session.get(PipelineJob, job(store, recording.id, "transcribe").id)
        assert row is not None
        old = datetime.now(UTC) - timedelta(seconds=fake_settings.job_stale_s + 5)
        row.details = {"heartbeat_at": old.isoformat()}
    assert runner.recover(fake_settings) == 1
    assert pipeline.run_step(fake_settings, recording.id, "transcribe") == "done"
    assert job(store, recording.id, "transcribe").attempts == 2


def test_embedded_worker_runs_the_chain_through_the_queue(
    store: Store, fake_settings: Settings, consent: dict, tmp_path: Path, scripted: FakeTranscriber
) -> None:
    recording = upload(store, fake_settings, tmp_path, consent)
    deadline = time.monotonic() + 60
    with embedded_worker(fake_settings):
        while time.monotonic() < deadline:
            view = get_recording(store, "default", recording.id)
            if all(j.status == "done" for j in view.jobs):
                break
            time.sleep(0.1)
    assert [j.status for j in view.jobs] == ["done"] * len(STEPS)
    assert transcripts(store) == 1


@pytest.mark.parametrize("sweep", [False, True])
def test_serve_s_embedded_worker_sweeps_for_lost_work_while_it_runs(
    store: Store,
    fake_settings: Settings,
    consent: dict,
    tmp_path: Path,
    scripted: FakeTranscriber,
    sweep: bool,
) -> None:
    settings = configure(
        **{**fake_settings.model_dump(), "job_stale_s": 1.0, "recover_interval_s": 0.3}
    )
    recording = upload(store, settings, tmp_path, consent)
    get_queue(settings).flush()  # the message is lost just before the worker starts
    with embedded_worker(settings, sweep=sweep):
        # At start the step is not yet stale, so only a later sweep can re-queue it.
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            view = get_recording(store, "default", recording.id)
            if all(j.status == "done" for j in view.jobs):
                break
            time.sleep(0.1)
    assert all(j.status == "done" for j in view.jobs) is sweep
    assert transcripts(store) == (1 if sweep else 0)


def test_retention_days_keeps_audio_until_it_expires(
    store: Store, fake_settings: Settings, consent: dict, tmp_path: Path, scripted: FakeTranscriber
) -> None:
    settings = configure(
        **{**fake_settings.model_dump(), "retention_audio": "days", "retention_audio_days": 7}
    )
    recording = upload(store, settings, tmp_path, consent)
    run_all(settings, recording.id)
    assert len(stored_files(settings)) == 1  # the original; the normalised copy is gone
    assert purge_expired_audio(store, settings) == 0
    later = datetime.now(UTC) + timedelta(days=8)
    assert purge_expired_audio(store, settings, now=later) == 1
    assert stored_files(settings) == []
    view = get_recording(store, "default", recording.id)
    assert view.audio_deleted and view.status == "transcribed"
    assert get_transcript(store, "default", recording.id)["text"]  # transcript kept


def test_purge_catches_up_on_audio_a_crash_did_not_delete(
    store: Store, fake_settings: Settings, consent: dict, tmp_path: Path,
    scripted: FakeTranscriber, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from agent.calls import retention

    def crash(*args: Any) -> None:
        raise OSError("worker lost its disk mount")

    original = retention.after_transcription
    monkeypatch.setattr(retention, "after_transcription", crash)
    recording = upload(store, fake_settings, tmp_path, consent)
    # Clean-up errors do not fail the step.
    assert run_all(fake_settings, recording.id) == ["done"] * len(STEPS)
    assert len(stored_files(fake_settings)) == 2  # original + normalised copy still there
    monkeypatch.setattr(retention, "after_transcription", original)
    assert purge_expired_audio(store, fake_settings) == 1
    assert stored_files(fake_settings) == []
    assert get_recording(store, "default", recording.id).audio_deleted


def test_an_index_row_of_an_earlier_version_stops_nothing(
    store: Store, fake_settings: Settings, consent: dict, tmp_path: Path, scripted: FakeTranscriber
) -> None:
    # Earlier versions created a pending "index" step at upload; a recording in flight
    # across the upgrade still has that row.
    recording = upload(store, fake_settings, tmp_path, consent)
    with store.session() as session:
        session.add(PipelineJob(recording_id=recording.id, step="index", details={}))
    get_queue(fake_settings).flush()
    for step in STEPS[:3]:
        assert pipeline.run_step(fake_settings, recording.id, step) == "done"
    get_queue(fake_settings).flush()  # the analyze message is lost: recovery must find it
    clock = ManualClock(start=datetime.now(UTC))
    clock.advance(fake_settings.job_stale_s + 1)
    assert runner.recover(fake_settings, clock) == 1
    assert [(type(t).__name__, t.args) for t in get_queue(fake_settings).pending()] == [
        ("winback_calls_analyze", (recording.id,))
    ]
    assert pipeline.run_step(fake_settings, recording.id, "analyze") == "done"
    view = get_recording(store, "default", recording.id)
    assert [j.step for j in view.jobs] == list(STEPS) and view.progress == 1.0

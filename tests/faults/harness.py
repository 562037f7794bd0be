"""Helpers shared by the fault tests: settings, uploads, counts, waiting, worker processes.

Every fault test ends with the same check, :func:`assert_exactly_once`:
each accepted recording has all five steps done, one transcript and one
note, and no step needed more attempts than the fault explains.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from agent.calls.intake import upload_recording
from agent.calls.jobs import STEPS
from agent.crm.db import Store
from agent.crm.models import CallNote, CallRecording, PipelineJob, Transcript
from agent.settings import Settings
from tests import factories as make
from tests.calls import media

WINBACK = [sys.executable, "-c", "from agent.cli import main; main()"]
ACCOUNT = "K-1001"
CONSENT = {
    "given_by": "Herr Huber",
    "method": "verbal_at_call_start",
    "given_at": "2026-01-05T09:00:00+00:00",
    "text_version": "de-2025.1",
}


def pipeline_settings(**overrides: Any) -> dict[str, Any]:
    """Settings for a quick pipeline: fake transcriber, analysis on, short timers."""
    values: dict[str, Any] = {
        "transcriber_backend": "fake",
        "analyze_after_transcription": True,
        "chat_backend": "openai",
        # The stub's scripted answers follow the decomposed design's four questions.
        "analysis_design": "decomposed",
        "local_only": False,
        "openai_timeout_s": 2.0,
        "openai_max_retries": 1,
        "structured_max_retries": 1,
        "job_retries": 3,
        "job_retry_delay_s": 0.2,
        "job_heartbeat_s": 0.3,
        "job_stale_s": 2.0,
        "recover_interval_s": 0.5,
    }
    values.update(overrides)
    return values


def worker_env(values: dict[str, Any]) -> dict[str, str]:
    """The environment of a ``winback worker`` subprocess with the same settings."""
    env = dict(os.environ)
    for key, value in values.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        env[f"WINBACK_{key.upper()}"] = text
    return env


def seed_account(store: Store) -> None:
    with store.session() as session:
        make.account(session, make.tenant(session), ACCOUNT, name="Bäckerei Huber")


def upload_tone(store: Store, settings: Settings, folder: Path, index: int) -> str:
    """Upload a short mono tone (distinct per ``index``, so no duplicate); return its id."""
    folder.mkdir(parents=True, exist_ok=True)
    path = media.write_audio(
        folder / f"call-{index}.wav", media.tone(1.0, freq=300.0 + 37.0 * index)
    )
    with path.open("rb") as fh:
        recording = upload_recording(store, settings, ACCOUNT, fh, CONSENT, channels="mono")
    assert not recording.duplicate
    return recording.id


def jobs_of(store: Store, recording_id: str) -> dict[str, PipelineJob]:
    with store.session() as session:
        rows = session.scalars(
            select(PipelineJob).where(PipelineJob.recording_id == recording_id)
        ).all()
        for row in rows:
            session.expunge(row)
    return {row.step: row for row in rows}


def notes_of(store: Store, recording_id: str) -> list[CallNote]:
    with store.session() as session:
        rows = session.scalars(select(CallNote).where(CallNote.recording_id == recording_id)).all()
        for row in rows:
            session.expunge(row)
    return list(rows)


def transcripts_of(store: Store, recording_id: str) -> int:
    with store.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Transcript)
                .where(Transcript.recording_id == recording_id)
            )
            or 0
        )


def recording_status(store: Store, recording_id: str) -> str:
    with store.session() as session:
        row = session.get(CallRecording, recording_id)
        assert row is not None
        return row.status.value


def is_finished(store: Store, recording_id: str) -> bool:
    """All steps done, or the recording failed (then there is nothing more to wait for)."""
    if recording_status(store, recording_id) == "failed":
        return True
    return all(j.status.value == "done" for j in jobs_of(store, recording_id).values())


def wait_until(check: Callable[[], bool], timeout: float, what: str, poll: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def assert_exactly_once(
    store: Store, recording_id: str, *, note_status: str = "pending_review"
) -> CallNote:
    """All steps done, one transcript, one note (of ``note_status``); return the note."""
    jobs = jobs_of(store, recording_id)
    states = {step: (jobs[step].status.value, jobs[step].error) for step in STEPS}
    assert all(state == "done" for state, _ in states.values()), states
    assert recording_status(store, recording_id) == "analyzed"
    assert transcripts_of(store, recording_id) == 1
    notes = notes_of(store, recording_id)
    assert len(notes) == 1, [n.id for n in notes]
    assert notes[0].status.value == note_status, (notes[0].status, notes[0].failure_reason)
    return notes[0]


class WorkerProcess:
    """A ``winback worker`` subprocess in its own process group, logging to a file."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.log = log
        with log.open("ab") as fh:
            self.process = subprocess.Popen(  # noqa: S603 - our own CLI
                [*WINBACK, "worker", *args],
                env=env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: killing it takes its children too
            )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Send ``sig`` to the worker's process group and wait for it; return the exit code."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)
        return self.process.returncode

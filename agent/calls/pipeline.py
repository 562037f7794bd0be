"""The recording pipeline: one job kind per step, each idempotent per recording.

``decode`` (check and normalise to 16 kHz WAV) → ``transcribe`` (the
configured transcriber, resolved through :mod:`agent.transcription.registry`
when the step runs) → ``store`` (transcript and segments rows) →
``analyze`` (the draft call note, :mod:`agent.analysis.draft`).

Each step is a :class:`StepKind`, a :class:`agent.jobs.kind.JobKind` over
the step's rows in ``pipeline_jobs`` (:mod:`agent.calls.jobs`), so the job
layer's runner (:mod:`agent.jobs.runner`) claims, heartbeats, finishes,
retries and recovers it like any other job. Permanent errors (bad media,
missing audio, wrong configuration) end the job ``failed`` with the reason
at once; any other error is retried with exponential backoff up to
``job_retries`` times. A finished step enqueues the next.

A step's work returns a :class:`StepResult`: details to record, and
optionally a writer run in the transaction that marks the step done (so
its writes and the ``done`` commit together or not at all) and a clean-up
run after that commit. Slow work (a model call) belongs in the step
function itself, which runs under the heartbeat with no transaction open;
the writer should only write. ``docs/development.md`` tells how to add a
step.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.analysis.draft import prepare_draft
from agent.audio import normalise_audio
from agent.audio_store import get_audio_store
from agent.calls import jobs
from agent.calls.jobs import STEPS, JobClaim
from agent.clock import SYSTEM, Clock
from agent.crm.db import Store
from agent.crm.models import (
    CallRecording,
    PipelineJob,
    RecordingStatus,
    Transcript,
    TranscriptSegment,
)
from agent.errors import (
    ConfigError,
    ConsentError,
    MediaError,
    ModelIntegrityError,
    NotFoundError,
    ValidationError,
)
from agent.jobs import runner
from agent.jobs.kind import ALREADY_DONE, AlreadyDone
from agent.jobs.runner import db_retry
from agent.metrics import observe_transcription
from agent.settings import Settings

log = logging.getLogger(__name__)

#: Errors that a retry cannot fix: the job fails at once with the reason.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    MediaError,
    NotFoundError,
    ValidationError,
    ConsentError,
    ConfigError,
    ModelIntegrityError,
)


@dataclass
class StepResult:
    """What a step's work produced.

    ``details`` are merged into the job row's details; ``apply`` runs in the
    transaction that marks the step done; ``after`` runs once that committed
    (a clean-up whose failure must not undo the step).
    """

    details: dict[str, Any] = field(default_factory=dict)
    apply: Callable[[Session, CallRecording], None] | None = None
    after: Callable[[], None] | None = None


def task_name(step: str) -> str:
    """The Huey task name of ``step`` (stable: producers and workers must agree)."""
    return f"winback_calls_{step}"


def _job_details(store: Store, recording_id: str, step: str) -> dict[str, Any]:
    with store.session() as session:
        details = session.scalar(
            select(PipelineJob.details).where(
                PipelineJob.recording_id == recording_id, PipelineJob.step == step
            )
        )
    return dict(details or {})


# --- the steps ----------------------------------------------------------------


def _recording(store: Store, recording_id: str) -> CallRecording:
    with store.session() as session:
        recording = session.get(CallRecording, recording_id)
        if recording is None:
            raise NotFoundError(f"Recording {recording_id} no longer exists.")
        session.expunge(recording)
    return recording


def _decode(settings: Settings, store: Store, owned: JobClaim) -> StepResult:
    recording = _recording(store, owned.recording_id)
    audio = get_audio_store(settings)
    if not recording.storage_key:
        raise NotFoundError(f"Recording {recording.id} has no audio (deleted by retention?).")
    if not audio.exists(recording.storage_key):
        # The upload died between writing the row and moving the file into place.
        audio.commit(recording.storage_key)
    source = audio.path(recording.storage_key)
    details = _job_details(store, owned.recording_id, "decode")
    old_key = details.get("normalised_key")
    if old_key:  # left by an attempt that died after naming (or storing) its output
        audio.delete(old_key)
        audio.discard(old_key)
    layout = details.get("channels", "mono")
    # The name is recorded before the file exists, so a crash leaves no unknown audio.
    key = audio.new_key()
    db_retry("note", lambda: jobs.note_details(store, owned, normalised_key=key))
    # The work dir holds the WAV only while it is copied into the store; the sweep of
    # crash leftovers empties it (agent/leftovers.py).
    tmp = settings.work_path / f"{owned.recording_id}.{owned.attempt}.wav"
    try:
        duration = normalise_audio(source, tmp, channels=1 if layout == "mono" else 2)
        with tmp.open("rb") as fh:
            stored = audio.put(fh, max_bytes=2**40, key=key)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return StepResult(
        {"normalised_key": stored.key, "normalised_s": round(duration, 3), "channels": layout}
    )


def _transcribe(settings: Settings, store: Store, owned: JobClaim) -> StepResult:
    from agent.transcription.registry import get_transcriber

    decoded = _job_details(store, owned.recording_id, "decode")
    path = get_audio_store(settings).path(decoded["normalised_key"])
    transcriber = get_transcriber(settings)
    started = time.perf_counter()
    transcript = transcriber.transcribe(
        path, language=settings.transcription_language, channels=decoded.get("channels", "mono")
    )
    observe_transcription(
        transcript.model or getattr(transcriber, "name", "unknown"),
        time.perf_counter() - started,
        transcript.duration_s,
    )
    data = transcript.to_dict()
    data["segments"] = [
        {k: v for k, v in seg.items() if k != "words"} for seg in data.get("segments", [])
    ]
    return StepResult(
        {"transcript": data, "segments": len(data["segments"]), "model": transcript.model}
    )


def _store(settings: Settings, store: Store, owned: JobClaim) -> StepResult:
    data = _job_details(store, owned.recording_id, "transcribe").get("transcript")
    if data is None:
        raise NotFoundError(f"The transcribe step of {owned.recording_id} left no transcript.")

    def apply(session: Session, recording: CallRecording) -> None:
        exists = session.scalar(
            select(Transcript.id).where(Transcript.recording_id == recording.id)
        )
        if exists is None:  # a re-run after a crash finds the transcript already there
            transcript = Transcript(
                tenant_id=recording.tenant_id,
                account_id=recording.account_id,
                recording_id=recording.id,
                language=data.get("language"),
                duration_s=data.get("duration_s"),
                text=data.get("text", ""),
                model=data.get("model"),
                timings=data.get("timings", {}),
            )
            for idx, seg in enumerate(data.get("segments", [])):
                transcript.segments.append(
                    TranscriptSegment(
                        idx=idx,
                        start_s=seg["start"],
                        end_s=seg["end"],
                        speaker=seg.get("speaker"),
                        text=seg["text"],
                        avg_logprob=seg.get("avg_logprob"),
                        no_speech_prob=seg.get("no_speech_prob"),
                    )
                )
            session.add(transcript)
        recording.status = RecordingStatus.transcribed

    def after() -> None:
        from agent.calls.retention import after_transcription

        after_transcription(store, settings, owned.recording_id)

    return StepResult({"segments": len(data.get("segments", []))}, apply, after)


def _analyze(settings: Settings, store: Store, owned: JobClaim) -> StepResult:
    if not settings.analyze_after_transcription:
        return StepResult({"skipped": "analysis switched off (analyze_after_transcription)"})
    # The slow part first: here the step's heartbeat runs and no transaction is open.
    write = prepare_draft(settings, store, owned.recording_id)
    details: dict[str, Any] = {}

    def apply(session: Session, recording: CallRecording) -> None:
        transcript = session.scalar(
            select(Transcript).where(Transcript.recording_id == recording.id)
        )
        if transcript is None:
            raise NotFoundError(f"Recording {recording.id} has no stored transcript.")
        details["analysis"] = write(session, recording, transcript)
        recording.status = RecordingStatus.analyzed

    return StepResult(details, apply)


#: The work of each step, in the order of :data:`agent.calls.jobs.STEPS`.
STEP_WORK: dict[str, Callable[[Settings, Store, JobClaim], StepResult]] = {
    "decode": _decode,
    "transcribe": _transcribe,
    "store": _store,
    "analyze": _analyze,
}


# --- the steps as job kinds -----------------------------------------------------


class StepKind:
    """One pipeline step as a :class:`agent.jobs.kind.JobKind`; the argument is a recording id."""

    def __init__(self, step: str) -> None:
        self.step = step
        self.task_name = task_name(step)
        self.label = step
        self.title = f"step {step}"
        self.log = log

    def context(self, argument: str) -> dict[str, Any]:
        return {"recording_id": argument, "step": self.step}

    def claimed_context(self, claim: JobClaim) -> dict[str, Any]:
        return {"job_id": claim.job_id, "attempt": claim.attempt}

    def claim(
        self, store: Store, argument: str, *, stale_s: float, max_attempts: int, now: datetime
    ) -> JobClaim | AlreadyDone | None:
        owned = jobs.claim(
            store, argument, self.step, stale_s=stale_s, max_attempts=max_attempts, now=now
        )
        if owned == jobs.ALREADY_DONE:
            return ALREADY_DONE
        return owned if isinstance(owned, JobClaim) else None

    def beat(self, store: Store, claim: JobClaim, now: datetime) -> bool:
        return jobs.beat(store, claim, now)

    def work(self, settings: Settings, store: Store, claim: JobClaim) -> StepResult:
        return STEP_WORK[self.step](settings, store, claim)

    def finish(
        self, store: Store, claim: JobClaim, result: StepResult, *, duration_s: float, now: datetime
    ) -> bool:
        return jobs.finish(
            store, claim, duration_s=duration_s, details=result.details, apply=result.apply,
            now=now,
        )  # fmt: skip

    def fail(
        self, store: Store, claim: JobClaim, reason: str, *, duration_s: float, now: datetime
    ) -> bool:
        return jobs.fail(store, claim, reason, duration_s=duration_s, now=now)

    def release(self, store: Store, claim: JobClaim, reason: str, *, retry_at: datetime) -> bool:
        return jobs.release_for_retry(store, claim, reason, retry_at=retry_at)

    def permanent(self, exc: BaseException) -> str | None:
        return str(exc) if isinstance(exc, PERMANENT_ERRORS) else None

    def done(self, settings: Settings, store: Store, claim: JobClaim, result: StepResult) -> None:
        if result.after is not None:
            try:
                result.after()
            except Exception:  # noqa: BLE001 - clean-up problems must not undo a finished step
                log.warning(
                    "after-step clean-up of %s/%s failed", claim.recording_id, self.step,
                    exc_info=True,
                )  # fmt: skip
        self.duplicate(settings, claim.recording_id)

    def duplicate(self, settings: Settings, argument: str) -> None:
        # Make sure the chain continues (the next step's claim is idempotent too).
        following = jobs.next_step(self.step)
        if following:
            runner.send_quietly(settings, KINDS[following], argument)

    def ended(self, settings: Settings, store: Store, claim: JobClaim) -> None:
        return None  # a step's follow-up depends on its outcome: see done()

    def lost(
        self, store: Store, queued: set[tuple[str, str]], *, stale_s: float, now: datetime
    ) -> list[str]:
        lost = jobs.work_to_requeue(store, queued, stale_s=stale_s, task_name=task_name, now=now)
        return [recording_id for step, recording_id in lost if step == self.step]


#: The job kind of every step.
KINDS: dict[str, StepKind] = {step: StepKind(step) for step in STEPS}
for _kind in KINDS.values():
    runner.register(_kind)


def run_step(settings: Settings, recording_id: str, step: str, clock: Clock = SYSTEM) -> str:
    """Run ``step`` for ``recording_id`` if it is this worker's to run; return the outcome.

    Outcomes: ``done``, ``skipped`` (done already, or owned elsewhere),
    ``retry`` (transient error, rescheduled) or ``failed``; see
    :func:`agent.jobs.runner.run`.
    """
    return runner.run(settings, KINDS[step], recording_id, clock)


def enqueue_step(settings: Settings, step: str, recording_id: str, delay: float = 0) -> None:
    """Put the task of ``step`` for ``recording_id`` on the queue (after ``delay`` seconds).

    Raises :class:`agent.errors.StorageError` when the queue backend cannot be
    reached, so callers can undo what they did or leave the work to the
    recovery sweep.
    """
    runner.enqueue(settings, KINDS[step], recording_id, delay)

"""Job state in ``pipeline_jobs``: claim, heartbeat, finish, fail, retry, recover.

Each (recording, step) has one row, created pending at upload. These are
the recording steps' side of :class:`agent.jobs.kind.JobKind`; the runner
(:mod:`agent.jobs.runner`) calls them. A worker *claims* a row with a
compare-and-set on ``(status, attempts)`` so two workers that got the
same message (a duplicate after recovery, say) never run a step twice at
once; the loser simply returns. While a step runs a
heartbeat thread stamps ``details.heartbeat_at``; a ``running`` row whose
heartbeat is older than ``job_stale_s`` belongs to a dead worker and may be
claimed again. Results are written in the same transaction that marks the
row done, and only if the row is still owned by this attempt.

Rows of steps that are not in :data:`STEPS` (an ``index`` step that an
earlier version created and always skipped) are ignored everywhere.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.clock import as_utc
from agent.crm.db import Store
from agent.crm.models import CallRecording, JobStatus, PipelineJob, RecordingStatus
from agent.jobs.rows import take_next_attempt

log = logging.getLogger(__name__)

#: The pipeline, in order. Each step is a separate queue task.
STEPS: tuple[str, ...] = ("decode", "transcribe", "store", "analyze")


def now_utc() -> datetime:
    """Timezone-aware current time."""
    return datetime.now(UTC)


def heartbeat_of(job: PipelineJob) -> datetime | None:
    """The last sign of life of a running job (heartbeat, else its start)."""
    stamp = (job.details or {}).get("heartbeat_at")
    if stamp:
        return datetime.fromisoformat(stamp)
    return as_utc(job.started_at)


def is_stale(job: PipelineJob, stale_s: float, now: datetime | None = None) -> bool:
    """Whether a ``running`` job has shown no sign of life for ``stale_s`` seconds."""
    beat = heartbeat_of(job)
    return beat is None or (now or now_utc()) - beat > timedelta(seconds=stale_s)


def previous_step(step: str) -> str | None:
    """The step before ``step``, or ``None`` for the first."""
    index = STEPS.index(step)
    return STEPS[index - 1] if index else None


def next_step(step: str) -> str | None:
    """The step after ``step``, or ``None`` for the last."""
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


@dataclass(frozen=True)
class JobClaim:
    """A step this worker now owns: the row id and the attempt number it set."""

    job_id: int
    recording_id: str
    step: str
    attempt: int


#: Returned by :func:`claim` when the step is already done (the caller moves on).
ALREADY_DONE = "done"


def claim(
    store: Store,
    recording_id: str,
    step: str,
    *,
    stale_s: float,
    max_attempts: int,
    now: datetime | None = None,
) -> JobClaim | str | None:
    """Take ownership of ``(recording_id, step)`` if nobody else holds it.

    Returns a :class:`JobClaim`, :data:`ALREADY_DONE`, or ``None`` when there is
    nothing to do (recording deleted, step failed, running elsewhere, or the
    previous step is not done yet).
    """
    now = now or now_utc()
    with store.session() as session:
        job = session.scalar(
            select(PipelineJob).where(
                PipelineJob.recording_id == recording_id, PipelineJob.step == step
            )
        )
        if job is None:
            return None
        if job.status == JobStatus.done:
            return ALREADY_DONE
        if job.status == JobStatus.failed:
            return None
        if job.status == JobStatus.running and not is_stale(job, stale_s, now):
            return None
        before = previous_step(step)
        if before is not None:
            prev = session.scalar(
                select(PipelineJob.status).where(
                    PipelineJob.recording_id == recording_id, PipelineJob.step == before
                )
            )
            if prev != JobStatus.done:
                return None
        recording = session.get(CallRecording, recording_id)
        if recording is None or recording.status == RecordingStatus.failed:
            return None
        if job.status == JobStatus.running and job.attempts >= max_attempts:
            # The worker died in this step on every attempt: a poison input, not bad luck.
            _mark_failed(
                session,
                job,
                recording,
                f"worker died {job.attempts} times during this step",
                now,
            )
            return None
        details = dict(job.details or {})
        if job.status == JobStatus.running:
            details["reclaimed_from"] = details.get("worker")
        details.update(heartbeat_at=now.isoformat(), worker=f"{socket.gethostname()}:{os.getpid()}")
        attempt = take_next_attempt(
            session, job, now, status=JobStatus.running, progress=0.0, details=details
        )
        if attempt is None:
            return None  # another worker won the race
        if recording.status == RecordingStatus.queued:
            recording.status = RecordingStatus.processing
        return JobClaim(job_id=job.id, recording_id=recording_id, step=step, attempt=attempt)


def _owned(session: Session, owned: JobClaim) -> PipelineJob | None:
    job = session.get(PipelineJob, owned.job_id, with_for_update=True)
    if job is None or job.status != JobStatus.running or job.attempts != owned.attempt:
        return None
    return job


def finish(
    store: Store,
    owned: JobClaim,
    *,
    duration_s: float,
    details: dict[str, Any],
    apply: Callable[[Session, CallRecording], None] | None = None,
    now: datetime | None = None,
) -> bool:
    """Mark the step done and run ``apply`` in the same transaction.

    Returns ``False`` (and writes nothing) when the job was reclaimed by
    another worker meanwhile: its results win, ours are dropped.
    """
    with store.session() as session:
        job = _owned(session, owned)
        if job is None:
            return False
        recording = session.get(CallRecording, owned.recording_id)
        if recording is None:
            return False
        if apply is not None:
            apply(session, recording)
        merged = dict(job.details or {})
        merged.update(details)
        merged.pop("error_kind", None)
        job.details = merged
        job.status = JobStatus.done
        job.progress = 1.0
        job.error = None
        job.finished_at = now or now_utc()
        job.duration_s = round(duration_s, 3)
    return True


def _mark_failed(
    session: Session,
    job: PipelineJob,
    recording: CallRecording | None,
    reason: str,
    now: datetime | None = None,
) -> None:
    job.status = JobStatus.failed
    job.error = reason
    job.finished_at = now or now_utc()
    if recording is not None:
        recording.status = RecordingStatus.failed
        recording.error = f"{job.step}: {reason}"


def fail(
    store: Store, owned: JobClaim, reason: str, *, duration_s: float, now: datetime | None = None
) -> bool:
    """End the step (and the recording) as ``failed`` with ``reason``; no retry."""
    with store.session() as session:
        job = _owned(session, owned)
        if job is None:
            return False
        recording = session.get(CallRecording, owned.recording_id)
        _mark_failed(session, job, recording, reason, now)
        job.duration_s = round(duration_s, 3)
        job.details = {**(job.details or {}), "error_kind": "permanent"}
    return True


def release_for_retry(store: Store, owned: JobClaim, reason: str, *, retry_at: datetime) -> bool:
    """Put the step back to ``pending`` after a transient error; the caller schedules it."""
    with store.session() as session:
        job = _owned(session, owned)
        if job is None:
            return False
        job.status = JobStatus.pending
        job.error = reason
        job.details = {
            **(job.details or {}),
            "error_kind": "transient",
            "retry_at": retry_at.isoformat(),
        }
    return True


class LostClaim(RuntimeError):
    """The step was taken over by another worker while this one was still running it."""


def note_details(store: Store, owned: JobClaim, **values: Any) -> None:
    """Record ``values`` in the owned job's details now, before the step finishes.

    A step writes down the name of a file before it creates it, so that a
    crash leaves only files the database knows (and the next attempt or
    retention deletes). Raises :class:`LostClaim` when the job is not ours.
    """
    with store.session() as session:
        job = _owned(session, owned)
        if job is None:
            raise LostClaim(f"step {owned.step} of {owned.recording_id} was taken over")
        job.details = {**(job.details or {}), **values}


def beat(store: Store, owned: JobClaim, now: datetime | None = None) -> bool:
    """Stamp ``details.heartbeat_at`` of the owned job; ``False`` once it is not ours."""
    with store.session() as session:
        job = _owned(session, owned)
        if job is None:
            return False
        job.details = {**(job.details or {}), "heartbeat_at": (now or now_utc()).isoformat()}
    return True


def work_to_requeue(
    store: Store,
    queued: set[tuple[str, str]],
    *,
    stale_s: float,
    task_name: Callable[[str], str],
    now: datetime | None = None,
) -> list[tuple[str, str]]:
    """``(step, recording id)`` pairs whose message is lost and must be enqueued again.

    For every recording still in progress, the first step that is not done
    is looked at: ``running`` with a stale heartbeat, or ``pending`` for
    more than ``stale_s`` seconds with no message in ``queued`` (the queue's
    and schedule's ``(task name, recording id)`` pairs), means no worker
    will ever pick it up otherwise. The grace period covers the moment in
    which a worker has taken a message but not yet claimed the row.
    """
    active = (RecordingStatus.queued, RecordingStatus.processing, RecordingStatus.transcribed)
    now = now or now_utc()
    grace = timedelta(seconds=stale_s)
    with store.session() as session:
        rows = session.execute(
            select(PipelineJob, CallRecording.created_at)
            .join(CallRecording, CallRecording.id == PipelineJob.recording_id)
            .where(CallRecording.status.in_(active))
        ).all()
    by_recording: dict[str, dict[str, PipelineJob]] = {}
    created: dict[str, datetime] = {}
    for row, created_at in rows:
        by_recording.setdefault(row.recording_id, {})[row.step] = row
        created[row.recording_id] = as_utc(created_at) or now
    lost: list[tuple[str, str]] = []
    for recording_id, steps in sorted(by_recording.items()):
        ready_since = created[recording_id]
        for step in STEPS:
            job = steps.get(step)
            if job is None:
                break
            if job.status == JobStatus.done:
                ready_since = as_utc(job.finished_at) or ready_since
                continue
            retry_at = (job.details or {}).get("retry_at")
            if retry_at:
                ready_since = max(ready_since, datetime.fromisoformat(retry_at))
            dead = job.status == JobStatus.running and is_stale(job, stale_s, now)
            orphaned = (
                job.status == JobStatus.pending
                and now - ready_since > grace
                and (task_name(step), recording_id) not in queued
            )
            if dead or orphaned:
                lost.append((step, recording_id))
            break
    return lost

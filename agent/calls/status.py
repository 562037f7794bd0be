"""Read-only views of recordings, their pipeline jobs and transcripts.

Used by ``winback calls status``/``transcript`` and later by the API.
Every query filters by tenant; a recording of another tenant is "not found".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.calls.jobs import STEPS
from agent.crm.db import Store, get_tenant
from agent.crm.models import (
    Account,
    CallRecording,
    JobStatus,
    PipelineJob,
    Transcript,
)
from agent.errors import NotFoundError


@dataclass
class JobView:
    """One step's state."""

    step: str
    status: str
    attempts: int
    progress: float
    duration_s: float | None
    error: str | None
    started_at: datetime | None
    finished_at: datetime | None


@dataclass
class Recording:
    """A recording as callers see it (no storage internals)."""

    id: str
    account: str
    status: str
    created_at: datetime
    size_bytes: int
    content_sha256: str
    container: str | None
    codec: str | None
    duration_s: float | None
    channels: int | None
    sample_rate: int | None
    call_date: Any
    error: str | None
    audio_deleted: bool
    progress: float
    duplicate: bool = False
    jobs: list[JobView] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (datetimes become ISO strings in :func:`print_json`)."""
        return asdict(self)


def _progress(jobs: list[JobView]) -> float:
    # Transcription dominates the run time, so a plain step count is a poor
    # clock; weights reflect typical shares of the turnaround.
    weights = {"decode": 0.1, "transcribe": 0.75, "store": 0.05, "analyze": 0.1}
    total = 0.0
    for job in jobs:
        share = weights.get(job.step, 0.0)
        if job.status == JobStatus.done.value:
            total += share
        elif job.status == JobStatus.running.value:
            total += share * job.progress
    return round(min(total, 1.0), 3)


def _view(session: Session, recording: CallRecording, duplicate: bool = False) -> Recording:
    account = session.get(Account, recording.account_id)
    rows = session.scalars(
        select(PipelineJob).where(PipelineJob.recording_id == recording.id)
    ).all()
    order = {step: i for i, step in enumerate(STEPS)}
    jobs = [
        JobView(
            step=j.step,
            status=j.status.value,
            attempts=j.attempts,
            progress=j.progress,
            duration_s=j.duration_s,
            error=j.error,
            started_at=j.started_at,
            finished_at=j.finished_at,
        )
        # Rows of a step the pipeline no longer has (an old "index" row) are not shown.
        for j in sorted((j for j in rows if j.step in order), key=lambda j: order[j.step])
    ]
    return Recording(
        id=recording.id,
        account=account.external_id if account else str(recording.account_id),
        status=recording.status.value,
        created_at=recording.created_at,
        size_bytes=recording.size_bytes,
        content_sha256=recording.content_sha256,
        container=recording.container,
        codec=recording.codec,
        duration_s=recording.duration_s,
        channels=recording.channels,
        sample_rate=recording.sample_rate,
        call_date=recording.call_date,
        error=recording.error,
        audio_deleted=recording.audio_deleted_at is not None,
        progress=_progress(jobs),
        duplicate=duplicate,
        jobs=jobs,
    )


def _get(session: Session, tenant: str, recording_id: str) -> CallRecording:
    tenant_row = get_tenant(session, tenant)
    recording = session.get(CallRecording, recording_id.strip().lower())
    if recording is None or recording.tenant_id != tenant_row.id:
        raise NotFoundError(f"Recording {recording_id!r} does not exist.")
    return recording


def get_recording(store: Store, tenant: str, recording_id: str) -> Recording:
    """The recording ``recording_id`` with its jobs, or :class:`NotFoundError`."""
    with store.session() as session:
        return _view(session, _get(session, tenant, recording_id))


def list_recordings(store: Store, tenant: str, limit: int = 50) -> list[Recording]:
    """The newest recordings of ``tenant``, newest first."""
    with store.session() as session:
        tenant_row = get_tenant(session, tenant)
        rows = session.scalars(
            select(CallRecording)
            .where(CallRecording.tenant_id == tenant_row.id)
            .order_by(CallRecording.created_at.desc())
            .limit(limit)
        ).all()
        return [_view(session, r) for r in rows]


def get_transcript(store: Store, tenant: str, recording_id: str) -> dict[str, Any]:
    """The stored transcript of a recording with its segments, as a JSON-ready dict.

    Raises :class:`NotFoundError` when the recording does not exist or has
    no transcript yet (the message says which step it is in).
    """
    with store.session() as session:
        recording = _get(session, tenant, recording_id)
        transcript = session.scalar(
            select(Transcript).where(Transcript.recording_id == recording.id)
        )
        if transcript is None:
            raise NotFoundError(
                f"Recording {recording.id} has no transcript yet (status: "
                f"{recording.status.value}{'; ' + recording.error if recording.error else ''})."
            )
        return {
            "recording_id": recording.id,
            "language": transcript.language,
            "duration_s": transcript.duration_s,
            "model": transcript.model,
            "text": transcript.text,
            "segments": [
                {
                    "idx": s.idx,
                    "start": s.start_s,
                    "end": s.end_s,
                    "speaker": s.speaker,
                    "text": s.text,
                }
                for s in transcript.segments
            ],
            "timings": transcript.timings,
            "created_at": transcript.created_at,
        }

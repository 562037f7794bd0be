"""Retention of call audio: delete it after transcription (default), after review, or after N days.

Audio is the most sensitive thing Winback keeps, so by default it is
deleted as soon as its transcript is stored (``retention_audio =
"after_transcription"``). With ``retention_audio = "after_review"`` it is
kept while its draft note waits for a manager, who can listen to the call
from every transcript line and quote, and deleted once the note is
approved or rejected (a recording that failed before it had a note goes
after ``retention_audio_days``). With ``retention_audio = "days"`` it is
kept for ``retention_audio_days`` days after upload. Both are deleted by
:func:`purge_expired_audio`, which ``winback worker`` runs periodically
(it also catches up on deletions that a crash interrupted).
Transcripts are not touched here: they live until the account or contact
is deleted (the database cascades).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, select

from agent.audio_store import get_audio_store
from agent.calls.jobs import now_utc
from agent.crm.db import Store
from agent.crm.models import CallNote, CallRecording, NoteStatus, PipelineJob, RecordingStatus
from agent.settings import Settings

log = logging.getLogger(__name__)


def _derived_keys(store: Store, recording_id: str) -> list[str]:
    with store.session() as session:
        details = session.scalar(
            select(PipelineJob.details).where(
                PipelineJob.recording_id == recording_id, PipelineJob.step == "decode"
            )
        )
    key = (details or {}).get("normalised_key")
    return [key] if key else []


def delete_audio(store: Store, settings: Settings, recording_id: str) -> bool:
    """Delete the original and normalised audio of a recording; return whether any existed.

    The row keeps its metadata and gets ``audio_deleted_at``; the files are
    deleted first, so a crash in between only leaves a row that still
    points at a missing file (and the next purge fixes the row).
    """
    audio = get_audio_store(settings)
    with store.session() as session:
        recording = session.get(CallRecording, recording_id)
        if recording is None:
            return False
        key = recording.storage_key
    deleted = False
    for item in ([key] if key else []) + _derived_keys(store, recording_id):
        deleted = audio.delete(item) or deleted
    with store.session() as session:
        recording = session.get(CallRecording, recording_id)
        if recording is not None and recording.audio_deleted_at is None:
            recording.audio_deleted_at = now_utc()
    return deleted


def after_transcription(store: Store, settings: Settings, recording_id: str) -> None:
    """Apply retention once a transcript is stored (called by the ``store`` step)."""
    if settings.retention_audio == "after_transcription":
        delete_audio(store, settings, recording_id)
        return
    # Keep the original for N days, but the normalised copy is only a work file.
    audio = get_audio_store(settings)
    for key in _derived_keys(store, recording_id):
        audio.delete(key)


def expired_audio(query: Select[Any], settings: Settings, now: datetime) -> Select[Any]:
    """``query`` on recordings narrowed to those whose audio retention says must go."""
    transcribed = (RecordingStatus.transcribed, RecordingStatus.analyzed)
    query = query.where(CallRecording.audio_deleted_at.is_(None))
    cutoff = now - timedelta(days=settings.retention_audio_days)
    if settings.retention_audio == "days":
        return query.where(
            CallRecording.created_at < cutoff,
            CallRecording.status.in_((*transcribed, RecordingStatus.failed)),
        )
    if settings.retention_audio == "after_review":
        reviewed = exists().where(
            CallNote.recording_id == CallRecording.id,
            CallNote.status.in_((NoteStatus.approved, NoteStatus.rejected)),
        )
        stale_failure = (CallRecording.status == RecordingStatus.failed) & (
            CallRecording.created_at < cutoff
        )
        return query.where(reviewed | stale_failure)
    return query.where(CallRecording.status.in_(transcribed))


def purge_expired_audio(store: Store, settings: Settings, now: datetime | None = None) -> int:
    """Delete audio that retention says must go; return how many recordings lost theirs.

    Mode ``days``: audio older than ``retention_audio_days``. Mode
    ``after_transcription``: audio of transcribed recordings that the
    ``store`` step could not delete (e.g. a crash right after it). Recordings
    still being processed keep their audio, whatever their age, so a long
    queue never loses a recording before it is transcribed.
    """
    query = expired_audio(select(CallRecording.id), settings, now or now_utc())
    with store.session() as session:
        ids = list(session.scalars(query))
    for recording_id in ids:
        delete_audio(store, settings, recording_id)
    if ids:
        log.info("retention: deleted the audio of %d recordings", len(ids))
    return len(ids)

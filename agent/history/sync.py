"""Keeping the history index in step with the CRM store.

Three ways in:

* explicit calls after a change (``sync_source(session, index, tenant_id, "note:7")``),
* :func:`sync_account`, which compares the CRM's change stamps with the
  index before a brief reads an account's history, so changes made by any
  process (an import, a review, another worker) are caught up,
* :func:`rebuild`, the full re-index of a tenant (``winback index rebuild``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from agent.crm.models import (
    CallNote,
    CallRecording,
    Note,
    NoteStatus,
    Transcript,
)
from agent.errors import ValidationError
from agent.history.chunks import (
    HistoryChunk,
    call_note_chunks,
    note_chunks,
    source_id,
    stamp,
    transcript_chunks,
)
from agent.history.index import HistoryIndex

INDEXED_KINDS = ("note", "call_note", "transcript")


def _split_source(source: str) -> tuple[str, int]:
    kind, _, key = source.partition(":")
    if kind not in INDEXED_KINDS or not key.isdigit():
        raise ValidationError(
            f"Not an indexed source id: {source!r} (expected note:N, call_note:N or transcript:N)"
        )
    return kind, int(key)


def _transcript_day(session: Session, transcript: Transcript) -> Any:
    if transcript.recording_id is None:
        return None
    recording = session.get(CallRecording, transcript.recording_id)
    return recording.call_date if recording else None


def chunks_for_source(session: Session, tenant_id: int, source: str) -> list[HistoryChunk] | None:
    """Chunks of one record as stored now; ``None`` when the record is gone."""
    kind, key = _split_source(source)
    if kind == "note":
        note = session.get(Note, key)
        return note_chunks(note) if note and note.tenant_id == tenant_id else None
    if kind == "call_note":
        call_note = session.get(CallNote, key)
        ok = call_note is not None and call_note.tenant_id == tenant_id
        return call_note_chunks(call_note) if call_note and ok else None
    transcript = session.get(Transcript, key)
    if transcript is None or transcript.tenant_id != tenant_id:
        return None
    return transcript_chunks(transcript, _transcript_day(session, transcript))


def sync_source(session: Session, index: HistoryIndex, tenant_id: int, source: str) -> int:
    """Bring one record's chunks up to date (re-embed, or delete when the record is gone)."""
    chunks = chunks_for_source(session, tenant_id, source)
    if chunks is None:
        index.delete_source(tenant_id, source)
        return 0
    return index.replace_source(tenant_id, source, chunks)


def sync_account(session: Session, index: HistoryIndex, tenant_id: int, account_id: int) -> int:
    """Re-index whatever of one account changed since it was indexed; returns records synced.

    Compares each note's and call note's change stamp (and each transcript's
    presence) in the CRM with what the index holds, so a brief is current even
    when another process (an import, a review) changed the CRM. Records gone
    from the CRM are removed from the index.
    """
    wanted: dict[str, str] = {}
    for key, updated in session.execute(
        select(Note.id, Note.updated_at).where(Note.account_id == account_id)
    ):
        wanted[source_id("note", key)] = stamp(updated)
    for key, updated in session.execute(
        select(CallNote.id, CallNote.updated_at).where(
            CallNote.account_id == account_id, CallNote.status == NoteStatus.approved
        )
    ):
        wanted[source_id("call_note", key)] = stamp(updated)
    indexed = index.stamps(tenant_id, account_id)
    for key in session.scalars(select(Transcript.id).where(Transcript.account_id == account_id)):
        wanted[source_id("transcript", key)] = indexed.get(source_id("transcript", key), "")
    changed = [s for s, st in wanted.items() if s not in indexed or indexed[s] != st]
    gone = [s for s in indexed if s not in wanted]
    for source in changed:
        sync_source(session, index, tenant_id, source)
    for source in gone:
        index.delete_source(tenant_id, source)
    return len(changed) + len(gone)


def tenant_chunks(session: Session, tenant_id: int) -> list[HistoryChunk]:
    """Every chunk a tenant's records produce, in a stable order."""
    chunks: list[HistoryChunk] = []
    for note in session.scalars(select(Note).where(Note.tenant_id == tenant_id).order_by(Note.id)):
        chunks.extend(note_chunks(note))
    for call_note in session.scalars(
        select(CallNote).where(CallNote.tenant_id == tenant_id).order_by(CallNote.id)
    ):
        chunks.extend(call_note_chunks(call_note))
    days = dict(
        session.execute(
            select(CallRecording.id, CallRecording.call_date).where(
                CallRecording.tenant_id == tenant_id
            )
        ).all()
    )
    for transcript in session.scalars(
        select(Transcript)
        .where(Transcript.tenant_id == tenant_id)
        .options(selectinload(Transcript.segments))
        .order_by(Transcript.id)
    ):
        day = days.get(transcript.recording_id) if transcript.recording_id else None
        chunks.extend(transcript_chunks(transcript, day))
    return chunks


def rebuild(session: Session, index: HistoryIndex, tenant_id: int) -> int:
    """Drop and rebuild the tenant's index from the CRM store; returns the chunk count."""
    chunks = tenant_chunks(session, tenant_id)
    index.reset_tenant(tenant_id)
    index.collection(tenant_id)
    return index.upsert(chunks)

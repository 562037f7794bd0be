"""A stored transcript becomes a draft call note: the work of the pipeline's ``analyze`` step.

The ``analyze`` step (:mod:`agent.calls.pipeline`) calls
:func:`prepare_draft` and then the writer it returns, so every upload ends
as a ``pending_review`` note (or a ``failed`` one with the reason) without
anyone running ``winback analyze``; ``analyze_after_transcription=false``
turns that off.

The analysis runs in two stages because a model call may take minutes on a
CPU: :func:`prepare_draft` runs the analysis with no transaction open,
while the step's heartbeat keeps the job alive, and its writer only stores
the note, in the step's final transaction. So the analysis neither holds
a database transaction open nor looks like a dead worker to the recovery
sweep. :func:`draft_note` does both at once in the caller's session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.analysis.analyzer import AnalysisResult, analyzer_for
from agent.analysis.bank import Example
from agent.analysis.notes import store_draft
from agent.analysis.schema import CallInput
from agent.analysis.sources import input_from_transcript
from agent.analysis.tenant_bank import tenant_examples
from agent.crm.db import Store
from agent.crm.models import Account, CallNote, CallRecording, Transcript, User
from agent.settings import Settings

#: Stores an analysis made in advance: given the final transaction's session, the
#: recording and its transcript, returns what was stored (note id, status).
DraftWriter = Callable[[Session, CallRecording, Transcript], dict[str, Any]]


def _skip(session: Session, recording: CallRecording) -> dict[str, Any] | None:
    """Why the recording needs no analysis (it has a note already), or None."""
    existing = session.scalar(select(CallNote.id).where(CallNote.recording_id == recording.id))
    if existing is not None:
        return {"note_id": existing, "skipped": "note exists"}
    if session.get(Account, recording.account_id) is None:
        # The foreign key makes this impossible; say so if it happens.
        return {"skipped": "recording without account"}
    return None


def _input(
    session: Session, recording: CallRecording, transcript: Transcript
) -> tuple[CallInput, list[Example]]:
    """The analyzer's input and the tenant's confirmed sentences it learns from."""
    account = session.get(Account, recording.account_id)
    assert account is not None  # checked by _skip
    call = input_from_transcript(session, transcript, account, recording.call_date)
    return call, tenant_examples(session, recording.tenant_id)


def _analyse(settings: Settings, call: CallInput, examples: list[Example]) -> AnalysisResult:
    return analyzer_for(settings, examples=examples).analyze(call)


def _store(
    session: Session,
    recording: CallRecording,
    transcript: Transcript,
    call: CallInput,
    result: AnalysisResult,
) -> dict[str, Any]:
    account = session.get(Account, recording.account_id)
    assert account is not None  # checked by _skip
    author = session.get(User, recording.uploaded_by_id) if recording.uploaded_by_id else None
    note = store_draft(
        session, recording.tenant_id, account, result, call_date=call.call_date,
        recording_id=recording.id, transcript_id=transcript.id, author=author,
    )  # fmt: skip
    return {"note_id": note.id, "status": note.status.value, "analysis": result.status}


def draft_note(
    settings: Settings, session: Session, recording: CallRecording, transcript: Transcript
) -> dict[str, Any]:
    """Analyse the recording's transcript and store the draft note in ``session``.

    Idempotent: a recording that already has a note is left alone (a retried
    step must not create a second draft).
    """
    skipped = _skip(session, recording)
    if skipped is not None:
        return skipped
    call, examples = _input(session, recording, transcript)
    return _store(session, recording, transcript, call, _analyse(settings, call, examples))


def prepare_draft(settings: Settings, store: Store, recording_id: str) -> DraftWriter:
    """Analyse now (a model call, minutes on a CPU) and return the note writer.

    The transcript is read in a short transaction of its own; the writer
    checks again for a note stored meanwhile. Whatever is off (no
    transcript, a note already there) is left to :func:`draft_note`, which
    reports it in the final transaction without calling a model.
    """
    with store.session() as session:
        recording = session.get(CallRecording, recording_id)
        transcript = session.scalar(
            select(Transcript).where(Transcript.recording_id == recording_id)
        )
        if recording is None or transcript is None or _skip(session, recording):
            return lambda session, recording, transcript: draft_note(
                settings, session, recording, transcript
            )
        call, examples = _input(session, recording, transcript)
    result = _analyse(settings, call, examples)

    def write(session: Session, recording: CallRecording, transcript: Transcript) -> dict[str, Any]:
        skipped = _skip(session, recording)
        if skipped is not None:
            return skipped
        return _store(session, recording, transcript, call, result)

    return write


__all__ = ["DraftWriter", "draft_note", "prepare_draft"]

"""The recording pipeline's ``analyze`` step: a stored transcript becomes a draft call note.

:func:`register` adds :func:`analysis_hook` to :mod:`agent.calls.pipeline`;
the worker calls it once at start-up so every upload ends as a
``pending_review`` note (or a ``failed`` one with the reason) without anyone
running ``winback analyze``. The hook is not registered on import, so the
pipeline's own tests keep running without a chat model.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.analysis.analyzer import Analyzer
from agent.analysis.notes import store_draft
from agent.analysis.sources import input_from_transcript
from agent.crm.models import Account, CallNote, CallRecording, Transcript, User
from agent.settings import Settings


def analysis_hook(
    settings: Settings, session: Session, recording: CallRecording, transcript: Transcript
) -> dict[str, Any]:
    """Analyse the recording's transcript and store the draft note in the step's transaction.

    Idempotent: a recording that already has a note is left alone (a retried
    step must not create a second draft).
    """
    from agent.llm import get_chat_model

    existing = session.scalar(select(CallNote.id).where(CallNote.recording_id == recording.id))
    if existing is not None:
        return {"note_id": existing, "skipped": "note exists"}
    account = session.get(Account, recording.account_id)
    if account is None:  # the foreign key makes this impossible; say so if it happens
        return {"skipped": "recording without account"}
    call = input_from_transcript(session, transcript, account, recording.call_date)
    result = Analyzer(get_chat_model(settings), settings=settings).analyze(call)
    author = session.get(User, recording.uploaded_by_id) if recording.uploaded_by_id else None
    note = store_draft(
        session, recording.tenant_id, account, result, call_date=call.call_date,
        recording_id=recording.id, transcript_id=transcript.id, author=author,
    )  # fmt: skip
    return {"note_id": note.id, "status": note.status.value, "analysis": result.status}


def register() -> None:
    """Register :func:`analysis_hook` with the recording pipeline (idempotent)."""
    from agent.calls.pipeline import register_analysis_hook

    register_analysis_hook(analysis_hook)


def install(settings: Settings) -> None:
    """Register the analysis with the pipeline when the settings ask for it.

    Called by every place that runs queue workers (``winback worker``,
    ``winback serve``, ``winback calls upload --wait``).
    """
    if settings.analyze_after_transcription:
        register()


__all__ = ["analysis_hook", "install", "register"]

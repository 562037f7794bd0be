"""Call notes: read (with transcript and AI markers), edit, approve, reject, the audio.

Every function takes the current user and checks what they may see
(:mod:`api.access`). The notes a user may see are listed by
:func:`agent.analysis.notes.list_notes` (the API's cached list,
:func:`api.routes.notes.notes_json`, keeps the same scope). Approving and
rejecting are for managers, which the caller checks (the route's and the
page's dependency), not these functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from agent.analysis import review
from agent.analysis.notes import EDITABLE_FIELDS, note_to_json
from agent.audio_store import get_audio_store
from agent.auth import Principal
from agent.crm.models import Account, CallNote, CallRecording, User
from agent.errors import NotFoundError, ValidationError
from agent.settings import Settings
from api.access import get_owned
from api.schemas.notes import ApprovalOut, NoteDetail
from api.services.recordings import transcript_out

#: Note fields written by the model (the UI marks them "AI-generated" unless edited).
AI_FIELDS = ("summary", "churn_reasons", "outcome", "next_steps", "expectations", "sentiment")

#: Containers of stored recordings -> the media type a browser plays them as.
AUDIO_TYPES = {
    "flac": "audio/flac",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
    "webm": "audio/webm",
    "matroska": "audio/webm",
    "mov": "audio/mp4",
    "mp4": "audio/mp4",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
}


def note_detail(session: Session, note: CallNote) -> NoteDetail:
    """The note with its account, transcript segments and which fields the analysis wrote."""
    account = session.get(Account, note.account_id)
    data: dict[str, Any] = note_to_json(note, account)
    data["account_id"] = note.account_id
    data["account_name"] = account.name if account else None
    data["recording_id"] = note.recording_id
    data["created_at"] = note.created_at.isoformat() if note.created_at else None
    sources = data.get("field_sources") or {}
    data["ai_generated"] = [f for f in AI_FIELDS if sources.get(f, "ai") == "ai"]
    transcript = review.note_transcript(session, note)
    data["transcript"] = transcript_out(transcript) if transcript else None
    return NoteDetail.model_validate(data)


def get_note(session: Session, user: Principal, note_id: int) -> NoteDetail:
    """One note the user may see, with its transcript."""
    return note_detail(session, get_owned(session, user, CallNote, note_id))


def _user(session: Session, user: Principal) -> User:
    row = session.get(User, user.user_id)
    assert row is not None  # the principal was loaded from it in this request
    return row


def edit_note(session: Session, user: Principal, note_id: int, changes: dict[str, Any]) -> CallNote:
    """Edit a draft: managers any, reps the drafts on their own accounts."""
    note = get_owned(session, user, CallNote, note_id)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"Cannot edit {', '.join(sorted(unknown))}.")
    return review.edit(session, user.tenant_id, note.id, _user(session, user), changes)


def approve_note(
    session: Session, user: Principal, note_id: int, comment: str | None
) -> ApprovalOut:
    """Approve a draft (managers only; the caller checks the role).

    An approval can change an account's status, so the cached plans are
    dropped: the plan must not offer a call the outcome ruled out.
    """
    from api.planning import forget_plans

    note = get_owned(session, user, CallNote, note_id)
    result = review.approve(session, user.tenant_id, note.id, _user(session, user), comment)
    forget_plans()
    return ApprovalOut.model_validate(result)


def reject_note(session: Session, user: Principal, note_id: int, reason: str) -> CallNote:
    """Reject a draft with a reason (managers only); the CRM record stays unchanged."""
    note = get_owned(session, user, CallNote, note_id)
    return review.reject(session, user.tenant_id, note.id, _user(session, user), reason)


def note_audio(
    session: Session, settings: Settings, user: Principal, note_id: int
) -> tuple[Path, str]:
    """The stored recording of a note the user may see, and the media type it plays as.

    NotFoundError when the note has no recording or retention deleted its audio.
    """
    note = get_owned(session, user, CallNote, note_id)
    recording = session.get(CallRecording, note.recording_id) if note.recording_id else None
    if recording is None or not recording.storage_key:
        raise NotFoundError(f"Call note {note.id} has no recording.")
    if recording.audio_deleted_at is not None:
        raise NotFoundError(f"The recording of call note {note.id} was deleted (retention).")
    path = get_audio_store(settings).path(recording.storage_key)
    media_type = AUDIO_TYPES.get((recording.container or "").lower(), "application/octet-stream")
    return path, media_type

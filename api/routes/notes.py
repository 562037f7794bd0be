"""Call notes: list, read (with transcript and evidence), edit, approve, reject."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from agent.analysis import review
from agent.analysis.notes import EDITABLE_FIELDS, note_to_json
from agent.audio_store import get_audio_store
from agent.auth import Principal
from agent.crm.db import Store
from agent.crm.models import Account, CallNote, CallRecording, NoteStatus, Transcript, User
from agent.errors import NotFoundError, ValidationError
from api.access import get_owned, scoped
from api.deps import CurrentUser, IdPath, ManagerUser, SessionDep, SettingsDep, StoreDep
from api.reads import run_read
from api.responses import json_bytes, raw_json_response
from api.routes.recordings import transcript_out

router = APIRouter(prefix="/api/notes", tags=["notes"])

#: Note fields written by the model (the UI marks them "AI-generated" unless edited).
AI_FIELDS = ("summary", "churn_reasons", "outcome", "next_steps", "expectations", "sentiment")


class ApproveIn(BaseModel):
    """Optional comment of the approving manager."""

    comment: str | None = Field(None, max_length=2000)


class RejectIn(BaseModel):
    """Why the draft is rejected."""

    reason: str = Field(min_length=1, max_length=2000, examples=["Falscher Kunde zugeordnet."])


class EditIn(BaseModel):
    """New values for fields of the draft (shape of the analysis)."""

    summary: str | None = Field(None, max_length=4000)
    outcome: (
        Literal["reactivated", "follow_up", "not_now", "lost", "disqualified", "not_reached"] | None
    ) = None
    churn_reasons: list[dict[str, Any]] | None = Field(None, max_length=11)
    next_steps: list[dict[str, Any]] | None = Field(None, max_length=10)
    expectations: str | None = Field(None, max_length=2000)
    sentiment: str | None = Field(None, max_length=16)

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "outcome": "follow_up",
                    "churn_reasons": [
                        {
                            "code": "delivery_reliability",
                            "evidence": "die Lieferungen kamen ständig zu spät",
                            "confidence": 0.9,
                        }
                    ],
                }  # fmt: skip
            ]
        },
    }


class TaskCreated(BaseModel):
    """A task an approval created from a next step (or as a follow-up reminder)."""

    id: int
    type: str
    due_date: date | None
    description: str = Field(description="The step's name in the call's language, never a quote.")


class StatusChange(BaseModel):
    """How an approval changed the account's status, and the reason it gives."""

    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    reason: str | None = None

    model_config = {"populate_by_name": True}


class ApprovalOut(BaseModel):
    """What an approval wrote into the CRM record."""

    note: int
    labels: list[str] = Field(description="Churn reason codes added to the account's history.")
    tasks: list[TaskCreated]
    account_status: StatusChange | None = Field(
        description="The account's status change, or null when the outcome changes none."
    )
    learning_examples: int = Field(description="Sentences the tenant's analysis learns from.")


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


def note_detail(session: Session, note: CallNote) -> dict[str, Any]:
    """The note as JSON plus account, transcript segments and AI/edited markers."""
    account = session.get(Account, note.account_id)
    data = note_to_json(note, account)
    data["account_id"] = note.account_id
    data["account_name"] = account.name if account else None
    data["recording_id"] = note.recording_id
    data["created_at"] = note.created_at.isoformat() if note.created_at else None
    sources = data.get("field_sources") or {}
    data["ai_generated"] = [f for f in AI_FIELDS if sources.get(f, "ai") == "ai"]
    transcript = None
    if note.transcript_id is not None:
        transcript = session.get(Transcript, note.transcript_id)
    elif note.recording_id is not None:
        transcript = session.scalar(
            select(Transcript).where(Transcript.recording_id == note.recording_id)
        )
    data["transcript"] = transcript_out(transcript) if transcript else None
    return data


def visible_notes(
    session: Session, user: Principal, status: NoteStatus | None, limit: int
) -> list[CallNote]:
    """Notes the user may see, newest first."""
    query = scoped(select(CallNote), user, CallNote)
    if status is not None:
        query = query.where(CallNote.status == status)
    return list(session.scalars(query.order_by(CallNote.id.desc()).limit(limit)))


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


def approve_note(session: Session, user: Principal, note_id: int, comment: str | None) -> dict:
    """Approve a draft (managers only; the caller checks the role)."""
    note = get_owned(session, user, CallNote, note_id)
    result = review.approve(session, user.tenant_id, note.id, _user(session, user), comment)
    from api.planning import forget_plans

    forget_plans()  # an approval can change an account's status, so the plan
    return result


def reject_note(session: Session, user: Principal, note_id: int, reason: str) -> CallNote:
    """Reject a draft with a reason (managers only)."""
    note = get_owned(session, user, CallNote, note_id)
    return review.reject(session, user.tenant_id, note.id, _user(session, user), reason)


# The note list is the most polled read. Each note's JSON is cached, encoded, under
# (database, note id, updated_at, account number): every change of a note moves its
# updated_at on, so a changed note is a cache miss in every process. A request then
# selects four columns per note; only notes new to this process load their columns and
# their stored analysis (which holds the model's raw output and can be large).
_LIST = select(CallNote.id, CallNote.updated_at, Account.external_id).outerjoin(
    Account, Account.id == CallNote.account_id
)
_FULL = select(
    CallNote.id,
    CallNote.account_id,
    CallNote.status,
    CallNote.call_date,
    CallNote.language,
    CallNote.summary,
    CallNote.outcome,
    CallNote.expectations,
    CallNote.sentiment,
    CallNote.field_sources,
    CallNote.model,
    CallNote.failure_reason,
    CallNote.review_comment,
    CallNote.reviewed_at,
    CallNote.analysis,
).where(CallNote.id.in_(bindparam("ids", expanding=True)))
_note_cache: dict[tuple[object, ...], bytes] = {}
_note_lock = threading.Lock()
#: About 1-3 KB each: a few MB per process at most.
MAX_CACHED_NOTES = 5_000


def _note_item(row: Any, external_id: str | None) -> dict[str, Any]:
    """One list item: :func:`note_to_json` of the note plus its account_id."""
    return {**note_to_json(row, account_ref=external_id), "account_id": row.account_id}


def notes_json(
    session: Session, user: Principal, status: NoteStatus | None, limit: int, build: bool = True
) -> bytes | None:
    """The API's note list as JSON: :func:`note_to_json` of each note, plus its account_id.

    Same scope and order as :func:`visible_notes` (a rep: notes on own accounts; newest
    first). With ``build=False`` it returns None instead of building the JSON of notes
    this process has not cached yet (the caller then retries in the threadpool).
    """
    query = _LIST.where(CallNote.tenant_id == user.tenant_id)
    if not user.sees_team:
        query = query.where(Account.owner_id == user.user_id)
    if status is not None:
        query = query.where(CallNote.status == status)
    # Core statements on the connection: the ORM layer of Session.execute is not needed.
    connection = session.connection()
    rows = connection.execute(query.order_by(CallNote.id.desc()).limit(limit)).all()
    db = str(connection.engine.url)
    keys = [(db, note_id, updated_at, external_id) for note_id, updated_at, external_id in rows]
    with _note_lock:
        items = [_note_cache.get(key) for key in keys]
    missing = {key[1]: key for key, item in zip(keys, items, strict=True) if item is None}
    if missing and not build:
        return None
    if missing:
        fresh = {
            row.id: json_bytes(_note_item(row, missing[row.id][3]))
            for row in connection.execute(_FULL, {"ids": list(missing)})
        }
        with _note_lock:
            if len(_note_cache) + len(fresh) > MAX_CACHED_NOTES:
                _note_cache.clear()
            for note_id, item in fresh.items():
                _note_cache[missing[note_id]] = item
        items = [item or fresh.get(key[1], b"") for key, item in zip(keys, items, strict=True)]
    # A note deleted between the two queries is left out.
    return b"[" + b",".join(item for item in items if item) + b"]"


def _notes_json(
    store: Store, user: Principal, status: NoteStatus | None, limit: int, build: bool
) -> bytes | None:
    with store.session() as session:
        return notes_json(session, user, status, limit, build)


@router.get("", summary="List call notes", response_model=list[dict[str, Any]])
async def get_notes(
    store: StoreDep,
    user: CurrentUser,
    status: NoteStatus | None = Query(None, description="Only notes in this state."),
    limit: int = Query(100, ge=1, le=500),
) -> Response:
    """Call notes the caller may see (a rep: on own accounts), newest first."""
    # A hot read: async; one short read (api/reads.py) when every note's analysis is
    # cached, else (new notes: validating their analyses) in the threadpool.
    body = await run_read(store, _notes_json, user, status, limit, False)
    if body is None:
        body = await run_in_threadpool(_notes_json, store, user, status, limit, True)
    assert body is not None
    return raw_json_response(body)


@router.get("/{note_id}", summary="A call note with its transcript")
def get_note(note_id: IdPath, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """The note, which fields are AI-generated, and the transcript with speaker turns."""
    return note_detail(session, get_owned(session, user, CallNote, note_id))


@router.patch("/{note_id}", summary="Edit a draft note")
def patch_note(
    note_id: IdPath, session: SessionDep, user: CurrentUser, body: EditIn = Body(...)
) -> dict[str, Any]:
    """Change fields of a draft; edited fields are marked as edited by a person."""
    changes = body.model_dump(exclude_unset=True)
    return note_detail(session, edit_note(session, user, note_id, changes))


@router.post(
    "/{note_id}/approve",
    summary="Approve a draft note",
    response_model=ApprovalOut,
    response_model_by_alias=True,
)
def post_approve(
    note_id: IdPath, session: SessionDep, user: ManagerUser, body: ApproveIn | None = None
) -> ApprovalOut:
    """Approve: churn reasons, dated tasks and the account's status go into the CRM record."""
    return ApprovalOut.model_validate(
        approve_note(session, user, note_id, body.comment if body else None)
    )


@router.get(
    "/{note_id}/audio",
    summary="The recording of a note",
    response_class=FileResponse,
    responses={
        200: {"content": {"audio/*": {}}, "description": "The audio (byte ranges supported)."},
        404: {"description": "No such note for the caller, no recording, or it was deleted."},
    },
)
def get_note_audio(
    note_id: IdPath, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> FileResponse:
    """The call's recording, for whoever may see the note (players seek by byte ranges)."""
    note = get_owned(session, user, CallNote, note_id)
    recording = session.get(CallRecording, note.recording_id) if note.recording_id else None
    if recording is None or not recording.storage_key:
        raise NotFoundError(f"Call note {note.id} has no recording.")
    if recording.audio_deleted_at is not None:
        raise NotFoundError(f"The recording of call note {note.id} was deleted (retention).")
    path = get_audio_store(settings).path(recording.storage_key)
    media_type = AUDIO_TYPES.get((recording.container or "").lower(), "application/octet-stream")
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "private, no-store"})


@router.post("/{note_id}/reject", summary="Reject a draft note")
def post_reject(
    note_id: IdPath, session: SessionDep, user: ManagerUser, body: RejectIn
) -> dict[str, Any]:
    """Reject with a reason; the CRM record stays unchanged."""
    return note_detail(session, reject_note(session, user, note_id, body.reason))

"""Call notes: list, read (with transcript and evidence), edit, approve, reject.

The list is answered from a per-process cache of each note's JSON (below);
everything else is done in :mod:`api.services.notes`, which the note pages use too.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from agent.analysis.notes import note_to_json
from agent.auth import Principal
from agent.crm.db import Store
from agent.crm.models import Account, CallNote, NoteStatus
from api.cache import Cache
from api.deps import CurrentUser, IdPath, ManagerUser, SessionDep, SettingsDep, StoreDep
from api.reads import run_read
from api.responses import json_bytes, raw_json_response
from api.schemas.notes import ApprovalOut, ApproveIn, EditIn, NoteDetail, NoteOut, RejectIn
from api.services import notes

router = APIRouter(prefix="/api/notes", tags=["notes"])


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
#: The JSON of single notes, keyed by database, note id, last change and account reference,
#: so an edited note is a new key and the old entry is never asked for again. About 1-3 KB
#: each: a few MB per process at most.
MAX_CACHED_NOTES = 5_000
_note_cache: Cache[tuple[object, ...], bytes] = Cache(MAX_CACHED_NOTES, ttl_s=3600.0)


def _note_item(row: Any, external_id: str | None) -> dict[str, Any]:
    """One list item: :func:`note_to_json` of the note plus its account_id."""
    return {**note_to_json(row, account_ref=external_id), "account_id": row.account_id}


def notes_json(
    session: Session, user: Principal, status: NoteStatus | None, limit: int, build: bool = True
) -> bytes | None:
    """The API's note list as JSON: :func:`note_to_json` of each note, plus its account_id.

    Same scope and order as :func:`agent.analysis.notes.list_notes` (a rep: notes on own
    accounts; newest first), which the test of the list checks. With ``build=False`` it
    returns None instead of building the JSON of notes this process has not cached yet
    (the caller then retries in the threadpool).
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
    items = [_note_cache.get(key) for key in keys]
    missing = {key[1]: key for key, item in zip(keys, items, strict=True) if item is None}
    if missing and not build:
        return None
    if missing:
        fresh = {
            row.id: json_bytes(_note_item(row, missing[row.id][3]))
            for row in connection.execute(_FULL, {"ids": list(missing)})
        }
        for note_id, item in fresh.items():
            _note_cache.put(missing[note_id], item)
        items = [item or fresh.get(key[1], b"") for key, item in zip(keys, items, strict=True)]
    # A note deleted between the two queries is left out.
    return b"[" + b",".join(item for item in items if item) + b"]"


def _notes_json(
    store: Store, user: Principal, status: NoteStatus | None, limit: int, build: bool
) -> bytes | None:
    with store.session() as session:
        return notes_json(session, user, status, limit, build)


@router.get("", summary="List call notes", response_model=list[NoteOut])
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


@router.get("/{note_id}", response_model=NoteDetail, summary="A call note with its transcript")
def get_note(note_id: IdPath, session: SessionDep, user: CurrentUser) -> NoteDetail:
    """The note, which fields are AI-generated, and the transcript with speaker turns."""
    return notes.get_note(session, user, note_id)


@router.patch("/{note_id}", response_model=NoteDetail, summary="Edit a draft note")
def patch_note(
    note_id: IdPath, session: SessionDep, user: CurrentUser, body: EditIn = Body(...)
) -> NoteDetail:
    """Change fields of a draft; edited fields are marked as edited by a person."""
    changes = body.model_dump(exclude_unset=True)
    return notes.note_detail(session, notes.edit_note(session, user, note_id, changes))


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
    return notes.approve_note(session, user, note_id, body.comment if body else None)


@router.get(
    "/{note_id}/audio",
    summary="The recording of a note",
    response_class=FileResponse,
    responses={
        200: {
            "content": {"audio/*": {"schema": {"type": "string", "format": "binary"}}},
            "description": "The audio (byte ranges supported).",
        },
        404: {"description": "No such note for the caller, no recording, or it was deleted."},
    },
)
def get_note_audio(
    note_id: IdPath, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> FileResponse:
    """The call's recording, for whoever may see the note (players seek by byte ranges)."""
    path, media_type = notes.note_audio(session, settings, user, note_id)
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "private, no-store"})


@router.post("/{note_id}/reject", response_model=NoteDetail, summary="Reject a draft note")
def post_reject(
    note_id: IdPath, session: SessionDep, user: ManagerUser, body: RejectIn
) -> NoteDetail:
    """Reject with a reason; the CRM record stays unchanged."""
    return notes.note_detail(session, notes.reject_note(session, user, note_id, body.reason))

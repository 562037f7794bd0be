"""Rep pages: today's calls, the call page (brief and upload), account, recordings, my notes."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.analysis.notes import list_notes
from agent.brief.authorship import ai_parts
from agent.crm.models import Account, CallNote, CallRecording, NoteStatus, Role, StoredBrief
from api.access import get_account, get_owned, scoped
from api.call_page import (
    SHOWN_SOURCES,
    cited_refs,
    cited_sources,
    is_excluded,
    primary_contact,
    recording_rows,
    resolve_sources,
    tel_href,
)
from api.deps import AnyUser, CurrentUser, IdPath, SessionDep
from api.note_view import render_note
from api.planning import calls_for
from api.services.accounts import account_detail
from api.services.plan import plan_day
from api.services.recordings import recording_id_of
from api.services.tasks import list_tasks
from api.views import page_language, render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(user: AnyUser) -> Response:
    """Managers start at the review queue, the works council at the team overview, reps today."""
    if user.role == Role.council:
        return RedirectResponse("/team", status_code=303)
    return RedirectResponse("/review" if user.is_manager else "/today", status_code=303)


@router.get("/today")
def today(
    request: Request, session: SessionDep, user: CurrentUser, as_of: date | None = Query(None)
) -> Response:
    """Today's win-back calls from the daily plan (plus open tasks)."""
    day = plan_day(as_of)
    calls = calls_for(session, user, day, 1)
    tasks = [t for t in list_tasks(session, user, None, 50) if t.status == "open"]
    return render(request, "today.html", calls=calls, day=day, tasks=tasks)


@router.get("/accounts/{account_id}")
def account_page(
    account_id: IdPath, request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    """The account: history, the latest brief (with "prepare brief"), upload, notes.

    It gets what the call page gets (sources, exclusion, recordings with their
    stage), so it can show the brief, the upload and the stages the same way
    (``_brief.html``, ``_upload.html``, ``_stage.html``).
    """
    account = get_account(session, user, account_id)
    return render(
        request,
        "account.html",
        **call_context(session, account, page_language(request)),
        account=account_detail(session, account),
        account_row=account,
        now=date.today().isoformat(),
    )


def latest_brief(session: Session, account: Account) -> StoredBrief | None:
    """The newest stored brief of ``account``."""
    return session.scalar(
        select(StoredBrief)
        .where(StoredBrief.account_id == account.id)
        .order_by(StoredBrief.version.desc())
        .limit(1)
    )


def call_context(session: Session, account: Account, language: str) -> dict[str, Any]:
    """What the brief, upload and stage templates need about ``account``."""
    brief_row = latest_brief(session, account)
    brief = brief_row.content if brief_row else None
    sources = resolve_sources(session, account, cited_refs(brief), language) if brief else {}
    contact = primary_contact(session, account)
    recordings = list(
        session.scalars(
            select(CallRecording)
            .where(CallRecording.account_id == account.id)
            .order_by(CallRecording.created_at.desc())
            .limit(20)
        )
    )
    return {
        "brief": brief,
        "brief_row": brief_row,
        "brief_ai": ai_parts(brief_row),
        "sources": sources,
        "cited": partial(cited_sources, sources),
        "shown_sources": SHOWN_SOURCES,
        "contact": contact,
        "tel": tel_href(contact.phone) if contact and contact.phone else None,
        "excluded": is_excluded(account),
        "recordings": recording_rows(session, recordings, language),
    }


@router.get("/accounts/{account_id}/call")
def call_page(
    account_id: IdPath, request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    """The call: the opening question and talking points first, then the upload.

    The brief's records are listed once, numbered, under it; an account not to
    be called shows that as a banner, and the upload is switched off (the
    upload route refuses it too).
    """
    account = get_account(session, user, account_id)
    context = call_context(session, account, page_language(request))
    return render(request, "call.html", account=account, **context)


@router.get("/recordings/{recording_id}")
def recording_page(
    recording_id: str, request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    """One recording: its stage and estimate, live, and the draft note once it exists."""
    row = get_owned(session, user, CallRecording, recording_id_of(recording_id))
    [item] = recording_rows(session, [row], page_language(request))
    summary = session.scalar(select(CallNote.summary).where(CallNote.id == item.note_id))
    return render(request, "recording.html", rec=item, summary=summary)


@router.get("/notes")
def notes_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    status: NoteStatus | None = Query(None),
) -> Response:
    """My call notes (a manager: all of the tenant), and above them the recordings in progress.

    A recording is listed here from its upload until its draft note exists (or
    it failed), with its stage and estimate, so an upload is never lost from
    sight after leaving its page.
    """
    notes = list_notes(session, user.tenant_id, status, 200, viewer=user)
    names = {a.id: a.name for a in session.scalars(
        select(Account).where(Account.id.in_({n.account_id for n in notes}))
    )}  # fmt: skip
    with_note = select(CallNote.recording_id).where(CallNote.recording_id.is_not(None))
    open_rows = list(
        session.scalars(
            scoped(select(CallRecording), user, CallRecording)
            .where(CallRecording.id.not_in(with_note))
            .order_by(CallRecording.created_at.desc())
            .limit(50)
        )
    )
    recordings = recording_rows(session, open_rows, page_language(request))
    return render(
        request, "notes.html", notes=notes, names=names, queue=False, recordings=recordings
    )


@router.get("/notes/{note_id}")
def note_page(
    note_id: IdPath, request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    """One note with its transcript and recording; managers get the review form."""
    return render_note(request, session, get_owned(session, user, CallNote, note_id))

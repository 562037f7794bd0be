"""Rep pages: today's calls, account with history and brief, upload, my notes."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from agent.brief.generator import RULES_MODEL
from agent.crm.models import Account, Brief, CallNote, NoteStatus, Role
from agent.plan.scoring import euro, percent
from api.access import get_account, get_owned
from api.deps import AnyUser, CurrentUser, IdPath, SessionDep
from api.note_view import render_note
from api.planning import calls_for
from api.routes.accounts import account_detail
from api.routes.notes import list_notes
from api.routes.plan import plan_day
from api.routes.tasks import list_tasks
from api.views import render

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
    tasks = [t for t in list_tasks(session, user, None, 50) if t["status"] == "open"]
    return render(
        request, "today.html", calls=calls, day=day, tasks=tasks, euro=euro, percent=percent
    )


#: The parts of a brief a language model can write (objections and "avoid" are the playbook's).
MODEL_PARTS = ("situation", "opening_question", "talking_points")


def ai_parts(brief_row: Brief | None) -> set[str]:
    """The parts of the brief to mark as AI-generated: those a model wrote.

    Briefs by code alone (written-off accounts, no history) have none; with the
    ``compact`` design only the opening question is the model's. Briefs stored
    before ``authored`` existed count every model part as the model's.
    """
    if not (brief_row and brief_row.model and brief_row.model != RULES_MODEL):
        return set()
    authored = (brief_row.content or {}).get("authored") or {}
    return {part for part in MODEL_PARTS if authored.get(part, "model") == "model"}


@router.get("/accounts/{account_id}")
def account_page(
    account_id: IdPath, request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    """The account: history, the latest brief (with "prepare brief"), upload, notes."""
    account = get_account(session, user, account_id)
    brief_row = session.scalar(
        select(Brief).where(Brief.account_id == account.id).order_by(Brief.version.desc()).limit(1)
    )
    return render(
        request,
        "account.html",
        account=account_detail(session, account),
        brief=brief_row.content if brief_row else None,
        brief_row=brief_row,
        brief_ai=ai_parts(brief_row),
        now=date.today().isoformat(),
    )


@router.get("/notes")
def notes_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    status: NoteStatus | None = Query(None),
) -> Response:
    """My call notes (a manager: all of the tenant)."""
    notes = list_notes(session, user, status, 200)
    names = {a.id: a.name for a in session.scalars(
        select(Account).where(Account.id.in_({n.account_id for n in notes}))
    )}  # fmt: skip
    return render(request, "notes.html", notes=notes, names=names, queue=False)


@router.get("/notes/{note_id}")
def note_page(
    note_id: IdPath, request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    """One note with its transcript and recording; managers get the review form."""
    return render_note(request, session, get_owned(session, user, CallNote, note_id))

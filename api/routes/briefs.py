"""Briefs: start a generation, follow its progress, read stored versions.

A generation is a ``brief_jobs`` row run by a queue worker (agent/brief/jobs.py):
this process only writes the row and the queue message, and any process of the
app can answer the progress polls.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from agent.brief.generator import RULES_MODEL
from agent.brief.jobs import job_out, start_brief_job
from agent.crm.models import Account, BriefJob, StoredBrief
from agent.errors import NotFoundError
from api.access import get_account, get_owned
from api.deps import CurrentUser, IdPath, SessionDep, SettingsDep, StoreDep
from api.i18n import text
from api.routes.plan import plan_day
from api.views import page_language

router = APIRouter(prefix="/api", tags=["briefs"])


class BriefJobOut(BaseModel):
    """A brief generation job."""

    id: str
    account_id: int
    status: str = Field(description="queued, running, done or failed.")
    brief_id: int | None
    error: str | None
    message: str | None = Field(
        None, description="A failed job's reason in the caller's language, for the web app."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"id": "5f0c…", "account_id": 17, "status": "done", "brief_id": 3, "error": None}
            ]  # fmt: skip
        }
    }


def brief_out(row: StoredBrief) -> dict[str, Any]:
    """A stored brief version as JSON; ``ai_generated`` marks model-written parts."""
    return {
        "id": row.id,
        "account_id": row.account_id,
        "version": row.version,
        "language": row.language,
        "model": row.model,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        # Which parts a language model wrote (none when the brief was written by code alone).
        "ai_generated": []
        if row.model == RULES_MODEL
        else ["situation", "opening_question", "talking_points", "objections", "avoid"],
        "content": row.content,
        "markdown": row.markdown,
    }


@router.post(
    "/accounts/{account_id}/briefs",
    status_code=202,
    response_model=BriefJobOut,
    summary="Prepare a brief",
)
def post_brief(
    account_id: IdPath,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    user: CurrentUser,
    as_of: date | None = Query(None, description="Brief as of this day (default: today)."),
) -> BriefJobOut:
    """Queue a new brief version; poll ``/api/brief-jobs/{id}`` for the result.

    While a job of the caller for the same account and day is unfinished, that
    job is returned instead of a second one.
    """
    account = get_account(session, user, account_id)
    day = plan_day(as_of)
    job = start_brief_job(
        store,
        settings,
        tenant_id=user.tenant_id,
        account_id=account.id,
        user_id=user.user_id,
        as_of=day,
    )
    return BriefJobOut(**job_out(job))


@router.get("/brief-jobs/{job_id}", response_model=BriefJobOut, summary="Brief job status")
def get_brief_job(
    job_id: str, request: Request, session: SessionDep, user: CurrentUser
) -> BriefJobOut:
    """The state of a brief job on an account the caller may see (404 otherwise)."""
    job = session.get(BriefJob, job_id[:64])
    if job is None or job.tenant_id != user.tenant_id:
        raise NotFoundError("Brief job not found.")
    if not user.sees_team:
        # A rep sees the jobs on their own accounts; another rep's job does not exist for them.
        owner = session.scalar(select(Account.owner_id).where(Account.id == job.account_id))
        if owner != user.user_id:
            raise NotFoundError("Brief job not found.")
    out = BriefJobOut(**job_out(job))
    if out.status == "failed":
        # The stored error is the operator's (English, technical); the rep reads what to do.
        out.message = text("brief_failed", page_language(request))
    return out


@router.get("/accounts/{account_id}/briefs", summary="Brief versions of an account")
def list_account_briefs(
    account_id: IdPath, session: SessionDep, user: CurrentUser
) -> list[dict[str, Any]]:
    """Every stored brief version of the account, newest first (without content)."""
    account = get_account(session, user, account_id)
    rows = session.scalars(
        select(StoredBrief)
        .where(StoredBrief.account_id == account.id)
        .order_by(StoredBrief.version.desc())
    ).all()
    return [
        {
            "id": r.id,
            "version": r.version,
            "language": r.language,
            "model": r.model,
            "created_at": r.created_at.isoformat() if r.created_at else None,
        }  # fmt: skip
        for r in rows
    ]


@router.get("/briefs/{brief_id}", summary="A stored brief")
def get_brief(brief_id: IdPath, session: SessionDep, user: CurrentUser) -> JSONResponse:
    """One stored brief version with its full content and Markdown."""
    return JSONResponse(brief_out(get_owned(session, user, StoredBrief, brief_id)))

"""Briefs: start a generation, follow its progress, read stored versions."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from agent.brief.generator import RULES_MODEL
from agent.crm.models import Brief
from agent.errors import NotFoundError
from api.access import get_account, get_owned
from api.deps import CurrentUser, IdPath, SessionDep, SettingsDep, StoreDep
from api.routes.plan import plan_day

router = APIRouter(prefix="/api", tags=["briefs"])


class BriefJobOut(BaseModel):
    """A brief generation job."""

    id: str
    account_id: int
    status: str = Field(description="queued, running, done or failed.")
    brief_id: int | None
    error: str | None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"id": "5f0c…", "account_id": 17, "status": "done", "brief_id": 3, "error": None}
            ]  # fmt: skip
        }
    }


def brief_out(row: Brief) -> dict[str, Any]:
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
    request: Request,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    user: CurrentUser,
    as_of: date | None = Query(None, description="Brief as of this day (default: today)."),
) -> BriefJobOut:
    """Start generating a new brief version; poll ``/api/brief-jobs/{id}`` for the result."""
    account = get_account(session, user, account_id)
    day = plan_day(as_of)
    job = request.app.state.brief_jobs.start(store, settings, user, account.id, day)
    return BriefJobOut(**job.to_dict())


@router.get("/brief-jobs/{job_id}", response_model=BriefJobOut, summary="Brief job status")
def get_brief_job(job_id: str, request: Request, user: CurrentUser) -> BriefJobOut:
    """The state of a brief job started by the caller's tenant."""
    job = request.app.state.brief_jobs.get(job_id[:64])
    if job is None or job.tenant_id != user.tenant_id:
        raise NotFoundError("Brief job not found.")
    if not user.sees_team and job.user_id != user.user_id:
        raise NotFoundError("Brief job not found.")
    return BriefJobOut(**job.to_dict())


@router.get("/accounts/{account_id}/briefs", summary="Brief versions of an account")
def list_account_briefs(
    account_id: IdPath, session: SessionDep, user: CurrentUser
) -> list[dict[str, Any]]:
    """Every stored brief version of the account, newest first (without content)."""
    account = get_account(session, user, account_id)
    rows = session.scalars(
        select(Brief).where(Brief.account_id == account.id).order_by(Brief.version.desc())
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
    return JSONResponse(brief_out(get_owned(session, user, Brief, brief_id)))

"""Briefs: start a generation, follow its progress, read stored versions.

A generation is a ``brief_jobs`` row run by a queue worker (agent/brief/jobs.py):
this process only writes the row and the queue message, and any process of the
app can answer the progress polls. The work is done in :mod:`api.services.briefs`.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, Request

from api.deps import CurrentUser, IdPath, SessionDep, SettingsDep, StoreDep
from api.schemas.briefs import BriefJobOut, BriefOut, BriefVersion
from api.services import briefs
from api.views import page_language

router = APIRouter(prefix="/api", tags=["briefs"])


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
    return briefs.start_brief(session, store, settings, user, account_id, as_of)


@router.get("/brief-jobs/{job_id}", response_model=BriefJobOut, summary="Brief job status")
def get_brief_job(
    job_id: str, request: Request, session: SessionDep, user: CurrentUser
) -> BriefJobOut:
    """The state of a brief job on an account the caller may see (404 otherwise)."""
    return briefs.brief_job(session, user, job_id, page_language(request))


@router.get(
    "/accounts/{account_id}/briefs",
    response_model=list[BriefVersion],
    summary="Brief versions of an account",
)
def list_account_briefs(
    account_id: IdPath, session: SessionDep, user: CurrentUser
) -> list[BriefVersion]:
    """Every stored brief version of the account, newest first (without content)."""
    return briefs.brief_versions(session, user, account_id)


@router.get("/briefs/{brief_id}", response_model=BriefOut, summary="A stored brief")
def get_brief(brief_id: IdPath, session: SessionDep, user: CurrentUser) -> BriefOut:
    """One stored brief version with its full content and Markdown; ``ai_generated`` names
    the parts a language model wrote."""
    return briefs.get_brief(session, user, brief_id)

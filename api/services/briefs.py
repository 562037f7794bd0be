"""Briefs: queue a generation, read a job's state, list and read stored versions.

A generation is a ``brief_jobs`` row run by a queue worker (agent/brief/jobs.py):
starting one only writes the row and the queue message, and any process of
the app can answer for a job's state from the row.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.auth import Principal
from agent.brief.authorship import MODEL_PARTS, ai_parts
from agent.brief.jobs import job_out, start_brief_job
from agent.crm.db import Store
from agent.crm.models import Account, BriefJob, StoredBrief
from agent.errors import NotFoundError
from agent.settings import Settings
from api.access import get_account, get_owned
from api.i18n import text
from api.schemas.briefs import BriefJobOut, BriefOut, BriefVersion
from api.services.plan import plan_day


def brief_out(row: StoredBrief) -> BriefOut:
    """A stored brief version with the parts a model wrote (the page marks the same)."""
    written = ai_parts(row)
    return BriefOut(
        id=row.id,
        account_id=row.account_id,
        version=row.version,
        language=row.language,
        model=row.model,
        created_at=row.created_at.isoformat() if row.created_at else None,
        ai_generated=[part for part in MODEL_PARTS if part in written],
        content=row.content,
        markdown=row.markdown,
    )


def start_brief(
    session: Session, store: Store, settings: Settings, user: Principal, account_id: int,
    as_of: date | None,
) -> BriefJobOut:  # fmt: skip
    """Queue a brief of the account as of ``as_of`` (today), or return the caller's unfinished one.

    While a job of the caller for the same account and day waits or runs,
    asking again returns that job instead of starting a second generation.
    The account is checked before the day: an unknown account answers 404
    whatever day was asked for.
    """
    account = get_account(session, user, account_id)
    day = plan_day(as_of)
    job = start_brief_job(
        store, settings, tenant_id=user.tenant_id, account_id=account.id,
        user_id=user.user_id, as_of=day,
    )  # fmt: skip
    return BriefJobOut.model_validate(job_out(job))


def brief_job(session: Session, user: Principal, job_id: str, language: str) -> BriefJobOut:
    """The state of a brief job on an account the user may see (NotFoundError otherwise).

    A failed job carries a message in ``language``: the stored error is the
    operator's (English, technical), the rep reads what to do.
    """
    job = session.get(BriefJob, job_id[:64])
    if job is None or job.tenant_id != user.tenant_id:
        raise NotFoundError("Brief job not found.")
    if not user.sees_team:
        # A rep sees the jobs on their own accounts; another rep's job does not exist for them.
        owner = session.scalar(select(Account.owner_id).where(Account.id == job.account_id))
        if owner != user.user_id:
            raise NotFoundError("Brief job not found.")
    out = BriefJobOut.model_validate(job_out(job))
    if out.status == "failed":
        out.message = text("brief_failed", language)
    return out


def brief_versions(session: Session, user: Principal, account_id: int) -> list[BriefVersion]:
    """Every stored brief version of the account, newest first (without content)."""
    account = get_account(session, user, account_id)
    rows = session.scalars(
        select(StoredBrief)
        .where(StoredBrief.account_id == account.id)
        .order_by(StoredBrief.version.desc())
    ).all()
    return [
        BriefVersion(
            id=r.id,
            version=r.version,
            language=r.language,
            model=r.model,
            created_at=r.created_at.isoformat() if r.created_at else None,
        )  # fmt: skip
        for r in rows
    ]


def get_brief(session: Session, user: Principal, brief_id: int) -> BriefOut:
    """One stored brief version the user may see, with its full content and Markdown."""
    return brief_out(get_owned(session, user, StoredBrief, brief_id))

"""Briefs stored and versioned on the account (the ``briefs`` table).

Each generation adds a new version (1, 2, ...); older versions stay, so a
manager can see what the rep was told before a call.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.brief.render import to_markdown
from agent.brief.schema import Brief
from agent.crm.models import StoredBrief, Tenant
from agent.errors import NotFoundError


def save_brief(session: Session, brief: Brief, created_by_id: int | None = None) -> StoredBrief:
    """Store ``brief`` as the account's next version and return the row."""
    tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == brief.tenant))
    if tenant_id is None:
        raise NotFoundError(f"Tenant {brief.tenant!r} does not exist.")
    current = session.scalar(
        select(func.max(StoredBrief.version)).where(StoredBrief.account_id == brief.account_id)
    )
    row = StoredBrief(
        tenant_id=tenant_id,
        account_id=brief.account_id,
        version=(current or 0) + 1,
        language=brief.language,
        content=brief.model_dump(mode="json"),
        markdown=to_markdown(brief),
        model=brief.model,
        created_by_id=created_by_id,
        created_at=brief.created_at,
    )
    session.add(row)
    session.flush()
    return row


def list_briefs(session: Session, tenant_id: int, account_id: int) -> list[StoredBrief]:
    """All stored versions of the account's brief, newest first."""
    return list(
        session.scalars(
            select(StoredBrief)
            .where(StoredBrief.tenant_id == tenant_id, StoredBrief.account_id == account_id)
            .order_by(StoredBrief.version.desc())
        )
    )


def load_brief(
    session: Session, tenant_id: int, account_id: int, version: int | None = None
) -> Brief:
    """The stored brief (latest version unless ``version`` is given) as a :class:`Brief`."""
    query = select(StoredBrief).where(
        StoredBrief.tenant_id == tenant_id, StoredBrief.account_id == account_id
    )
    if version is not None:
        query = query.where(StoredBrief.version == version)
    row = session.scalar(query.order_by(StoredBrief.version.desc()).limit(1))
    if row is None:
        which = f"version {version}" if version is not None else "any version"
        raise NotFoundError(f"No stored brief ({which}) for account {account_id}.")
    return Brief.model_validate(row.content)

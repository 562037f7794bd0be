"""``/api/accounts``: list, detail with history, ownership assignment."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.auth import Principal
from agent.crm.models import (
    Account,
    AccountStatus,
    AuditEvent,
    Brief,
    CallNote,
    CallRecording,
    Note,
    Order,
    Role,
    Task,
    User,
)
from agent.errors import NotFoundError, ValidationError
from api.access import get_account, scoped
from api.deps import CurrentUser, IdPath, SessionDep, TeamUser
from api.responses import json_response

router = APIRouter(prefix="/api/accounts", tags=["accounts"])


class AccountOut(BaseModel):
    """An account as listed."""

    id: int
    external_id: str
    name: str
    city: str | None
    country: str | None
    language: str
    status: str
    owner: str | None = Field(description="Username of the rep who owns the account.")
    relationship_ease: int | None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": 17,
                    "external_id": "K-10017",
                    "name": "Müller Maschinenbau GmbH",
                    "city": "Augsburg",
                    "country": "DE",
                    "language": "de",
                    "status": "active",
                    "owner": "a.keller",
                    "relationship_ease": 4,
                }  # fmt: skip
            ]
        }
    }


class OwnerIn(BaseModel):
    """New owner of an account: a rep's username, or null to unassign."""

    owner: str | None = Field(max_length=120, examples=["a.keller"])


def account_out(account: Account) -> AccountOut:
    """The list form of an account."""
    return AccountOut(
        id=account.id,
        external_id=account.external_id,
        name=account.name,
        city=account.city,
        country=account.country,
        language=account.language.value,
        status=account.status.value,
        owner=account.owner.username if account.owner else None,
        relationship_ease=account.relationship_ease,
    )


def list_accounts(
    session: Session,
    user: Principal,
    *,
    q: str | None = None,
    status: AccountStatus | None = None,
    owner: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Account]:
    """Accounts the user may see, filtered and ordered by name."""
    query = scoped(select(Account), user, Account)
    if q:
        pattern = f"%{q.strip()}%"
        query = query.where(Account.name.ilike(pattern) | Account.external_id.ilike(pattern))
    if status is not None:
        query = query.where(Account.status == status)
    if owner:
        query = query.join(User, User.id == Account.owner_id).where(User.username == owner)
    query = query.order_by(Account.name, Account.id).limit(limit).offset(offset)
    return list(session.scalars(query).unique())


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def account_detail(session: Session, account: Account) -> dict[str, Any]:
    """The account with its history: order totals by year, notes, calls, tasks, briefs."""
    years = session.execute(
        select(func.extract("year", Order.order_date), func.count(), func.sum(Order.total_amount))
        .where(Order.account_id == account.id, Order.is_cancellation.is_(False))
        .group_by(func.extract("year", Order.order_date))
        .order_by(func.extract("year", Order.order_date))
    ).all()
    last_order = session.scalar(
        select(func.max(Order.order_date)).where(Order.account_id == account.id)
    )
    notes = session.scalars(
        select(Note)
        .where(Note.account_id == account.id)
        .order_by(Note.occurred_at.desc())
        .limit(20)
    ).all()
    call_notes = session.scalars(
        select(CallNote).where(CallNote.account_id == account.id).order_by(CallNote.id.desc())
    ).all()
    recordings = session.scalars(
        select(CallRecording)
        .where(CallRecording.account_id == account.id)
        .order_by(CallRecording.created_at.desc())
        .limit(20)
    ).all()
    tasks = session.scalars(
        select(Task).where(Task.account_id == account.id).order_by(Task.due_date, Task.id)
    ).all()
    briefs = session.execute(
        select(Brief.id, Brief.version, Brief.created_at, Brief.model)
        .where(Brief.account_id == account.id)
        .order_by(Brief.version.desc())
    ).all()
    return {
        **account_out(account).model_dump(),
        "industry": account.industry,
        "status_reason": account.status_reason,
        "last_order_date": _iso(last_order),
        "orders_by_year": [
            {"year": int(y), "orders": int(n), "revenue": float(total or 0)}
            for y, n, total in years
        ],
        "notes": [
            {
                "id": n.id,
                "kind": n.kind.value,
                "occurred_at": _iso(n.occurred_at),
                "subject": n.subject,
                "body": n.body[:2000],
            }  # fmt: skip
            for n in notes
        ],
        "call_notes": [
            {
                "id": c.id,
                "status": c.status.value,
                "call_date": _iso(c.call_date),
                "outcome": c.outcome.value if c.outcome else None,
                "summary": c.summary,
            }  # fmt: skip
            for c in call_notes
        ],
        "recordings": [
            {"id": r.id, "status": r.status.value, "created_at": _iso(r.created_at)}
            for r in recordings
        ],
        "tasks": [
            {
                "id": t.id,
                "type": t.type.value,
                "description": t.description,
                "due_date": _iso(t.due_date),
                "status": t.status.value,
            }  # fmt: skip
            for t in tasks
        ],
        "briefs": [
            {"id": b.id, "version": b.version, "created_at": _iso(b.created_at), "model": b.model}
            for b in briefs
        ],
    }


def assign_owner(session: Session, user: Principal, account_id: int, owner: str | None) -> Account:
    """Give the account to a rep of the tenant (or unassign it), with an audit event."""
    account = get_account(session, user, account_id)
    new_owner: User | None = None
    if owner:
        new_owner = session.scalar(
            select(User).where(User.tenant_id == user.tenant_id, User.username == owner.strip())
        )
        if new_owner is None or not new_owner.active:
            raise NotFoundError(f"User {owner!r} does not exist in this tenant.")
        if new_owner.role != Role.rep:
            raise ValidationError(f"owner: {owner!r} is a {new_owner.role.value}, not a rep.")
    before = account.owner.username if account.owner else None
    account.owner_id = new_owner.id if new_owner else None
    account.owner = new_owner
    session.add(
        AuditEvent(
            tenant_id=user.tenant_id,
            actor_id=user.user_id,
            actor_label=user.username,
            action="account.owner",
            object_type="account",
            object_id=str(account.id),
            before={"owner": before},
            after={"owner": owner},
        )  # fmt: skip
    )
    from api.planning import forget_plans

    forget_plans()
    return account


@router.get("", response_model=list[AccountOut], summary="List accounts")
def get_accounts(
    session: SessionDep,
    user: CurrentUser,
    q: str | None = Query(None, max_length=200, description="Part of the name or CRM number."),
    status: AccountStatus | None = None,
    owner: str | None = Query(None, max_length=120),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> list[AccountOut]:
    """Accounts the caller may see: a rep their own, managers and admins the tenant's."""
    rows = list_accounts(session, user, q=q, status=status, owner=owner, limit=limit, offset=offset)
    return [account_out(a) for a in rows]


@router.get("/{account_id}", summary="Account with history", response_model=dict[str, Any])
def get_account_detail(account_id: IdPath, session: SessionDep, user: CurrentUser) -> Response:
    """The account, its order totals per year, notes, call notes, recordings, tasks, briefs."""
    return json_response(account_detail(session, get_account(session, user, account_id)))


@router.put("/{account_id}/owner", response_model=AccountOut, summary="Assign the owner")
def put_owner(
    account_id: IdPath,
    session: SessionDep,
    user: TeamUser,
    body: OwnerIn = Body(
        openapi_examples={
            "assign": {"value": {"owner": "a.keller"}},
            "unassign": {"value": {"owner": None}},
        }
    ),  # fmt: skip
) -> AccountOut:
    """Managers and admins assign an account to a rep (null unassigns it)."""
    return account_out(assign_owner(session, user, account_id, body.owner))

"""Write the generated demo tenant into the CRM store.

Idempotency by replacement: inside one transaction the existing demo tenant
(if any) is deleted, which cascades to every row that belongs to it, and the
tenant is created again with the same id, so links that hold the tenant id
stay valid. Running the seed twice therefore leaves exactly the same rows;
if anything fails, the transaction rolls back and the previous state stays.
A tenant that does not carry the demo tenant's name is never overwritten.

Orders, order lines and notes go in through SQLAlchemy Core multi-row
inserts (``insertmanyvalues``), which keeps seeding to a few seconds on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.orm import Session

from agent.crm.db import Store
from agent.crm.models import (
    Account,
    AccountStatus,
    Contact,
    Language,
    Note,
    NoteKind,
    Order,
    OrderLine,
    Role,
    Tenant,
    User,
)
from agent.demo.generator import DEMO_TENANT_NAME, DEMO_TENANT_SLUG, generate
from agent.demo.records import DemoData
from agent.errors import ConflictError

# Core tables (not ORM entities) for the multi-row inserts.
ACCOUNT_TABLE = cast(Table, Account.__table__)
CONTACT_TABLE = cast(Table, Contact.__table__)
ORDER_TABLE = cast(Table, Order.__table__)
LINE_TABLE = cast(Table, OrderLine.__table__)
NOTE_TABLE = cast(Table, Note.__table__)


@dataclass(frozen=True)
class SeedStats:
    """What the seed wrote: row counts read back from the database, and how long it took."""

    tenant_id: int
    tenant_slug: str
    users: int
    accounts: int
    contacts: int
    orders: int
    order_lines: int
    notes: int
    replaced: bool
    seconds: float

    def counts(self) -> dict[str, int]:
        """Row counts per kind of record (same keys as ``DemoData.counts()``)."""
        return {
            "users": self.users,
            "accounts": self.accounts,
            "contacts": self.contacts,
            "orders": self.orders,
            "order_lines": self.order_lines,
            "notes": self.notes,
        }


def seed(store: Store, tenant_slug: str = DEMO_TENANT_SLUG, seed: int = 7) -> SeedStats:
    """Create (or re-create) the demo tenant ``tenant_slug`` from ``generate(seed)``.

    Raises :class:`~agent.errors.ConflictError` when a tenant with that slug
    exists but is not a demo tenant, so real data is never replaced.
    """
    started = time.perf_counter()
    data = generate(seed)
    with store.session() as session:
        tenant_id, replaced = _reset_tenant(session, tenant_slug)
        _write(session, tenant_id, data)
        counts = _count(session, tenant_id)
    return SeedStats(
        tenant_id=tenant_id,
        tenant_slug=tenant_slug,
        replaced=replaced,
        seconds=round(time.perf_counter() - started, 2),
        **counts,
    )


def _reset_tenant(session: Session, slug: str) -> tuple[int, bool]:
    """Delete the old demo tenant (cascading to its rows) and create it again, same id."""
    existing = session.execute(select(Tenant.id, Tenant.name).where(Tenant.slug == slug)).first()
    if existing is not None and existing.name != DEMO_TENANT_NAME:
        raise ConflictError(
            f"Tenant {slug!r} exists and is not the demo tenant ({existing.name!r}); "
            "refusing to overwrite it. Seed the demo under another slug."
        )
    values: dict[str, Any] = {"slug": slug, "name": DEMO_TENANT_NAME}
    if existing is not None:
        session.execute(delete(Tenant).where(Tenant.id == existing.id))
        values["id"] = existing.id
    tenant_id = session.execute(insert(Tenant).values(**values).returning(Tenant.id)).scalar_one()
    return tenant_id, existing is not None


def _ids(session: Session, statement: Any, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert ``rows`` and map each row's natural key (2nd returned column) to its new id."""
    if not rows:
        return {}
    return {key: row_id for row_id, key in session.execute(statement, rows)}


def _write(session: Session, tenant_id: int, data: DemoData) -> None:
    users = _ids(
        session,
        insert(User).returning(User.id, User.username),
        [
            {
                "tenant_id": tenant_id,
                "username": u.username,
                "name": u.name,
                "email": u.email,
                "role": Role(u.role),
                "language": Language(u.language),
                "password_hash": None,
            }
            for u in data.users
        ],
    )
    accounts = _ids(
        session,
        insert(ACCOUNT_TABLE).returning(ACCOUNT_TABLE.c.id, ACCOUNT_TABLE.c.external_id),
        [
            {
                "tenant_id": tenant_id,
                "external_id": a.external_id,
                "name": a.name,
                "industry": a.industry,
                "city": a.city,
                "country": a.country,
                "language": Language(a.language),
                "status": AccountStatus(a.status),
                "status_reason": a.status_reason,
                "status_changed_at": a.status_changed_at,
                "owner_id": users[a.owner_username],
                "relationship_ease": a.relationship_ease,
            }
            for a in data.accounts
        ],
    )
    contacts = _ids(
        session,
        insert(CONTACT_TABLE).returning(CONTACT_TABLE.c.id, CONTACT_TABLE.c.external_id),
        [
            {
                "tenant_id": tenant_id,
                "account_id": accounts[c.account_external_id],
                "external_id": c.external_id,
                "name": c.name,
                "title": c.title,
                "email": c.email,
                "phone": c.phone,
                "language": Language(c.language),
                "is_primary": c.is_primary,
            }
            for c in data.contacts
        ],
    )
    orders = _ids(
        session,
        insert(ORDER_TABLE).returning(ORDER_TABLE.c.id, ORDER_TABLE.c.external_id),
        [
            {
                "tenant_id": tenant_id,
                "account_id": accounts[o.account_external_id],
                "external_id": o.external_id,
                "order_date": o.order_date,
                "is_cancellation": False,
                "total_amount": o.total_amount,
                "currency": o.currency,
            }
            for o in data.orders
        ],
    )
    session.execute(
        insert(LINE_TABLE),
        [
            {
                "order_id": orders[o.external_id],
                "line_no": line.line_no,
                "sku": line.sku,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "amount": line.amount,
            }
            for o in data.orders
            for line in o.lines
        ],
    )
    session.execute(
        insert(NOTE_TABLE),
        [
            {
                "tenant_id": tenant_id,
                "account_id": accounts[n.account_external_id],
                "contact_id": contacts.get(n.contact_external_id or ""),
                "author_id": users.get(n.author_username or ""),
                "external_id": n.external_id,
                "kind": NoteKind(n.kind),
                "occurred_at": n.occurred_at,
                "subject": n.subject,
                "body": n.body,
                "language": Language(n.language),
            }
            for n in data.notes
        ],
    )


def _count(session: Session, tenant_id: int) -> dict[str, int]:
    """Read the row counts of the tenant back from the database."""

    def count(model: Any) -> int:
        return (
            session.scalar(
                select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
            )
            or 0
        )

    lines = session.scalar(
        select(func.count(OrderLine.id)).join(Order).where(Order.tenant_id == tenant_id)
    )
    return {
        "users": count(User),
        "accounts": count(Account),
        "contacts": count(Contact),
        "orders": count(Order),
        "order_lines": lines or 0,
        "notes": count(Note),
    }

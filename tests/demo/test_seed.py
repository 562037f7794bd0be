"""Seeding writes the generated data faithfully and can be repeated (SQLite and PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from agent.crm.db import Store
from agent.crm.models import Account, Contact, Note, Order, OrderLine, Tenant, User
from agent.demo import DEMO_AS_OF, generate, seed
from agent.errors import ConflictError
from tests import factories as make


def _order_sums(store: Store, tenant_id: int) -> dict[str, tuple[Decimal, Decimal]]:
    with store.session() as session:
        rows = session.execute(
            select(Order.external_id, Order.total_amount, func.sum(OrderLine.amount))
            .join(OrderLine)
            .where(Order.tenant_id == tenant_id)
            .group_by(Order.id)
        )
        return {ext: (Decimal(total), Decimal(lines)) for ext, total, lines in rows}


def test_seed_writes_everything_and_is_idempotent(store: Store) -> None:
    data = generate(7)
    first = seed(store)
    assert not first.replaced
    assert first.counts() == data.counts()
    second = seed(store)
    assert second.replaced and second.tenant_id == first.tenant_id
    assert second.counts() == first.counts()
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Tenant)) == 1
        assert session.scalar(select(func.count()).select_from(Account)) == 200
        users = session.scalars(select(User).where(User.tenant_id == first.tenant_id)).all()
        assert all(u.password_hash is None for u in users)
        owners = session.scalars(select(Account.owner_id).distinct()).all()
        assert None not in owners
        latest = session.scalar(select(func.max(Order.order_date)))
        assert latest is not None and latest.date() <= DEMO_AS_OF
        unlinked = session.scalar(
            select(func.count()).select_from(Note).where(Note.contact_id.is_(None))
        )
        assert unlinked == 0
    sums = _order_sums(store, first.tenant_id)
    assert len(sums) == len(data.orders)
    assert all(total == lines for total, lines in sums.values())


def test_seed_keeps_hidden_truth_out_of_the_store_but_stores_statuses(store: Store) -> None:
    data = generate(7)
    stats = seed(store)
    with store.session() as session:
        rows = session.execute(
            select(Account.external_id, Account.status, Account.status_reason).where(
                Account.tenant_id == stats.tenant_id
            )
        ).all()
    stored = {ext: (status.value, reason) for ext, status, reason in rows}
    assert stored == {a.external_id: (a.status, a.status_reason) for a in data.accounts}


def test_other_tenants_are_untouched(store: Store) -> None:
    with store.session() as session:
        other = make.tenant(session, "acme", "ACME")
        make.account(session, other, "K10001", name="Real customer")
    seed(store)
    seed(store)
    with store.session() as session:
        names = session.scalars(select(Account.name).where(Account.tenant_id == other.id)).all()
        contacts = session.scalar(
            select(func.count()).select_from(Contact).where(Contact.tenant_id == other.id)
        )
    assert names == ["Real customer"] and contacts == 0


def test_refuses_to_overwrite_a_real_tenant(store: Store) -> None:
    with store.session() as session:
        make.account(
            session, make.tenant(session, "acme", "ACME Real Data GmbH"), "1", name="Keep me"
        )
    with pytest.raises(ConflictError, match="not the demo tenant"):
        seed(store, tenant_slug="acme")
    with store.session() as session:
        assert session.scalars(select(Account.name)).all() == ["Keep me"]

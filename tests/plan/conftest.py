"""Helpers for the plan tests: insert tenants, users, accounts and orders directly."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from agent.crm.db import Store
from agent.crm.models import Account, AccountStatus, NextStepType, Role, TaskStatus, Tenant
from tests import factories as make


class Seeder:
    """Writes rows with the factories, each call in its own committed unit of work, by id."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.order_numbers = itertools.count(1)

    def tenant(self, slug: str = "acme") -> int:
        with self.store.session() as session:
            return make.tenant(session, slug).id

    def user(
        self, tenant_id: int, username: str, role: Role = Role.rep, active: bool = True
    ) -> int:
        with self.store.session() as session:
            owner = session.get_one(Tenant, tenant_id)
            return make.user(session, owner, username, role, active=active).id

    def account(
        self,
        tenant_id: int,
        external_id: str,
        *,
        name: str | None = None,
        status: AccountStatus = AccountStatus.active,
        ease: int | None = None,
        owner_id: int | None = None,
    ) -> int:
        with self.store.session() as session:
            return make.account(
                session, session.get_one(Tenant, tenant_id), external_id,
                name=name or f"Kunde {external_id}", status=status, relationship_ease=ease,
                owner_id=owner_id,
            ).id  # fmt: skip

    def order(
        self,
        tenant_id: int,
        account_id: int,
        when: date | datetime,
        total: float,
        *,
        cancellation: bool = False,
    ) -> None:
        moment = (
            when if isinstance(when, datetime) else datetime(when.year, when.month, when.day, 12)
        )
        number = next(self.order_numbers)
        with self.store.session() as session:
            make.order(
                session, session.get_one(Account, account_id),
                f"{'C' if cancellation else ''}{number}", moment, is_cancellation=cancellation,
                # Like the importer: cancellations carry a negative total.
                total_amount=Decimal(str(-abs(total) if cancellation else total)),
            )  # fmt: skip

    def task(
        self,
        tenant_id: int,
        account_id: int,
        due: date | None,
        *,
        type: NextStepType = NextStepType.schedule_call,
        status: TaskStatus = TaskStatus.open,
        created: date,
        completed: date | None = None,
    ) -> int:
        """A task agreed on ``created`` (noon UTC), due on ``due``."""

        def noon(day: date) -> datetime:
            return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)

        with self.store.session() as session:
            return make.task(
                session, session.get_one(Account, account_id), type, type.value, due_date=due,
                status=status, created_at=noon(created),
                completed_at=None if completed is None else noon(completed),
            ).id  # fmt: skip


@pytest.fixture
def seed(store: Store) -> Seeder:
    """A :class:`Seeder` on the test's store (SQLite and PostgreSQL)."""
    return Seeder(store)

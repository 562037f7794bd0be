"""Helpers for the plan tests: insert tenants, users, accounts and orders directly."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from agent.crm.db import Store, get_or_create_tenant
from agent.crm.models import (
    Account,
    AccountStatus,
    NextStepType,
    Order,
    Role,
    Task,
    TaskStatus,
    User,
)


class Seeder:
    """Writes rows with SQLAlchemy, each call in its own committed unit of work."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._numbers = itertools.count(1)

    def tenant(self, slug: str = "acme") -> int:
        with self.store.session() as session:
            return get_or_create_tenant(session, slug).id

    def user(
        self, tenant_id: int, username: str, role: Role = Role.rep, active: bool = True
    ) -> int:
        with self.store.session() as session:
            user = User(
                tenant_id=tenant_id,
                username=username,
                name=username.title(),
                role=role,
                active=active,
            )
            session.add(user)
            session.flush()
            return user.id

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
            account = Account(
                tenant_id=tenant_id,
                external_id=external_id,
                name=name or f"Kunde {external_id}",
                status=status,
                relationship_ease=ease,
                owner_id=owner_id,
            )
            session.add(account)
            session.flush()
            return account.id

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
        number = next(self._numbers)
        with self.store.session() as session:
            session.add(
                Order(
                    tenant_id=tenant_id,
                    account_id=account_id,
                    external_id=f"{'C' if cancellation else ''}{number}",
                    order_date=moment,
                    is_cancellation=cancellation,
                    # Like the importer: cancellations carry a negative total.
                    total_amount=Decimal(str(-abs(total) if cancellation else total)),
                )
            )

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
        with self.store.session() as session:
            task = Task(
                tenant_id=tenant_id,
                account_id=account_id,
                type=type,
                description=type.value,
                due_date=due,
                status=status,
                created_at=datetime(created.year, created.month, created.day, 12, tzinfo=UTC),
                completed_at=None
                if completed is None
                else datetime(completed.year, completed.month, completed.day, 12, tzinfo=UTC),
            )
            session.add(task)
            session.flush()
            return task.id


@pytest.fixture
def seed(store: Store) -> Seeder:
    """A :class:`Seeder` on the test's store (SQLite and PostgreSQL)."""
    return Seeder(store)

"""Plain dataclasses holding the generated demo tenant before it reaches the database.

Rows refer to each other by external id (and users by username), never by
database id, so the data can be compared, hashed and used as ground truth by
evals without a database. Each account carries its hidden :class:`Scenario`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class DemoUser:
    """A login of the demo supplier (no password yet)."""

    username: str
    name: str
    email: str
    role: str
    language: str = "de"


@dataclass
class Scenario:
    """The hidden truth about an account: why it stopped buying, if it did.

    ``cause`` is a churn-reason code of DESIGN.md or ``None`` for an active
    account. ``key_note_id`` is the external id of the note that shows the
    cause best (``None`` when the account left no notes: an honest unknown).
    """

    lapsed: bool
    cause: str | None = None
    key_note_id: str | None = None
    silent: bool = False
    injection_note_id: str | None = None


@dataclass
class DemoAccount:
    """A customer company."""

    external_id: str
    name: str
    industry: str
    city: str
    country: str
    language: str
    owner_username: str
    relationship_ease: int
    scenario: Scenario
    status: str = "active"
    status_reason: str | None = None
    status_changed_at: datetime | None = None
    first_order: date | None = None
    last_order: date | None = None


@dataclass(frozen=True)
class DemoContact:
    """A person at a customer."""

    external_id: str
    account_external_id: str
    name: str
    title: str
    email: str
    phone: str | None
    language: str
    is_primary: bool


@dataclass(frozen=True)
class DemoLine:
    """One line of an order; ``amount`` is quantity times unit price, rounded to cents."""

    line_no: int
    sku: str
    description: str
    quantity: float
    unit_price: Decimal
    amount: Decimal


@dataclass
class DemoOrder:
    """An invoiced order; ``total_amount`` is the sum of its line amounts."""

    external_id: str
    account_external_id: str
    order_date: datetime
    lines: list[DemoLine]
    total_amount: Decimal
    currency: str = "EUR"


@dataclass
class DemoNote:
    """A dated CRM note (visit, call, e-mail, complaint ...)."""

    external_id: str
    account_external_id: str
    contact_external_id: str | None
    author_username: str | None
    kind: str
    occurred_at: datetime
    subject: str
    body: str
    language: str


@dataclass
class DemoData:
    """The whole demo tenant, deterministic for a given seed."""

    seed: int
    tenant_slug: str
    tenant_name: str
    as_of: date
    users: list[DemoUser] = field(default_factory=list)
    accounts: list[DemoAccount] = field(default_factory=list)
    contacts: list[DemoContact] = field(default_factory=list)
    orders: list[DemoOrder] = field(default_factory=list)
    notes: list[DemoNote] = field(default_factory=list)

    def account(self, external_id: str) -> DemoAccount:
        """Return the account with ``external_id`` (``KeyError`` if there is none)."""
        for account in self.accounts:
            if account.external_id == external_id:
                return account
        raise KeyError(external_id)

    def lapsed_accounts(self) -> list[DemoAccount]:
        """Return the accounts that stopped buying, in account order."""
        return [a for a in self.accounts if a.scenario.lapsed]

    def cause_counts(self) -> Counter[str]:
        """Count the hidden churn causes of the lapsed accounts."""
        return Counter(a.scenario.cause for a in self.accounts if a.scenario.cause)

    def counts(self) -> dict[str, int]:
        """Row counts per kind of record, as the seed summary prints them."""
        return {
            "users": len(self.users),
            "accounts": len(self.accounts),
            "contacts": len(self.contacts),
            "orders": len(self.orders),
            "order_lines": sum(len(o.lines) for o in self.orders),
            "notes": len(self.notes),
        }

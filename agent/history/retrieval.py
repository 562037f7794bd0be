"""Everything a brief needs to know about one account, as of a day.

:func:`retrieve` combines two sources:

* structured facts from the CRM store, computed by code: orders, revenue by
  year, first and last order, the products bought most, open complaints,
  contacts, the owner, earlier win-back attempts (analysed calls and their
  tasks) - each carrying the ids of the records it was computed from;
* the most relevant semantic hits from the history index (complaints,
  reasons the customer gave before), de-duplicated per record and dated.

Only records on or before the as-of day count, so a brief "as of" a past day
never sees the future.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from agent.codes import ReasonCode, parse_reason
from agent.crm.lookup import find_account
from agent.crm.models import (
    Account,
    CallNote,
    Contact,
    NextStepType,
    Note,
    NoteKind,
    NoteStatus,
    Order,
    OrderLine,
    Task,
    TaskStatus,
)
from agent.history.index import HistoryHit, HistoryIndex
from agent.history.records import RecordBook, SourceRecord, record_from_row

#: Queries for the semantic part; USE-m is cross-lingual, so German queries
#: also find English notes.
HISTORY_QUERIES = (
    "Reklamation, Beschwerde, Ärger über Lieferung, Qualität oder Service",
    "Warum bestellt der Kunde nicht mehr: Preis, Wettbewerber, neuer Einkäufer, Bedarf",
)


@dataclass(frozen=True)
class ProductStat:
    """One product the account bought, with totals over the cited order lines."""

    sku: str
    description: str
    quantity: float
    amount: Decimal
    line_ids: tuple[str, ...]


@dataclass(frozen=True)
class YearRevenue:
    """Revenue of one calendar year (non-cancelled orders) with the cited orders."""

    year: int
    amount: Decimal
    order_ids: tuple[str, ...]


@dataclass(frozen=True)
class CallAttempt:
    """An earlier analysed call (a win-back attempt) with its outcome and reasons."""

    source_id: str
    day: date | None
    outcome: str | None
    summary: str
    reasons: tuple[ReasonCode, ...]
    status: str


@dataclass
class AccountHistory:
    """Structured facts plus semantic hits for one account, as of one day."""

    as_of: date
    tenant_id: int
    account: Account
    account_record: SourceRecord
    orders: list[SourceRecord] = field(default_factory=list)
    cancellations: list[SourceRecord] = field(default_factory=list)
    revenue_by_year: list[YearRevenue] = field(default_factory=list)
    top_products: list[ProductStat] = field(default_factory=list)
    contacts: list[SourceRecord] = field(default_factory=list)
    notes: list[SourceRecord] = field(default_factory=list)
    open_complaints: list[SourceRecord] = field(default_factory=list)
    calls: list[CallAttempt] = field(default_factory=list)
    tasks: list[SourceRecord] = field(default_factory=list)
    hits: list[HistoryHit] = field(default_factory=list)

    @property
    def first_order(self) -> SourceRecord | None:
        """The earliest non-cancelled order, if any."""
        return self.orders[0] if self.orders else None

    @property
    def last_order(self) -> SourceRecord | None:
        """The latest non-cancelled order on or before the as-of day, if any."""
        return self.orders[-1] if self.orders else None

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to tell: no orders, notes, calls or tasks."""
        return not (self.orders or self.notes or self.calls or self.tasks)


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time.max)


def _orders(session: Session, account: Account, as_of: date, history: AccountHistory) -> None:
    orders = session.scalars(
        select(Order)
        .where(Order.account_id == account.id, Order.order_date <= _end_of(as_of))
        .options(selectinload(Order.lines))
        .order_by(Order.order_date, Order.id)
    ).all()
    by_year: dict[int, list[Order]] = defaultdict(list)
    products: dict[str, list[OrderLine]] = defaultdict(list)
    for order in orders:
        record = record_from_row(order)
        if order.is_cancellation:
            history.cancellations.append(record)
            continue
        history.orders.append(record)
        by_year[order.order_date.year].append(order)
        for line in order.lines:
            products[line.sku or line.description or "?"].append(line)
    history.revenue_by_year = [
        YearRevenue(
            year,
            sum((o.total_amount for o in year_orders), Decimal("0")),
            tuple(f"order:{o.id}" for o in year_orders),
        )
        for year, year_orders in sorted(by_year.items())
    ]
    stats = [
        ProductStat(
            sku=key,
            description=lines[0].description or key,
            quantity=sum(line.quantity for line in lines),
            amount=sum((line.amount for line in lines), Decimal("0")),
            line_ids=tuple(f"order_line:{line.id}" for line in lines),
        )
        for key, lines in products.items()
    ]
    history.top_products = sorted(stats, key=lambda s: (-s.amount, s.sku))[:5]


def _notes_and_calls(session: Session, account: Account, as_of: date, h: AccountHistory) -> None:
    notes = session.scalars(
        select(Note)
        .where(Note.account_id == account.id, Note.occurred_at <= _end_of(as_of))
        .order_by(Note.occurred_at.desc(), Note.id.desc())
    ).all()
    h.notes = [record_from_row(n) for n in notes]
    calls = session.scalars(
        select(CallNote)
        .where(
            CallNote.account_id == account.id,
            CallNote.status.in_([NoteStatus.approved, NoteStatus.pending_review]),
            or_(CallNote.call_date.is_(None), CallNote.call_date <= as_of),
        )
        .options(selectinload(CallNote.labels))
        .order_by(CallNote.call_date.desc(), CallNote.id.desc())
    ).all()
    h.calls = [
        CallAttempt(
            source_id=f"call_note:{c.id}",
            day=c.call_date or c.created_at.date(),
            outcome=c.outcome.value if c.outcome else None,
            summary=c.summary or "",
            reasons=tuple(sorted(parse_reason(lb.code.value) for lb in c.labels)),
            status=c.status.value,
        )
        for c in calls
    ]
    tasks = session.scalars(
        select(Task).where(Task.account_id == account.id).order_by(Task.created_at.desc())
    ).all()
    h.tasks = [record_from_row(t) for t in tasks]
    # A complaint counts as open unless a "fix_issue" task was completed after it.
    fixed_days = [
        t.completed_at.date()
        for t in tasks
        if t.type == NextStepType.fix_issue and t.status == TaskStatus.done and t.completed_at
    ]
    h.open_complaints = [
        record_from_row(n)
        for n in notes
        if n.kind == NoteKind.complaint
        and not any(day >= n.occurred_at.date() for day in fixed_days)
    ]


def semantic_hits(
    index: HistoryIndex, tenant_id: int, account_id: int, as_of: date, k: int = 8
) -> list[HistoryHit]:
    """The account's most relevant chunks, best chunk per record, newest first."""
    if k <= 0:
        return []
    best: dict[str, HistoryHit] = {}
    for query in HISTORY_QUERIES:
        for hit in index.search(tenant_id, query, account_id=account_id, k=k):
            if hit.chunk.day > as_of:
                continue
            known = best.get(hit.chunk.source_id)
            if known is None or hit.distance < known.distance:
                best[hit.chunk.source_id] = hit
    ranked = sorted(best.values(), key=lambda h: h.distance)[:k]
    return sorted(ranked, key=lambda h: (h.chunk.day, h.chunk.source_id), reverse=True)


def retrieve(
    session: Session,
    tenant_id: int,
    account_key: str | int,
    as_of: date,
    index: HistoryIndex | None = None,
    k: int = 8,
    book: RecordBook | None = None,
) -> AccountHistory:
    """Collect the account's structured facts and semantic hits as of ``as_of``.

    Raises :class:`NotFoundError` for an unknown account. Without an index the
    semantic part is empty (the structured facts still come from the store).
    Every record loaded here is added to ``book`` so the grounding check does
    not query it again.
    """
    account = find_account(session, tenant_id, account_key)
    history = AccountHistory(
        as_of=as_of, tenant_id=tenant_id, account=account, account_record=record_from_row(account)
    )
    _orders(session, account, as_of, history)
    _notes_and_calls(session, account, as_of, history)
    contacts = session.scalars(
        select(Contact)
        .where(Contact.account_id == account.id)
        .order_by(Contact.is_primary.desc(), Contact.id)
    ).all()
    history.contacts = [record_from_row(c) for c in contacts]
    if index is not None:
        history.hits = semantic_hits(index, tenant_id, account.id, as_of, k)
    if book is not None:
        for record in (
            [history.account_record]
            + history.orders
            + history.cancellations
            + history.contacts
            + history.notes
            + history.tasks
        ):
            book.add(record)
    return history

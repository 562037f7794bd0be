"""Source records: any CRM row a brief may cite, loaded by its source id.

A source id is ``<kind>:<primary key>``: ``account:3``, ``contact:9``,
``order:120``, ``order_line:455``, ``note:7``, ``call_note:2``, ``task:4``,
``transcript:5``. :func:`load_record` turns one into a :class:`SourceRecord`
holding the record's fields and text, which the grounding checker searches
for the numbers, dates and names a brief sentence states. Every lookup is
scoped to one tenant: a record of another tenant counts as missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from agent.crm.models import (
    Account,
    CallNote,
    CallRecording,
    Contact,
    Note,
    Order,
    OrderLine,
    Task,
    Transcript,
)

FieldValue = str | int | float | Decimal | date | None


@dataclass(frozen=True)
class SourceRecord:
    """One citable record: its id, date and the fields a claim may quote."""

    source_id: str
    kind: str
    day: date | None
    fields: dict[str, FieldValue] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """All field values as one text (for number/date/name checks and quotes)."""
        parts = [str(v) for v in self.fields.values() if v is not None and v != ""]
        if self.day:
            parts.append(self.day.isoformat())
        return "\n".join(parts)


def _day(value: date | datetime | None) -> date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else value


def _enum(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def record_from_row(row: Any) -> SourceRecord:
    """Build the source record of an ORM row (the row's kind decides the fields)."""
    if isinstance(row, Account):
        return SourceRecord(
            f"account:{row.id}",
            "account",
            None,
            {
                "name": row.name,
                "external_id": row.external_id,
                "status": _enum(row.status),
                "status_reason": row.status_reason,
                "owner": row.owner.name if row.owner else None,
                "industry": row.industry,
                "city": row.city,
                "language": _enum(row.language),
                "relationship_ease": row.relationship_ease,
            },
        )
    if isinstance(row, Contact):
        return SourceRecord(
            f"contact:{row.id}",
            "contact",
            None,
            {"name": row.name, "title": row.title, "email": row.email, "phone": row.phone},
        )
    if isinstance(row, Order):
        return SourceRecord(
            f"order:{row.id}",
            "order",
            _day(row.order_date),
            {
                "external_id": row.external_id,
                "total_amount": row.total_amount,
                "currency": row.currency,
                "cancellation": "yes" if row.is_cancellation else "no",
            },
        )
    if isinstance(row, OrderLine):
        return SourceRecord(
            f"order_line:{row.id}",
            "order_line",
            _day(row.order.order_date),
            {
                "order": row.order.external_id,
                "sku": row.sku,
                "description": row.description,
                "quantity": row.quantity,
                "unit_price": row.unit_price,
                "amount": row.amount,
            },
        )
    if isinstance(row, Note):
        return SourceRecord(
            f"note:{row.id}",
            "note",
            _day(row.occurred_at),
            {"kind": _enum(row.kind), "subject": row.subject, "body": row.body},
        )
    if isinstance(row, CallNote):
        return SourceRecord(
            f"call_note:{row.id}",
            "call_note",
            _day(row.call_date) or _day(row.created_at),
            {
                "status": _enum(row.status),
                "outcome": _enum(row.outcome),
                "summary": row.summary,
                "expectations": row.expectations,
                "reasons": ", ".join(sorted(_enum(lb.code) or "" for lb in row.labels)),
            },
        )
    if isinstance(row, Task):
        return SourceRecord(
            f"task:{row.id}",
            "task",
            _day(row.due_date) or _day(row.created_at),
            {
                "type": _enum(row.type),
                "description": row.description,
                "status": _enum(row.status),
                "due_date": row.due_date,
            },
        )
    if isinstance(row, Transcript):
        return SourceRecord(
            f"transcript:{row.id}", "transcript", _day(row.created_at), {"text": row.text}
        )
    raise TypeError(f"not a citable row: {type(row).__name__}")


_MODELS: dict[str, type[Any]] = {
    "account": Account,
    "contact": Contact,
    "order": Order,
    "order_line": OrderLine,
    "note": Note,
    "call_note": CallNote,
    "task": Task,
    "transcript": Transcript,
}


def load_record(session: Session, tenant_id: int, source: str) -> SourceRecord | None:
    """Load the record ``source`` of the tenant, or ``None`` if it does not exist there."""
    kind, _, key = source.partition(":")
    model = _MODELS.get(kind)
    if model is None or not key.isdigit():
        return None
    row = session.get(model, int(key))
    if row is None:
        return None
    owner_tenant = row.order.tenant_id if isinstance(row, OrderLine) else row.tenant_id
    if owner_tenant != tenant_id:
        return None
    record = record_from_row(row)
    if isinstance(row, Transcript) and row.recording_id:
        recording = session.get(CallRecording, row.recording_id)
        if recording and recording.call_date:
            record = SourceRecord(record.source_id, record.kind, recording.call_date, record.fields)
    return record


class RecordBook:
    """A per-brief cache of source records, backed by the database."""

    def __init__(self, session: Session, tenant_id: int) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self._cache: dict[str, SourceRecord | None] = {}

    def add(self, record: SourceRecord) -> None:
        """Remember a record already loaded (saves a query per citation)."""
        self._cache[record.source_id] = record

    def get(self, source: str) -> SourceRecord | None:
        """The record ``source``, or ``None`` if it does not exist for this tenant."""
        if source not in self._cache:
            self._cache[source] = load_record(self.session, self.tenant_id, source)
        return self._cache[source]

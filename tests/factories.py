"""Small factories for test data: one function per CRM row, composed by the test worlds.

Each factory adds one row (with its children, such as an order's lines or a
transcript's segments) to an open SQLAlchemy session, flushes it so its id
is known, and returns it. A factory takes the rows it belongs to (a tenant,
an account, a recording) rather than their ids, so a world reads as the
relations it builds; every column a test does not care about gets a plain
default, and every column it does care about is a keyword argument.

The worlds built on them: ``tests/history/fixtures.py`` (the CRM of the
history and brief tests), ``tests/privacy/seed.py`` (personal data in every
store), ``tests/api/world.py`` (two tenants with users and tokens).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from agent.crm.db import get_or_create_tenant
from agent.crm.models import (
    Account,
    AuditEvent,
    CallNote,
    CallRecording,
    ChurnReason,
    ChurnReasonLabel,
    ConsentMethod,
    ConsentRecord,
    Contact,
    NextStepType,
    Note,
    Order,
    OrderLine,
    Role,
    StoredBrief,
    Task,
    Tenant,
    Transcript,
    TranscriptSegment,
    User,
)

RowT = TypeVar("RowT")

#: One order line: (sku, description, quantity, unit price).
Line = tuple[str, str, float, str]
#: One transcript segment: (start_s, end_s, speaker, text).
Segment = tuple[float, float, str, str]


def _added(session: Session, row: RowT) -> RowT:
    session.add(row)
    session.flush()
    return row


def _about(session: Session, table: Callable[..., RowT], of: Account, /, **fields: Any) -> RowT:
    """A row of ``table`` that belongs to the account ``of`` (and so to its tenant)."""
    return _added(session, table(tenant_id=of.tenant_id, account_id=of.id, **fields))


def tenant(session: Session, slug: str = "default", name: str | None = None) -> Tenant:
    """The tenant ``slug``, created on first use (as the importers and the CLI do)."""
    return get_or_create_tenant(session, slug, name)


def user(
    session: Session, owner: Tenant, username: str, role: Role = Role.rep, **fields: Any
) -> User:
    """A user of ``owner``; the display name defaults to the username in title case."""
    fields.setdefault("name", username.title())
    return _added(session, User(tenant_id=owner.id, username=username, role=role, **fields))


def account(session: Session, owner: Tenant, external_id: str, **fields: Any) -> Account:
    """A customer account of ``owner``; the name defaults to ``Kunde <external id>``."""
    fields.setdefault("name", f"Kunde {external_id}")
    return _added(session, Account(tenant_id=owner.id, external_id=external_id, **fields))


def contact(session: Session, of: Account, name: str, **fields: Any) -> Contact:
    """A contact person at ``of``."""
    return _about(session, Contact, of, name=name, **fields)


def order(
    session: Session,
    of: Account,
    external_id: str,
    day: date | datetime,
    lines: Sequence[Line] = (),
    **fields: Any,
) -> Order:
    """An order of ``of`` on ``day`` (midnight) with ``lines``; the total is their sum."""
    when = day if isinstance(day, datetime) else datetime.combine(day, datetime.min.time())
    fields.setdefault(
        "total_amount", sum((Decimal(q) * Decimal(p) for _, _, q, p in lines), Decimal(0))
    )
    row = Order(
        tenant_id=of.tenant_id, account_id=of.id, external_id=external_id, order_date=when, **fields
    )  # not yet added: its lines come first
    for no, (sku, description, quantity, price) in enumerate(lines, start=1):
        row.lines.append(
            OrderLine(
                line_no=no,
                sku=sku,
                description=description,
                quantity=float(quantity),
                unit_price=Decimal(price),
                amount=Decimal(quantity) * Decimal(price),
            )
        )
    return _added(session, row)


def note(session: Session, of: Account, body: str, occurred_at: datetime, **fields: Any) -> Note:
    """A CRM note (or e-mail, complaint: ``kind=``) about ``of``."""
    return _about(session, Note, of, body=body, occurred_at=occurred_at, **fields)


def consent(
    session: Session,
    of: Account,
    given_by: str,
    given_at: datetime | None = None,
    **fields: Any,
) -> ConsentRecord:
    """A verbal recording consent by ``given_by`` (now, unless ``given_at``)."""
    fields.setdefault("method", ConsentMethod.verbal_at_call_start)
    fields.setdefault("text_version", "de-2025.1")
    when = given_at or datetime.now(UTC)
    return _about(session, ConsentRecord, of, given_by=given_by, given_at=when, **fields)


def recording(
    session: Session, of: Account, under: ConsentRecord, sha256: str, size_bytes: int, **fields: Any
) -> CallRecording:
    """A call recording of ``of`` made under the consent ``under``."""
    return _about(
        session, CallRecording, of, consent_id=under.id, content_sha256=sha256,
        size_bytes=size_bytes, **fields,
    )  # fmt: skip


def transcript(
    session: Session,
    of: CallRecording | Account,
    segments: Sequence[Segment],
    text: str | None = None,
    **fields: Any,
) -> Transcript:
    """The transcript of the recording ``of`` (or of a call about the account ``of``).

    The text defaults to the ``segments`` joined.
    """
    fields.setdefault("language", "de")
    if isinstance(of, CallRecording):
        fields.update(account_id=of.account_id, recording_id=of.id)
    else:
        fields.update(account_id=of.id)
    row = Transcript(
        tenant_id=of.tenant_id,
        text=" ".join(s[3] for s in segments) if text is None else text,
        **fields,
    )
    row.segments = [
        TranscriptSegment(idx=i, start_s=start, end_s=end, speaker=speaker, text=said)
        for i, (start, end, speaker, said) in enumerate(segments)
    ]
    return _added(session, row)


def call_note(session: Session, of: Account, **fields: Any) -> CallNote:
    """A call note about ``of`` (a draft, unless ``status=``)."""
    return _about(session, CallNote, of, **fields)


def reason(
    session: Session, of: CallNote, code: ChurnReason, evidence: str, **fields: Any
) -> ChurnReasonLabel:
    """A churn reason of the call note ``of``, with the customer's words as evidence."""
    return _added(
        session,
        ChurnReasonLabel(
            tenant_id=of.tenant_id,
            account_id=of.account_id,
            call_note_id=of.id,
            code=code,
            evidence=evidence,
            **fields,
        ),
    )


def task(
    session: Session, of: Account, type: NextStepType, description: str, **fields: Any
) -> Task:
    """A next step (task) about ``of``."""
    return _about(session, Task, of, type=type, description=description, **fields)


def brief(session: Session, of: Account, content: dict[str, Any], **fields: Any) -> StoredBrief:
    """A stored pre-call brief of ``of`` (version 1 in German, unless told otherwise)."""
    fields.setdefault("version", 1)
    fields.setdefault("language", "de")
    return _about(session, StoredBrief, of, content=content, **fields)


def audit_event(
    session: Session, owner: Tenant, action: str, about: Account | CallNote, **fields: Any
) -> AuditEvent:
    """An audit-trail entry of ``owner``: ``action`` on the account or call note ``about``."""
    kind = "account" if isinstance(about, Account) else "call_note"
    fields.setdefault("actor_label", "manager")
    return _added(
        session,
        AuditEvent(
            tenant_id=owner.id, action=action, object_type=kind, object_id=str(about.id), **fields
        ),
    )

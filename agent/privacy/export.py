"""Art. 15 DSGVO export: everything Winback stores about an account or a contact, as JSON.

The export uses the same definition of "belongs to the subject" as erasure
(:mod:`agent.privacy.subject`), so what can be deleted is exactly what is
shown. Orders are summarised (counts, dates, totals per currency) rather
than listed line by line; audio is described by its metadata, not
embedded. Every export is itself logged in the audit trail.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.crm.db import Store, get_tenant
from agent.crm.models import (
    Account,
    CallNote,
    CallRecording,
    ChurnReasonLabel,
    ConsentRecord,
    Contact,
    Note,
    Order,
    StoredBrief,
    Task,
    TenantExample,
    Transcript,
    TranscriptSegment,
    utcnow,
)
from agent.privacy import audit
from agent.privacy.subject import Subject, find_subject

EXPORT_VERSION = 1


def _plain(value: Any) -> Any:
    """JSON-friendly scalar (dates as ISO strings, decimals as strings, enums as codes)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "value") and not isinstance(value, str | int | float | bool):
        return value.value
    return value


def _row(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        col.name: _plain(getattr(obj, col.key))
        for col in obj.__table__.columns
        if col.name not in skip and col.name != "tenant_id"
    }


def _load(session: Session, model: Any, ids: list[Any]) -> list[Any]:
    if not ids:
        return []
    return list(session.scalars(select(model).where(model.id.in_(ids)).order_by(model.id)))


def _orders_summary(session: Session, s: Subject) -> dict[str, Any]:
    if s.kind != "account" or not s.order_ids:
        return {"orders": 0}
    rows = session.execute(
        select(
            Order.currency,
            Order.is_cancellation,
            func.count(Order.id),
            func.sum(Order.total_amount),
            func.min(Order.order_date),
            func.max(Order.order_date),
        )
        .where(Order.account_id == s.account_id)
        .group_by(Order.currency, Order.is_cancellation)
    ).all()
    totals: dict[str, Any] = defaultdict(lambda: {"orders": 0, "cancellations": 0, "total": "0"})
    first, last = None, None
    for currency, cancelled, count, total, lo, hi in rows:
        entry = totals[currency]
        entry["cancellations" if cancelled else "orders"] += count
        entry["total"] = str(Decimal(entry["total"]) + Decimal(total or 0))
        first = lo if first is None or lo < first else first
        last = hi if last is None or hi > last else last
    return {
        "orders": len(s.order_ids),
        "first_order": _plain(first),
        "last_order": _plain(last),
        "by_currency": dict(totals),
    }


def _recordings(session: Session, s: Subject) -> list[dict[str, Any]]:
    consents = {c.id: c for c in _load(session, ConsentRecord, s.consent_ids)}
    out = []
    for rec in _load(session, CallRecording, s.recording_ids):
        item = _row(rec, skip=("storage_key", "idempotency_key"))
        item["audio_stored"] = rec.audio_deleted_at is None and rec.storage_key is not None
        consent = consents.get(rec.consent_id) or session.get(ConsentRecord, rec.consent_id)
        item["consent"] = _row(consent) if consent else None
        out.append(item)
    return out


def _transcripts(session: Session, s: Subject) -> list[dict[str, Any]]:
    out = []
    for tr in _load(session, Transcript, s.transcript_ids):
        item = _row(tr)
        item["segments"] = [
            _row(seg, skip=("transcript_id",))
            for seg in session.scalars(
                select(TranscriptSegment)
                .where(TranscriptSegment.transcript_id == tr.id)
                .order_by(TranscriptSegment.idx)
            )
        ]
        out.append(item)
    return out


def _call_notes(session: Session, s: Subject) -> list[dict[str, Any]]:
    labels: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for label in _load(session, ChurnReasonLabel, s.label_ids):
        labels[label.call_note_id].append(_row(label, skip=("call_note_id", "account_id")))
    examples: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if s.call_note_ids:
        query = select(TenantExample).where(TenantExample.call_note_id.in_(s.call_note_ids))
        for example in session.scalars(query.order_by(TenantExample.id)):
            examples[example.call_note_id].append(_row(example, skip=("call_note_id",)))
    out = []
    for note in _load(session, CallNote, s.call_note_ids):
        item = _row(note)
        item["churn_reasons"] = labels.get(note.id, [])
        item["learning_examples"] = examples.get(note.id, [])
        out.append(item)
    return out


def export_subject(
    store: Store,
    tenant_slug: str,
    kind: str,
    external_id: str,
    *,
    actor_label: str = "cli",
) -> dict[str, Any]:
    """Everything stored about the account or contact ``external_id``, as a JSON-ready dict.

    Raises :class:`NotFoundError` for an unknown subject. The export is logged
    as a ``privacy.export`` audit event (with counts, not content).
    """
    with store.session() as session:
        tenant = get_tenant(session, tenant_slug)
        s = find_subject(session, tenant.id, kind, external_id)
        account = session.get(Account, s.account_id)
        data: dict[str, Any] = {
            "export_version": EXPORT_VERSION,
            "generated_at": utcnow().isoformat(),
            "tenant": tenant_slug,
            "subject": {"kind": kind, "external_id": s.external_id},
            "account": _row(account, skip=("owner_id",)) if account else None,
            "contacts": [_row(c) for c in _load(session, Contact, s.contact_ids)],
            "orders_summary": _orders_summary(session, s),
            "notes": [_row(n) for n in _load(session, Note, s.note_ids)],
            "recordings": _recordings(session, s),
            "transcripts": _transcripts(session, s),
            "call_notes": _call_notes(session, s),
            "tasks": [_row(t) for t in _load(session, Task, s.task_ids)],
            "briefs": [_row(b) for b in _load(session, StoredBrief, s.brief_ids)],
            "audit_events": [
                audit.event_dict(e) for e in audit.events_about(session, tenant.id, s.audit_refs())
            ],
        }
        if kind == "contact" and account is not None:
            # For a person the company is context, not their data: name and number only.
            data["account"] = {"external_id": account.external_id, "name": account.name}
            data["mentions_in_other_notes"] = [
                _row(n)
                for n in session.scalars(
                    select(Note).where(
                        Note.account_id == s.account_id, Note.id.notin_(s.note_ids or [-1])
                    )
                )
                if any(m.lower() in f"{n.subject or ''} {n.body}".lower() for m in s.mentions)
            ]
        counts = {k: len(v) for k, v in data.items() if isinstance(v, list)}
        audit.append(
            session,
            tenant.id,
            audit.EXPORT,
            kind,
            s.contact_id if kind == "contact" else s.account_id,
            actor_label=actor_label,
            after={"counts": counts},
        )
    return data

"""The event feed for CRMs: audited review and account changes in id order.

A CRM integration remembers the last event id it processed and asks for the
events after it; events come from the append-only ``audit_events`` table, so
nothing is missed and nothing needs a webhook endpoint.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.analysis.notes import note_to_json
from agent.auth import Principal
from agent.crm.models import Account, AuditEvent, CallNote
from agent.errors import ValidationError
from api.schemas.events import EventOut, EventsOut

FEED_ACTIONS = ("call_note.approve", "call_note.reject", "call_note.edit", "task.create",
                "account.status", "account.owner")  # fmt: skip


def feed(session: Session, user: Principal, after: int, action: str, limit: int) -> EventsOut:
    """Events of the user's tenant after ``after`` with ``action`` (or any feed action: 'all').

    Each event of a call note carries the note as it is now, so a CRM can
    update its record from the approval alone.
    """
    if action != "all" and action not in FEED_ACTIONS:
        raise ValidationError(f"action: use one of {', '.join(FEED_ACTIONS)} or 'all'.")
    query = select(AuditEvent).where(AuditEvent.tenant_id == user.tenant_id, AuditEvent.id > after)
    query = query.where(
        AuditEvent.action.in_(FEED_ACTIONS) if action == "all" else AuditEvent.action == action
    )
    rows = session.scalars(query.order_by(AuditEvent.id).limit(limit)).all()
    events = []
    for row in rows:
        event = EventOut(
            id=row.id, at=row.at.isoformat(), action=row.action, actor=row.actor_label,
            object_type=row.object_type, object_id=row.object_id,
            before=row.before, after=row.after,
        )  # fmt: skip
        if row.object_type == "call_note" and row.object_id.isdigit():
            note = session.get(CallNote, int(row.object_id))
            if note is not None and note.tenant_id == user.tenant_id:
                # Set only here: events without a note have no "note" key in the answer.
                event.note = note_to_json(note, session.get(Account, note.account_id))
        events.append(event)
    return EventsOut(events=events, next_after=rows[-1].id if rows else after)

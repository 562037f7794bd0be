"""``/api/events``: a feed of "note approved" (and other review) events for CRMs to pull.

A CRM integration remembers the last event id it processed and asks for
``?after=ID``; events come from the append-only ``audit_events`` table, in
id order, so nothing is missed and nothing needs a webhook endpoint.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from agent.crm.models import AuditEvent, CallNote
from api.deps import SessionDep, TeamUser

router = APIRouter(prefix="/api/events", tags=["events"])

FEED_ACTIONS = ("call_note.approve", "call_note.reject", "call_note.edit", "task.create",
                "account.status", "account.owner")  # fmt: skip


@router.get("", summary="Event feed")
def get_events(
    session: SessionDep,
    user: TeamUser,
    after: int = Query(0, ge=0, le=2**62, description="Return events with a larger id."),
    action: str = Query(
        "call_note.approve",
        max_length=64,
        description=f"One of {', '.join(FEED_ACTIONS)}, or 'all'.",
    ),
    limit: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    """Events after ``after`` in id order; ``next_after`` is the id to ask with next time.

    For approvals each event carries the approved note (summary, outcome,
    churn reasons with evidence, next steps) so the CRM can update its record.
    """
    from agent.analysis.notes import note_to_json
    from agent.crm.models import Account
    from agent.errors import ValidationError

    if action != "all" and action not in FEED_ACTIONS:
        raise ValidationError(f"action: use one of {', '.join(FEED_ACTIONS)} or 'all'.")
    query = select(AuditEvent).where(AuditEvent.tenant_id == user.tenant_id, AuditEvent.id > after)
    query = query.where(
        AuditEvent.action.in_(FEED_ACTIONS) if action == "all" else AuditEvent.action == action
    )
    rows = session.scalars(query.order_by(AuditEvent.id).limit(limit)).all()
    events = []
    for row in rows:
        event: dict[str, Any] = {
            "id": row.id, "at": row.at.isoformat(), "action": row.action, "actor": row.actor_label,
            "object_type": row.object_type, "object_id": row.object_id,
            "before": row.before, "after": row.after,
        }  # fmt: skip
        if row.object_type == "call_note" and row.object_id.isdigit():
            note = session.get(CallNote, int(row.object_id))
            if note is not None and note.tenant_id == user.tenant_id:
                event["note"] = note_to_json(note, session.get(Account, note.account_id))
        events.append(event)
    return {"events": events, "next_after": rows[-1].id if rows else after}

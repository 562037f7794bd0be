"""The audit log of data-protection events: reads, exports, erasures, purges.

Append-only by construction: this module offers :func:`append` and read
helpers, no update and no delete. The one sanctioned change to old events
is the scrubbing of their before/after payloads when the subject is erased
(:mod:`agent.privacy.erasure`): the fact that something happened stays, the
personal data it carried goes. Payloads written here never contain
personal data themselves, only ids and counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from agent.crm.models import AuditEvent, User

#: Actions this module writes (the review flow writes its own ``call_note.*`` events).
READ = "privacy.read"
EXPORT = "privacy.export"
ERASE = "privacy.erase"
PURGE = "privacy.purge"


def append(
    session: Session,
    tenant_id: int,
    action: str,
    object_type: str,
    object_id: object,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
    after: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """Append one event; ``actor_label`` names a non-user actor (``cli``, ``system:retention``)."""
    event = AuditEvent(
        tenant_id=tenant_id,
        actor_id=actor.id if actor else None,
        actor_label=(actor.username if actor else actor_label or "system")[:200],
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        before=None,
        after=after,
        request_id=request_id,
    )
    session.add(event)
    session.flush()
    return event


def record_read(
    session: Session,
    tenant_id: int,
    object_type: str,
    object_id: object,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """Log that someone looked at a record (e.g. a transcript or an export)."""
    return append(
        session,
        tenant_id,
        READ,
        object_type,
        object_id,
        actor=actor,
        actor_label=actor_label,
        request_id=request_id,
    )


def events_about(
    session: Session, tenant_id: int, refs: Mapping[str, Iterable[object]]
) -> list[AuditEvent]:
    """Every event of the tenant about one of ``refs`` (object type -> ids), oldest first."""
    clauses = []
    for object_type, ids in refs.items():
        keys = sorted({str(i) for i in ids})
        if keys:
            clauses.append(
                and_(AuditEvent.object_type == object_type, AuditEvent.object_id.in_(keys))
            )
    if not clauses:
        return []
    query = (
        select(AuditEvent)
        .where(AuditEvent.tenant_id == tenant_id, or_(*clauses))
        .order_by(AuditEvent.id)
    )
    return list(session.scalars(query))


def event_dict(event: AuditEvent) -> dict[str, Any]:
    """JSON-ready form of one event (for exports and the CLI)."""
    return {
        "id": event.id,
        "at": event.at.isoformat() if event.at else None,
        "actor": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
    }

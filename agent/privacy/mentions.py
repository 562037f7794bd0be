"""Scrubbing an erased contact's name, e-mail and phone from the texts of its account.

A contact erasure deletes the rows that belong to the person, but the
account's other records (a visit note, a transcript of a call with a
colleague, an edited summary in the audit log) may still name them.
:func:`scrub_mentions` replaces every literal, case-insensitive occurrence
of the contact's full name, e-mail and phone in those texts, JSON values
included, by ``[gelöscht]``. Other forms of reference ("Frau Schmidt") are
not recognised; docs/privacy.md says what to do about them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.crm.models import (
    Account,
    AuditEvent,
    CallNote,
    ChurnReasonLabel,
    ConsentRecord,
    Note,
    Task,
    TenantExample,
    Transcript,
    TranscriptSegment,
)
from agent.privacy.subject import Subject

REDACTED = "[gelöscht]"


def _redactor(mentions: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(m) for m in mentions), re.IGNORECASE)


def _redact_value(pattern: re.Pattern[str], value: Any) -> Any:
    """``value`` with every mention replaced, recursing into JSON lists and dicts."""
    if isinstance(value, str):
        return pattern.sub(REDACTED, value)
    if isinstance(value, list):
        return [_redact_value(pattern, v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_value(pattern, v) for k, v in value.items()}
    return value


#: (model, text/JSON columns) scrubbed for mentions of an erased contact, per account.
_MENTION_COLUMNS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (Account, ("status_reason",)),
    (Note, ("subject", "body")),
    (Transcript, ("text",)),
    (CallNote, ("summary", "expectations", "review_comment", "analysis", "field_sources")),
    (ChurnReasonLabel, ("evidence",)),
    (Task, ("description",)),
    (ConsentRecord, ("given_by",)),
)


def _scrub_rows(pattern: re.Pattern[str], rows: Sequence[Any], columns: tuple[str, ...]) -> int:
    """Replace mentions in ``columns`` of ``rows``; return how many rows changed."""
    changed = 0
    for row in rows:
        dirty = False
        for column in columns:
            old = getattr(row, column)
            new = _redact_value(pattern, old)
            if new != old:
                setattr(row, column, new)
                dirty = True
        changed += dirty
    return changed


def scrub_mentions(session: Session, s: Subject) -> dict[str, int]:
    """Replace the erased contact's name, e-mail and phone in the account's other texts."""
    pattern = _redactor(s.mentions)
    counts: dict[str, int] = {}
    for model, columns in _MENTION_COLUMNS:
        key_column = model.id if model is Account else model.account_id
        rows = session.scalars(select(model).where(key_column == s.account_id)).all()
        counts[model.__tablename__] = _scrub_rows(pattern, rows, columns)
    transcript_ids = select(Transcript.id).where(Transcript.account_id == s.account_id)
    segments = session.scalars(
        select(TranscriptSegment).where(TranscriptSegment.transcript_id.in_(transcript_ids))
    ).all()
    counts["transcript_segments"] = _scrub_rows(pattern, segments, ("text",))
    # Sentences a reviewer confirmed for the classifier (their notes belong to the account).
    note_ids = select(CallNote.id).where(CallNote.account_id == s.account_id)
    examples = session.scalars(
        select(TenantExample).where(TenantExample.call_note_id.in_(note_ids))
    ).all()
    counts["tenant_examples"] = _scrub_rows(pattern, examples, ("text", "context"))
    # Payloads of the account's remaining audit events (e.g. an edited summary).
    events = session.scalars(select(AuditEvent).where(AuditEvent.tenant_id == s.tenant_id)).all()
    changed = 0
    for event in events:
        before, after = _redact_value(pattern, event.before), _redact_value(pattern, event.after)
        if before != event.before or after != event.after:
            event.before, event.after = before, after
            changed += 1
    counts["audit_events_mentions"] = changed
    session.flush()
    return counts

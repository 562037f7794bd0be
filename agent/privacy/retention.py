"""Retention: delete data older than its policy allows, per data kind.

Policies live in settings (days; 0 = keep forever):

* **audio**: ``retention_audio`` / ``retention_audio_days``, applied by
  :func:`agent.calls.retention.purge_expired_audio` (by default audio is
  deleted right after transcription);
* **transcripts**: ``retention_transcript_days`` after the transcript was
  stored; segments go with it, call notes stay (their link is cleared);
* **notes**: ``retention_notes_days`` after the interaction (CRM notes by
  ``occurred_at``) or after the analysis (call notes by ``created_at``,
  with their churn-reason labels; tasks stay, unlinked).

:func:`purge` runs all of them for every tenant (``winback privacy purge``);
``winback worker`` calls :func:`purge_due` from its maintenance thread, which
purges audio on every sweep and the rest at most once per hour. Deleted
records are removed from the history index, and each tenant's deletions
are logged as one ``privacy.purge`` audit event.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from agent.calls.retention import expired_audio, purge_expired_audio
from agent.crm.db import Store
from agent.crm.models import (
    CallNote,
    CallRecording,
    ChurnReasonLabel,
    Note,
    TenantExample,
    Transcript,
    TranscriptSegment,
    utcnow,
)
from agent.history.index import HistoryIndex
from agent.privacy import audit
from agent.settings import Settings

log = logging.getLogger(__name__)

ACTOR = "system:retention"
#: The non-audio purge runs at most this often from the worker.
PURGE_INTERVAL_S = 3600.0


@dataclass
class PurgeReport:
    """What a purge deleted (or would delete, on a dry run)."""

    dry_run: bool
    audio: int = 0
    transcripts: int = 0
    notes: int = 0
    call_notes: int = 0
    index_sources_deleted: int = 0
    policies: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def policies(settings: Settings) -> dict[str, Any]:
    """The retention policies in effect, as shown by the CLI and the docs."""
    audio = {
        "after_transcription": "after transcription",
        "after_review": "after review",
    }.get(settings.retention_audio, f"{settings.retention_audio_days} days")
    return {
        "audio": audio,
        "transcripts_days": settings.retention_transcript_days or "keep",
        "notes_days": settings.retention_notes_days or "keep",
    }


def _audio_due(session: Session, settings: Settings, now: datetime) -> int:
    """How many recordings :func:`purge_expired_audio` would strip (for dry runs)."""
    query = expired_audio(select(func.count(CallRecording.id)), settings, now)
    return int(session.scalar(query) or 0)


def _expired(session: Session, settings: Settings, now: datetime) -> dict[str, list[tuple]]:
    """(tenant id, row id) of expired transcripts, notes and call notes."""
    found: dict[str, list[tuple]] = {"transcripts": [], "notes": [], "call_notes": []}
    if settings.retention_transcript_days:
        cutoff = now - timedelta(days=settings.retention_transcript_days)
        found["transcripts"] = list(
            session.execute(
                select(Transcript.tenant_id, Transcript.id).where(Transcript.created_at < cutoff)
            ).tuples()
        )
    if settings.retention_notes_days:
        cutoff = now - timedelta(days=settings.retention_notes_days)
        # occurred_at is stored naive (UTC); compare like with like.
        found["notes"] = list(
            session.execute(
                select(Note.tenant_id, Note.id).where(
                    Note.occurred_at < cutoff.replace(tzinfo=None)
                )
            ).tuples()
        )
        found["call_notes"] = list(
            session.execute(
                select(CallNote.tenant_id, CallNote.id).where(CallNote.created_at < cutoff)
            ).tuples()
        )
    return found


def _delete(session: Session, found: dict[str, list[tuple]]) -> None:
    for part in _parts([i for _t, i in found["call_notes"]]):
        session.execute(delete(ChurnReasonLabel).where(ChurnReasonLabel.call_note_id.in_(part)))
        session.execute(delete(TenantExample).where(TenantExample.call_note_id.in_(part)))
        session.execute(delete(CallNote).where(CallNote.id.in_(part)))
    for part in _parts([i for _t, i in found["transcripts"]]):
        session.execute(delete(TranscriptSegment).where(TranscriptSegment.transcript_id.in_(part)))
        session.execute(delete(Transcript).where(Transcript.id.in_(part)))
    for part in _parts([i for _t, i in found["notes"]]):
        session.execute(delete(Note).where(Note.id.in_(part)))


def _parts(ids: list[Any], size: int = 500) -> list[list[Any]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def purge(
    store: Store,
    settings: Settings,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    index: HistoryIndex | None = None,
    audio: bool = True,
) -> PurgeReport:
    """Apply every retention policy once; on ``dry_run`` only count what would go.

    ``index`` is the history index to remove deleted records from (opened
    from settings when omitted; a failure there is a warning, because
    ``winback index rebuild`` or the next sync drops records gone from SQL).
    """
    now = now or utcnow()
    report = PurgeReport(dry_run=dry_run, policies=policies(settings))
    with store.session() as session:
        found = _expired(session, settings, now)
        if dry_run:
            report.audio = _audio_due(session, settings, now) if audio else 0
        else:
            _delete(session, found)
            by_tenant: dict[int, dict[str, int]] = {}
            for kind, rows in found.items():
                for tenant_id, _id in rows:
                    counts = by_tenant.setdefault(tenant_id, {})
                    counts[kind] = counts.get(kind, 0) + 1
            for tenant_id, counts in by_tenant.items():
                audit.append(
                    session,
                    tenant_id,
                    audit.PURGE,
                    "tenant",
                    tenant_id,
                    actor_label=ACTOR,
                    after={"deleted": counts, "policies": report.policies},
                )
    report.transcripts = len(found["transcripts"])
    report.notes = len(found["notes"])
    report.call_notes = len(found["call_notes"])
    if dry_run:
        return report
    if audio:
        report.audio = purge_expired_audio(store, settings, now)
    sources = [
        (tenant_id, f"{kind}:{key}")
        for kind, name in (
            ("transcript", "transcripts"),
            ("note", "notes"),
            ("call_note", "call_notes"),
        )
        for tenant_id, key in found[name]
    ]
    if sources:
        report.index_sources_deleted = _unindex(settings, index, sources, report)
    return report


def _unindex(
    settings: Settings,
    index: HistoryIndex | None,
    sources: list[tuple[int, str]],
    report: PurgeReport,
) -> int:
    try:
        if index is None:
            from agent.privacy.vectors import open_index_for_erasure

            index = open_index_for_erasure(settings)
        for tenant_id, source in sources:
            index.delete_source(tenant_id, source)
    except Exception as exc:  # noqa: BLE001 - SQL is purged; the index catches up later
        report.warnings.append(
            f"History index not updated ({exc}); run 'winback index rebuild' to drop purged text."
        )
        return 0
    return len(sources)


_last_full_purge = 0.0
_purge_lock = threading.Lock()


def purge_due(store: Store, settings: Settings) -> PurgeReport | None:
    """The worker's periodic hook: audio every time, everything else at most hourly."""
    global _last_full_purge
    with _purge_lock:
        due = time.monotonic() - _last_full_purge >= PURGE_INTERVAL_S
        if due:
            _last_full_purge = time.monotonic()
    if not due:
        purge_expired_audio(store, settings)
        return None
    report = purge(store, settings)
    if report.transcripts or report.notes or report.call_notes:
        log.info("retention purge: %s", report.to_dict())
    return report

"""Erasure of an account or a contact across every store (DSGVO Art. 17).

What goes, per store (see docs/privacy.md for the reasoning):

* **SQL**: the rows :mod:`agent.privacy.subject` assigns to the subject are
  deleted, children before parents (labels, tasks, call notes, segments,
  transcripts, pipeline jobs, recordings, consent records, notes, briefs,
  order lines, orders, contacts, the account). For a contact, mentions of
  its name, e-mail and phone in the account's remaining texts (notes,
  transcripts, call notes, labels, tasks, status reason) are replaced by
  ``[gelöscht]``. Audit events about the erased objects keep who did what
  when, but their before/after payloads are replaced by a marker.
* **History index**: the subject's chunks are deleted, records whose text
  was scrubbed are re-indexed, and the embedded store's files are scrubbed
  (:mod:`agent.privacy.vectors`).
* **Audio store**: original and normalised audio of every deleted recording.
* **Caches**: the web app's plan cache of this process.
* **Files of the database**: SQLite keeps deleted rows in free pages and in
  its WAL file, so the database is vacuumed and the WAL checkpointed and
  truncated; PostgreSQL tables touched are vacuumed.

An :class:`~agent.crm.models.ErasureTombstone` (salted hash only) then
blocks a re-import of the account, of its contacts, or of the contact.
The order makes a failure safe: the index is cleaned first (if Chroma is
down nothing is erased), audio next, then one SQL transaction.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import asdict, dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, text
from sqlalchemy.orm import Session

from agent.audio_store import get_audio_store
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
    OrderLine,
    PipelineJob,
    StoredBrief,
    Task,
    TenantExample,
    Transcript,
    TranscriptSegment,
)
from agent.errors import StorageError
from agent.history.index import HistoryIndex
from agent.privacy import audit
from agent.privacy.mentions import scrub_mentions
from agent.privacy.subject import Subject, find_subject
from agent.privacy.tombstones import add_tombstone, erasure_salt
from agent.privacy.vectors import (
    delete_subject,
    log_position,
    open_index_for_erasure,
    scrub_embedded_store,
)
from agent.settings import Settings

log = logging.getLogger(__name__)

SCRUBBED_PAYLOAD = {"scrubbed": "erasure"}


@dataclass
class ErasureReport:
    """What an erasure deleted or scrubbed, store by store (no personal data in it)."""

    kind: str
    external_id: str
    tenant: str
    deleted: dict[str, int] = field(default_factory=dict)
    scrubbed: dict[str, int] = field(default_factory=dict)
    index: dict[str, Any] = field(default_factory=dict)
    audio_files_deleted: int = 0
    caches_cleared: list[str] = field(default_factory=list)
    database_compaction: str = ""
    tombstones: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for ``--json`` and the API."""
        return asdict(self)


def erase(
    store: Store,
    settings: Settings,
    tenant_slug: str,
    kind: str,
    external_id: str,
    *,
    actor_label: str = "cli",
    index: HistoryIndex | None = None,
) -> ErasureReport:
    """Erase the account or contact ``external_id`` of ``tenant_slug`` from every store.

    ``kind`` is ``account`` or ``contact``. Raises :class:`NotFoundError` for an
    unknown subject (also one erased before) and :class:`StorageError` when the
    history index cannot be reached, in which case nothing was erased. The
    returned report counts rows per table, chunks, files and caches.
    """
    salt = erasure_salt(settings)  # fail on a broken salt before anything is deleted
    with store.session() as session:
        tenant = get_tenant(session, tenant_slug)
        subject = find_subject(session, tenant.id, kind, external_id)
    report = ErasureReport(kind=kind, external_id=subject.external_id, tenant=tenant_slug)

    index = index or open_index_for_erasure(settings)
    try:
        chunk_ids = delete_subject(index, subject)
    except Exception as exc:  # noqa: BLE001 - chroma/http errors have no common base
        raise StorageError(
            f"The history index (Chroma) failed: {exc}. Nothing was erased; fix it "
            "('winback doctor') and run the command again."
        ) from exc

    audio = get_audio_store(settings)
    first_keys = set(subject.audio_keys)
    for key in subject.audio_keys:
        report.audio_files_deleted += int(audio.delete(key))

    with store.session() as session:
        # Rows added since the first look (an upload, an import) belong to the subject too.
        subject = find_subject(session, tenant.id, kind, subject.external_id)
        report.scrubbed["audit_events"] = _scrub_audit(session, subject)
        report.deleted = _delete_rows(session, subject)
        if subject.mentions:
            report.scrubbed.update(scrub_mentions(session, subject))
        if kind == "account":
            add_tombstone(session, tenant.id, "account", subject.external_id, salt)
            report.tombstones += 1
        for contact_external in subject.contact_external_ids:
            add_tombstone(session, tenant.id, "contact", contact_external, salt)
            report.tombstones += 1
        audit.append(
            session,
            tenant.id,
            audit.ERASE,
            kind,
            subject.contact_id if kind == "contact" else subject.account_id,
            actor_label=actor_label,
            after={"deleted": report.deleted, "scrubbed": report.scrubbed},
        )

    for key in set(subject.audio_keys) - first_keys:  # uploaded while erasing
        report.audio_files_deleted += int(audio.delete(key))
    report.index = _finish_index(settings, index, subject, chunk_ids, report)
    report.caches_cleared = _clear_caches()
    report.database_compaction = compact_database(store, report)
    return report


def _chunks(ids: list[Any], size: int = 500) -> list[list[Any]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)] if ids else []


def _delete_in(session: Session, model: Any, column: str, ids: list[Any]) -> int:
    """Delete rows of ``model`` whose ``column`` is in ``ids`` (in chunks); return the count."""
    count = 0
    for part in _chunks(ids):
        statement = delete(model).where(getattr(model, column).in_(part))
        result = session.execute(statement, execution_options={"synchronize_session": False})
        count += cast(CursorResult[Any], result).rowcount or 0
    return count


def _delete_rows(session: Session, s: Subject) -> dict[str, int]:
    """Delete the subject's rows, children first; returns rows deleted per table."""
    done: dict[str, int] = {}
    done["churn_reason_labels"] = _delete_in(session, ChurnReasonLabel, "id", s.label_ids)
    done["tasks"] = _delete_in(session, Task, "id", s.task_ids)
    # Sentences a reviewer confirmed for the classifier are the subject's words too.
    done["tenant_examples"] = _delete_in(session, TenantExample, "call_note_id", s.call_note_ids)
    done["call_notes"] = _delete_in(session, CallNote, "id", s.call_note_ids)
    done["transcript_segments"] = _delete_in(
        session, TranscriptSegment, "transcript_id", s.transcript_ids
    )
    done["transcripts"] = _delete_in(session, Transcript, "id", s.transcript_ids)
    done["pipeline_jobs"] = _delete_in(session, PipelineJob, "recording_id", s.recording_ids)
    done["call_recordings"] = _delete_in(session, CallRecording, "id", s.recording_ids)
    # A consent record still referenced by a recording that stays is that recording's
    # legal basis and cannot be deleted (foreign key RESTRICT); it is kept.
    still_needed = set(
        session.scalars(
            select(CallRecording.consent_id).where(
                CallRecording.consent_id.in_(s.consent_ids or [-1])
            )
        )
    )
    consents = [c for c in s.consent_ids if c not in still_needed]
    done["consent_records"] = _delete_in(session, ConsentRecord, "id", consents)
    done["notes"] = _delete_in(session, Note, "id", s.note_ids)
    done["briefs"] = _delete_in(session, StoredBrief, "id", s.brief_ids)
    done["order_lines"] = _delete_in(session, OrderLine, "order_id", s.order_ids)
    done["orders"] = _delete_in(session, Order, "id", s.order_ids)
    done["contacts"] = _delete_in(session, Contact, "id", s.contact_ids)
    if s.kind == "account":
        done["accounts"] = _delete_in(session, Account, "id", [s.account_id])
    return done


def _scrub_audit(session: Session, s: Subject) -> int:
    """Replace the payloads of audit events about the subject's objects by a marker."""
    events = audit.events_about(session, s.tenant_id, s.audit_refs())
    for event in events:
        event.before = None
        event.after = dict(SCRUBBED_PAYLOAD)
    session.flush()
    return len(events)


def _finish_index(
    settings: Settings,
    index: HistoryIndex,
    s: Subject,
    chunk_ids: list[str],
    report: ErasureReport,
) -> dict[str, Any]:
    """Catch chunks indexed meanwhile, re-index scrubbed records, scrub the store's files."""
    result: dict[str, Any] = {"chunks_deleted": len(chunk_ids), "records_reindexed": 0}
    mark: int | None = None
    try:
        late = delete_subject(index, s)
        result["chunks_deleted"] += len(late)
        chunk_ids = chunk_ids + late
        if s.mentions:
            # The account's remaining chunks held the unredacted text too; their old log
            # entries are scrubbed, the re-indexed (redacted) ones after ``mark`` stay.
            col = index.collection(s.tenant_id)
            where = {"$and": [{"tenant_id": s.tenant_id}, {"account_id": s.account_id}]}
            chunk_ids += [str(i) for i in col.get(where=where, include=[])["ids"]]
            mark = log_position(settings)
            result["records_reindexed"] = _reindex_account(index, s, settings)
    except Exception as exc:  # noqa: BLE001 - the SQL erasure stands; say how to finish
        report.warnings.append(
            f"History index follow-up failed ({exc}); run 'winback index rebuild' when "
            "Chroma is back."
        )
    try:
        result.update(scrub_embedded_store(settings, chunk_ids, mark))
    except StorageError as exc:
        report.warnings.append(str(exc))
    if result.get("mode") == "server":
        report.warnings.append(
            "Chroma runs as a server: run 'chroma vacuum --path <its data dir>' there to drop "
            "deleted text from its files."
        )
    return result


def _reindex_account(index: HistoryIndex, s: Subject, settings: Settings) -> int:
    """Re-embed the account's scrubbed records so the index holds the redacted text."""
    from agent.crm.db import open_store
    from agent.history.sync import sync_account

    store = open_store(settings.db_url)
    with store.session() as session:
        stale = index.stamps(s.tenant_id, s.account_id)
        for source in stale:
            index.delete_source(s.tenant_id, source)
        return sync_account(session, index, s.tenant_id, s.account_id)


def _clear_caches() -> list[str]:
    """Forget in-process caches that may hold the subject's data."""
    cleared = []
    planning = sys.modules.get("api.planning")
    if planning is not None:
        planning.forget_plans()
        cleared.append("api.planning (plan cache of this process)")
    return cleared


_TOUCHED_TABLES = (
    "churn_reason_labels",
    "tasks",
    "tenant_examples",
    "call_notes",
    "transcript_segments",
    "transcripts",
    "pipeline_jobs",
    "call_recordings",
    "consent_records",
    "notes",
    "briefs",
    "order_lines",
    "orders",
    "contacts",
    "accounts",
    "audit_events",
)


def compact_database(store: Store, report: ErasureReport | None = None) -> str:
    """Make deleted rows unrecoverable from the database files, as far as the engine allows.

    SQLite: ``VACUUM`` rewrites the file without free pages, then a
    ``wal_checkpoint(TRUNCATE)`` empties the WAL that still held old pages.
    PostgreSQL: ``VACUUM`` of the touched tables removes the dead tuples;
    older copies in WAL archives and backups age out with their retention.
    """
    dialect = store.engine.dialect.name
    try:
        with store.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            if dialect == "sqlite":
                conn.execute(text("VACUUM"))
                busy = conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).first()
                if busy is not None and busy[0]:
                    raise StorageError("another connection kept the WAL busy")
                return "sqlite: VACUUM + wal_checkpoint(TRUNCATE)"
            if dialect == "postgresql":
                for table in _TOUCHED_TABLES:
                    conn.execute(text(f'VACUUM "{table}"'))
                return "postgresql: VACUUM of the touched tables"
    except Exception as exc:  # noqa: BLE001 - the erasure stands; compaction can be redone
        if report is not None:
            report.warnings.append(
                f"Database compaction failed ({exc}); deleted rows may linger in free pages "
                "until the next VACUUM."
            )
        return "failed"
    return f"{dialect}: nothing to do"

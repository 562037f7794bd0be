"""Retention: per-kind policies in days (0 = keep), dry run, purge, index, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from agent.crm.db import Store
from agent.crm.models import AuditEvent, CallNote, Note, Transcript, TranscriptSegment
from agent.privacy.retention import purge
from agent.settings import configure, get_settings
from tests.privacy import seed as world


def _age_everything(store: Store, days: int) -> None:
    old = datetime.now(UTC) - timedelta(days=days)
    with store.session() as s:
        s.execute(update(Transcript).values(created_at=old))
        s.execute(update(CallNote).values(created_at=old))


def _count(store: Store, model: type) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_zero_days_keeps_everything(store: Store) -> None:
    seeded = world.seed(store, get_settings())
    _age_everything(store, 5000)
    report = purge(store, get_settings(), index=seeded.index)
    assert (report.transcripts, report.notes, report.call_notes) == (0, 0, 0)
    assert _count(store, Note) == 3 and _count(store, Transcript) == 1


def test_dry_run_counts_and_purge_deletes_expired_records(store: Store) -> None:
    seeded = world.seed(store, get_settings())
    settings = configure(
        **{
            **get_settings().model_dump(),
            "retention_transcript_days": 30,
            "retention_notes_days": 365,
        }
    )
    _age_everything(store, 40)  # transcripts expired, call notes (40 days) not yet
    # Notes N-1/N-2/N-9 occurred in early 2025: older than a year.
    dry = purge(store, settings, dry_run=True, index=seeded.index)
    assert (dry.transcripts, dry.notes, dry.call_notes) == (1, 3, 0)
    assert _count(store, Transcript) == 1 and _count(store, Note) == 3

    report = purge(store, settings, index=seeded.index)
    assert (report.transcripts, report.notes, report.call_notes) == (1, 3, 0)
    assert _count(store, Transcript) == 0 and _count(store, TranscriptSegment) == 0
    assert _count(store, Note) == 0 and _count(store, CallNote) == 1
    assert report.index_sources_deleted == 4
    hits = seeded.index.search(seeded.tenant_id, "IBAN Lieferzeiten Telefonat", k=20)
    assert hits and {h.chunk.kind for h in hits} == {"call_summary"}  # notes, transcript gone
    with store.session() as s:
        assert s.scalar(select(CallNote.transcript_id)) is None  # unlinked, not deleted
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.purge")).one()
        assert event.after["deleted"] == {"transcripts": 1, "notes": 3}

"""Audio retention ``after_review``: kept while the draft waits for a manager, then deleted."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

from agent.audio_store import get_audio_store
from agent.calls.retention import after_transcription, purge_expired_audio
from agent.crm.db import Store, get_or_create_tenant
from agent.crm.models import (
    Account,
    CallNote,
    CallRecording,
    ConsentMethod,
    ConsentRecord,
    NoteStatus,
    RecordingStatus,
)
from agent.privacy.retention import policies
from agent.settings import configure


def _recording(store: Store, settings: object, status: RecordingStatus, n: int,
               note: NoteStatus | None) -> str:  # fmt: skip
    audio = get_audio_store(settings)  # type: ignore[arg-type]
    with store.session() as s:
        tenant = get_or_create_tenant(s, "default")
        account = Account(tenant_id=tenant.id, external_id=f"K-{n}", name=f"Kunde {n}")
        s.add(account)
        s.flush()
        consent = ConsentRecord(tenant_id=tenant.id, account_id=account.id, given_by="Kunde",
                                method=ConsentMethod.verbal_at_call_start,
                                given_at=datetime.now(UTC), text_version="v1")  # fmt: skip
        s.add(consent)
        s.flush()
        stored = audio.put(io.BytesIO(b"audio %d" % n), max_bytes=1000)
        row = CallRecording(tenant_id=tenant.id, account_id=account.id, consent_id=consent.id,
                            storage_key=stored.key, content_sha256=stored.sha256,
                            size_bytes=stored.size_bytes, status=status)  # fmt: skip
        s.add(row)
        s.flush()
        if note is not None:
            s.add(CallNote(tenant_id=tenant.id, account_id=account.id, recording_id=row.id,
                           call_date=date.today(), status=note))  # fmt: skip
        return row.id


def test_audio_stays_until_the_note_is_reviewed(store: Store) -> None:
    settings = configure(
        database_url=store.engine.url.render_as_string(hide_password=False),
        retention_audio="after_review",
        retention_audio_days=30,
    )
    waiting = _recording(store, settings, RecordingStatus.analyzed, 1, NoteStatus.pending_review)
    approved = _recording(store, settings, RecordingStatus.analyzed, 2, NoteStatus.approved)
    rejected = _recording(store, settings, RecordingStatus.analyzed, 3, NoteStatus.rejected)
    failed = _recording(store, settings, RecordingStatus.failed, 4, None)
    after_transcription(store, settings, waiting)  # the pipeline's step keeps it
    assert policies(settings)["audio"] == "after review"
    assert purge_expired_audio(store, settings) == 2
    with store.session() as s:
        gone = {r.id for r in s.query(CallRecording) if r.audio_deleted_at is not None}
    assert gone == {approved, rejected}
    # a recording that failed before it had a note goes after the retention days
    later = datetime.now(UTC) + timedelta(days=31)
    assert purge_expired_audio(store, settings, now=later) == 1
    with store.session() as s:
        assert s.get(CallRecording, failed).audio_deleted_at is not None  # type: ignore[union-attr]
        assert s.get(CallRecording, waiting).audio_deleted_at is None  # type: ignore[union-attr]

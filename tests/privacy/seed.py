"""A small CRM full of personal data, in every store, for the erasure and export tests.

Tenant ``default``: account K-1 (the subject) with contacts Anna Schmidt
(C-1) and Bernd Keller (C-2), orders, notes (one with an IBAN), a consented
recording whose audio file and transcript carry the PII, an approved call
note with label and task, a brief and audit events; all indexed in an
embedded Chroma. Account K-2 with Clara Vogel is the control that must
survive every erasure of K-1.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from agent.audio_store import LocalAudioStore
from agent.crm.db import Store, get_or_create_tenant
from agent.crm.models import (
    Account,
    AuditEvent,
    CallNote,
    CallOutcome,
    CallRecording,
    ChurnReason,
    ChurnReasonLabel,
    ConsentMethod,
    ConsentRecord,
    Contact,
    NextStepType,
    Note,
    NoteStatus,
    Order,
    OrderLine,
    PipelineJob,
    RecordingStatus,
    StoredBrief,
    Task,
    TenantExample,
    Transcript,
    TranscriptSegment,
)
from agent.embeddings import WinbackEmbeddings
from agent.history.index import HistoryIndex, make_client
from agent.history.sync import sync_account
from agent.settings import Settings
from agent.testing import FakeEmbeddings

NAME = "Anna Schmidt"
EMAIL = "anna.schmidt@mueller-mb.de"
PHONE = "+49 89 1234567"
IBAN = "DE89370400440532013000"
COMPANY = "Mueller Maschinenbau Zwickau"
OTHER_CONTACT = "Bernd Keller"
CONTROL = "Clara Vogel"
#: Strings that must be gone after erasing account K-1.
ACCOUNT_PII = (NAME, EMAIL, PHONE, IBAN, COMPANY, OTHER_CONTACT)
#: Strings that must be gone after erasing contact C-1 only.
CONTACT_PII = (NAME, EMAIL, PHONE)


@dataclass
class Seeded:
    tenant_id: int
    account_id: int
    control_account_id: int
    audio_keys: list[str]
    index: HistoryIndex


def make_index(settings: Settings) -> HistoryIndex:
    """An embedded Chroma in the test's data dir with fake embeddings (no model)."""
    return HistoryIndex(make_client(settings), WinbackEmbeddings(FakeEmbeddings()))


def seed(store: Store, settings: Settings) -> Seeded:
    """Write the world described in the module docstring; return its ids."""
    audio = LocalAudioStore(settings.audio_path)
    original = audio.put(
        io.BytesIO(
            b"RIFF\x00\x00\x00\x00WAVELIST INFOIART " + NAME.encode() + b" " + PHONE.encode()
        ),
        max_bytes=10_000,
    )
    normalised = audio.put(io.BytesIO(b"normalised " + IBAN.encode()), max_bytes=10_000)
    control_audio = audio.put(io.BytesIO(b"control " + CONTROL.encode()), max_bytes=10_000)
    now = datetime.now(UTC)
    with store.session() as s:
        tenant = get_or_create_tenant(s, "default")
        acc = Account(
            tenant_id=tenant.id,
            external_id="K-1",
            name=COMPANY,
            city="Zwickau",
            status_reason=f"Rückruf von {NAME} abwarten",
        )
        ctl = Account(tenant_id=tenant.id, external_id="K-2", name="Vogel Bau KG")
        s.add_all([acc, ctl])
        s.flush()
        anna = Contact(
            tenant_id=tenant.id,
            account_id=acc.id,
            external_id="C-1",
            name=NAME,
            email=EMAIL,
            phone=PHONE,
        )
        bernd = Contact(
            tenant_id=tenant.id, account_id=acc.id, external_id="C-2", name=OTHER_CONTACT
        )
        clara = Contact(tenant_id=tenant.id, account_id=ctl.id, external_id="C-9", name=CONTROL)
        s.add_all([anna, bernd, clara])
        s.flush()
        order = Order(
            tenant_id=tenant.id,
            account_id=acc.id,
            external_id="O-1",
            order_date=datetime(2024, 3, 1),
            total_amount=Decimal("1200.00"),
        )
        s.add(order)
        s.flush()
        s.add(
            OrderLine(
                order_id=order.id,
                line_no=1,
                sku="X1",
                description="Fräser",
                quantity=4,
                unit_price=Decimal("300"),
                amount=Decimal("1200.00"),
            )
        )
        s.add_all(
            [
                Note(
                    tenant_id=tenant.id,
                    account_id=acc.id,
                    contact_id=anna.id,
                    external_id="N-1",
                    occurred_at=datetime(2025, 1, 10),
                    subject="Zahlung",
                    body=f"{NAME} bittet um Erstattung auf IBAN {IBAN}, erreichbar unter {PHONE}.",
                ),
                Note(
                    tenant_id=tenant.id,
                    account_id=acc.id,
                    external_id="N-2",
                    occurred_at=datetime(2025, 2, 1),
                    body=f"Besuch bei {OTHER_CONTACT}; {NAME} war im Urlaub. Lieferzeit zu lang.",
                ),
                Note(
                    tenant_id=tenant.id,
                    account_id=ctl.id,
                    external_id="N-9",
                    occurred_at=datetime(2025, 2, 1),
                    body=f"Telefonat mit {CONTROL} über Preise.",
                ),
            ]
        )
        consent = ConsentRecord(
            tenant_id=tenant.id,
            account_id=acc.id,
            contact_id=anna.id,
            given_by=NAME,
            method=ConsentMethod.verbal_at_call_start,
            given_at=now - timedelta(days=1),
            text_version="de-2025.1",
        )
        ctl_consent = ConsentRecord(
            tenant_id=tenant.id,
            account_id=ctl.id,
            contact_id=clara.id,
            given_by=CONTROL,
            method=ConsentMethod.verbal_at_call_start,
            given_at=now - timedelta(days=1),
            text_version="de-2025.1",
        )
        s.add_all([consent, ctl_consent])
        s.flush()
        rec = CallRecording(
            tenant_id=tenant.id,
            account_id=acc.id,
            contact_id=anna.id,
            consent_id=consent.id,
            storage_key=original.key,
            original_filename=f"{NAME}.wav",
            content_sha256=original.sha256,
            size_bytes=original.size_bytes,
            call_date=date(2025, 3, 3),
            status=RecordingStatus.analyzed,
        )
        ctl_rec = CallRecording(
            tenant_id=tenant.id,
            account_id=ctl.id,
            contact_id=clara.id,
            consent_id=ctl_consent.id,
            storage_key=control_audio.key,
            content_sha256=control_audio.sha256,
            size_bytes=control_audio.size_bytes,
            status=RecordingStatus.analyzed,
        )
        s.add_all([rec, ctl_rec])
        s.flush()
        s.add(
            PipelineJob(
                recording_id=rec.id, step="decode", details={"normalised_key": normalised.key}
            )
        )
        tr = Transcript(
            tenant_id=tenant.id,
            account_id=acc.id,
            recording_id=rec.id,
            language="de",
            text=f"Guten Tag, hier {NAME}. Meine IBAN ist {IBAN}.",
        )
        s.add(tr)
        s.flush()
        s.add_all(
            [
                TranscriptSegment(
                    transcript_id=tr.id,
                    idx=0,
                    start_s=0,
                    end_s=2,
                    speaker="customer",
                    text=f"Guten Tag, hier {NAME}.",
                ),
                TranscriptSegment(
                    transcript_id=tr.id,
                    idx=1,
                    start_s=2,
                    end_s=5,
                    speaker="customer",
                    text=f"Meine IBAN ist {IBAN}.",
                ),
            ]
        )
        note = CallNote(
            tenant_id=tenant.id,
            account_id=acc.id,
            recording_id=rec.id,
            transcript_id=tr.id,
            status=NoteStatus.approved,
            language="de",
            outcome=CallOutcome.follow_up,
            summary=f"{NAME} beklagt lange Lieferzeiten; Rückruf unter {PHONE}.",
            analysis={"evidence": [f"hier {NAME}"], "email": EMAIL},
        )
        s.add(note)
        s.flush()
        s.add(
            ChurnReasonLabel(
                tenant_id=tenant.id,
                account_id=acc.id,
                call_note_id=note.id,
                code=ChurnReason.delivery_speed,
                evidence=f"{NAME}: zu langsam",
            )
        )
        s.add(
            Task(
                tenant_id=tenant.id,
                account_id=acc.id,
                call_note_id=note.id,
                type=NextStepType.schedule_call,
                description=f"{NAME} zurückrufen ({EMAIL})",
            )
        )
        s.add(  # a sentence the approval taught the classifier
            TenantExample(
                tenant_id=tenant.id, call_note_id=note.id, task="reason",
                label="delivery_speed", text=f"{NAME} hier: die Lieferzeit ist zu lang.",
                context="", language="de", speaker="customer",
            )
        )  # fmt: skip
        s.add(
            StoredBrief(
                tenant_id=tenant.id,
                account_id=acc.id,
                version=1,
                language="de",
                content={"opening": f"Hallo {NAME}"},
                markdown=f"# Brief\nAnsprechpartnerin {NAME}",
            )
        )
        s.add(
            AuditEvent(
                tenant_id=tenant.id,
                actor_label="manager",
                action="call_note.edit",
                object_type="call_note",
                object_id=str(note.id),
                before={"summary": "alt"},
                after={"summary": f"{NAME} beklagt ..."},
            )
        )
        s.add(
            AuditEvent(
                tenant_id=tenant.id,
                actor_label="manager",
                action="account.status",
                object_type="account",
                object_id=str(acc.id),
                before={"status_reason": None},
                after={"status_reason": f"{NAME} ruft zurück"},
            )
        )
        ids = (tenant.id, acc.id, ctl.id)
    index = make_index(settings)
    with store.session() as s:
        sync_account(s, index, ids[0], ids[1])
        sync_account(s, index, ids[0], ids[2])
    return Seeded(ids[0], ids[1], ids[2], [original.key, normalised.key], index)


def file_hits(root: Path, needles: tuple[str, ...]) -> dict[str, list[str]]:
    """Needle -> files under ``root`` whose bytes contain it (UTF-8)."""
    hits: dict[str, list[str]] = {}
    if not root.exists():
        return hits
    files = [p for p in root.rglob("*") if p.is_file()] if root.is_dir() else [root]
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            if needle.encode("utf-8") in data:
                hits.setdefault(needle, []).append(str(path))
    return hits


def sqlite_hits(db_file: Path, needles: tuple[str, ...]) -> dict[str, list[str]]:
    """Needle -> database files (main, -wal, -journal) containing it."""
    hits: dict[str, list[str]] = {}
    for suffix in ("", "-wal", "-journal"):
        path = Path(f"{db_file}{suffix}")
        for needle, files in file_hits(path, needles).items():
            hits.setdefault(needle, []).extend(files)
    return hits


def postgres_hits(store: Store, needles: tuple[str, ...]) -> dict[str, list[str]]:
    """Needle -> ``table.column`` of every text/JSON column on PostgreSQL containing it."""
    hits: dict[str, list[str]] = {}
    with store.engine.connect() as conn:
        columns = conn.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type IN "
                "('text', 'character varying', 'json', 'jsonb', 'character')"
            )
        ).all()
        assert len(columns) > 30  # the whole schema, not an empty database
        for table, column in columns:
            for needle in needles:
                found = conn.execute(
                    text(f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE :n'),
                    {"n": f"%{needle}%"},
                ).scalar()
                if found:
                    hits.setdefault(needle, []).append(f"{table}.{column}")
    return hits


def database_hits(store: Store, needles: tuple[str, ...]) -> dict[str, list[str]]:
    """Grep the database: file bytes on SQLite, every text column on PostgreSQL."""
    if store.engine.dialect.name == "sqlite":
        return sqlite_hits(Path(store.engine.url.database or ""), needles)
    return postgres_hits(store, needles)

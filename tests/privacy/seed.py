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
from pathlib import Path

from sqlalchemy import text

from agent.audio_store import LocalAudioStore
from agent.crm.db import Store
from agent.crm.models import (
    CallOutcome,
    ChurnReason,
    NextStepType,
    NoteStatus,
    PipelineJob,
    RecordingStatus,
    TenantExample,
)
from agent.embeddings import WinbackEmbeddings
from agent.history.index import HistoryIndex, make_client
from agent.history.sync import sync_account
from agent.settings import Settings
from agent.testing import FakeEmbeddings
from tests import factories as make

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
        tenant = make.tenant(s, "default")
        acc = make.account(
            s,
            tenant,
            "K-1",
            name=COMPANY,
            city="Zwickau",
            status_reason=f"Rückruf von {NAME} abwarten",
        )
        ctl = make.account(s, tenant, "K-2", name="Vogel Bau KG")
        anna = make.contact(s, acc, NAME, external_id="C-1", email=EMAIL, phone=PHONE)
        make.contact(s, acc, OTHER_CONTACT, external_id="C-2")
        clara = make.contact(s, ctl, CONTROL, external_id="C-9")
        make.order(s, acc, "O-1", datetime(2024, 3, 1), [("X1", "Fräser", 4, "300")])
        make.note(
            s, acc, f"{NAME} bittet um Erstattung auf IBAN {IBAN}, erreichbar unter {PHONE}.",
            datetime(2025, 1, 10), contact_id=anna.id, external_id="N-1", subject="Zahlung",
        )  # fmt: skip
        make.note(
            s, acc, f"Besuch bei {OTHER_CONTACT}; {NAME} war im Urlaub. Lieferzeit zu lang.",
            datetime(2025, 2, 1), external_id="N-2",
        )  # fmt: skip
        make.note(
            s, ctl, f"Telefonat mit {CONTROL} über Preise.", datetime(2025, 2, 1), external_id="N-9"
        )
        consent = make.consent(s, acc, NAME, now - timedelta(days=1), contact_id=anna.id)
        ctl_consent = make.consent(s, ctl, CONTROL, now - timedelta(days=1), contact_id=clara.id)
        rec = make.recording(
            s, acc, consent, original.sha256, original.size_bytes, contact_id=anna.id,
            storage_key=original.key, original_filename=f"{NAME}.wav",
            call_date=date(2025, 3, 3), status=RecordingStatus.analyzed,
        )  # fmt: skip
        make.recording(
            s, ctl, ctl_consent, control_audio.sha256, control_audio.size_bytes,
            contact_id=clara.id, storage_key=control_audio.key, status=RecordingStatus.analyzed,
        )  # fmt: skip
        s.add(
            PipelineJob(
                recording_id=rec.id, step="decode", details={"normalised_key": normalised.key}
            )
        )
        tr = make.transcript(
            s, rec, [(0, 2, "customer", f"Guten Tag, hier {NAME}."),
                     (2, 5, "customer", f"Meine IBAN ist {IBAN}.")],
        )  # fmt: skip
        note = make.call_note(
            s, acc, recording_id=rec.id, transcript_id=tr.id, status=NoteStatus.approved,
            language="de", outcome=CallOutcome.follow_up,
            summary=f"{NAME} beklagt lange Lieferzeiten; Rückruf unter {PHONE}.",
            analysis={"evidence": [f"hier {NAME}"], "email": EMAIL},
        )  # fmt: skip
        make.reason(s, note, ChurnReason.delivery_speed, f"{NAME}: zu langsam")
        make.task(
            s,
            acc,
            NextStepType.schedule_call,
            f"{NAME} zurückrufen ({EMAIL})",
            call_note_id=note.id,
        )
        s.add(  # a sentence the approval taught the classifier
            TenantExample(
                tenant_id=tenant.id, call_note_id=note.id, task="reason",
                label="delivery_speed", text=f"{NAME} hier: die Lieferzeit ist zu lang.",
                context="", language="de", speaker="customer",
            )
        )  # fmt: skip
        make.brief(
            s, acc, {"opening": f"Hallo {NAME}"}, markdown=f"# Brief\nAnsprechpartnerin {NAME}"
        )
        make.audit_event(
            s, tenant, "call_note.edit", note,
            before={"summary": "alt"}, after={"summary": f"{NAME} beklagt ..."},
        )  # fmt: skip
        make.audit_event(
            s, tenant, "account.status", acc,
            before={"status_reason": None}, after={"status_reason": f"{NAME} ruft zurück"},
        )  # fmt: skip
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

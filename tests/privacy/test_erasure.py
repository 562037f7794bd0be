"""Erasure: seed PII in every store, erase, and grep every store for it (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.crm.db import Store
from agent.crm.importers import import_accounts, import_contacts, import_notes, import_orders
from agent.crm.models import Account, AuditEvent, Contact, ErasureTombstone, Note
from agent.errors import NotFoundError, StorageError
from agent.privacy.erasure import erase
from agent.settings import Settings, get_settings
from tests.privacy import seed as world


@pytest.fixture
def settings(store: Store) -> Settings:
    return get_settings()


def _chroma(settings: Settings) -> Path:
    return Path(settings.data_dir) / "chroma"


def test_seeded_pii_is_visible_in_every_store_before_erasure(
    store: Store, settings: Settings
) -> None:
    # The grep must be able to fail: before erasure it finds the PII everywhere.
    world.seed(store, settings)
    assert set(world.database_hits(store, world.ACCOUNT_PII)) == set(world.ACCOUNT_PII)
    assert {world.NAME, world.IBAN} <= set(world.file_hits(_chroma(settings), world.ACCOUNT_PII))
    assert {world.NAME, world.IBAN} <= set(world.file_hits(settings.audio_path, world.ACCOUNT_PII))


def test_account_erasure_leaves_no_pii_in_any_store(store: Store, settings: Settings) -> None:
    seeded = world.seed(store, settings)
    report = erase(store, settings, "default", "account", "K-1", index=seeded.index)

    assert world.database_hits(store, world.ACCOUNT_PII) == {}
    assert world.file_hits(_chroma(settings), world.ACCOUNT_PII) == {}
    assert world.file_hits(settings.audio_path, world.ACCOUNT_PII) == {}
    assert report.deleted["accounts"] == 1 and report.deleted["contacts"] == 2
    assert report.deleted["transcript_segments"] == 2 and report.deleted["call_recordings"] == 1
    assert report.deleted["orders"] == 1 and report.deleted["order_lines"] == 1
    assert report.audio_files_deleted == 2 and report.tombstones == 3
    assert report.index["chunks_deleted"] >= 3
    assert report.scrubbed["audit_events"] == 2
    assert report.warnings == []
    # The control account is untouched in SQL, the index and the audio store.
    assert world.CONTROL in world.database_hits(store, (world.CONTROL,))
    assert world.file_hits(settings.audio_path, (world.CONTROL,))
    hits = seeded.index.search(seeded.tenant_id, "Telefonat Preise", k=5)
    assert hits and all(h.chunk.account_id == seeded.control_account_id for h in hits)
    with store.session() as s:
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        # The fact of each change stays; the payloads about the subject are scrubbed.
        assert [e.action for e in events] == ["call_note.edit", "account.status", "privacy.erase"]
        assert events[0].after == {"scrubbed": "erasure"} and events[0].before is None
        assert s.scalar(select(func.count()).select_from(ErasureTombstone)) == 3


def test_contact_erasure_removes_the_person_and_keeps_the_account(
    store: Store, settings: Settings
) -> None:
    seeded = world.seed(store, settings)
    report = erase(store, settings, "default", "contact", "C-1", index=seeded.index)

    assert world.database_hits(store, world.CONTACT_PII) == {}
    assert world.file_hits(_chroma(settings), world.CONTACT_PII) == {}
    assert world.file_hits(settings.audio_path, world.CONTACT_PII + (world.IBAN,)) == {}
    assert report.deleted["contacts"] == 1 and report.deleted["call_recordings"] == 1
    assert report.deleted["notes"] == 1 and report.deleted["consent_records"] == 1
    assert report.scrubbed["notes"] == 1 and report.scrubbed["accounts"] == 1
    with store.session() as s:
        assert s.scalar(select(Account.name).where(Account.external_id == "K-1")) == world.COMPANY
        assert s.scalar(select(Contact.name).where(Contact.external_id == "C-2")) == "Bernd Keller"
        kept = s.scalar(select(Note.body).where(Note.external_id == "N-2"))
        assert kept == "Besuch bei Bernd Keller; [gelöscht] war im Urlaub. Lieferzeit zu lang."
    # The scrubbed note was re-indexed with its redacted text.
    hits = seeded.index.search(seeded.tenant_id, "Besuch Urlaub", account_id=seeded.account_id)
    assert any("[gelöscht]" in h.chunk.text for h in hits)


def test_reimport_of_erased_subjects_is_skipped_and_counted(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    seeded = world.seed(store, settings)
    erase(store, settings, "default", "account", "K-1", index=seeded.index)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("external_id,name\nK-1,Mueller again\nK-3,Neu GmbH\n", encoding="utf-8")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "external_id,account_external_id,name\nC-1,K-3,Anna Schmidt\nC-5,K-3,Neu Person\n",
        encoding="utf-8",
    )
    notes = tmp_path / "notes.csv"
    notes.write_text(
        "account_external_id,occurred_at,body\nK-1,2025-01-01,alt\nK-3,2025-01-01,neu\n",
        encoding="utf-8",
    )
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,customer_id,order_date,sku,description,quantity,unit_price\n"
        "O-7,K-1,2025-01-02,X1,Teil,1,10\nO-8,K-3,2025-01-02,X1,Teil,1,10\n",
        encoding="utf-8",
    )
    assert import_accounts(store, accounts, "default").skipped_erased == 1
    assert import_contacts(store, contacts, "default").skipped_erased == 1
    assert import_notes(store, notes, "default").skipped_erased == 1
    stats = import_orders(store, orders, "default")
    assert (stats.skipped_erased, stats.orders_imported) == (1, 1)
    with store.session() as s:
        assert s.scalar(select(Account.id).where(Account.external_id == "K-1")) is None
        assert s.scalar(select(Contact.id).where(Contact.external_id == "C-1")) is None
        assert s.scalar(select(Contact.id).where(Contact.external_id == "C-5")) is not None


def test_tombstone_salt_is_generated_once_with_private_permissions(
    store: Store, settings: Settings
) -> None:
    from agent.privacy.tombstones import erasure_salt, salt_path

    first = erasure_salt(settings)
    assert erasure_salt(settings) == first and len(first) == 64
    assert salt_path(settings).stat().st_mode & 0o777 == 0o600
    tombstoned = world.seed(store, settings)
    erase(store, settings, "default", "account", "K-2", index=tombstoned.index)
    with store.session() as s:
        hashes = s.scalars(select(ErasureTombstone.identifier_hash)).all()
    assert hashes and all("K-2" not in h and len(h) == 64 for h in hashes)


def test_unknown_subject_is_not_found_and_nothing_changes(store: Store, settings: Settings) -> None:
    seeded = world.seed(store, settings)
    with pytest.raises(NotFoundError):
        erase(store, settings, "default", "account", "K-404", index=seeded.index)
    erase(store, settings, "default", "contact", "C-1", index=seeded.index)
    with pytest.raises(NotFoundError):  # a second erasure finds nothing to erase
        erase(store, settings, "default", "contact", "C-1", index=seeded.index)


class _DownIndex:
    def collection(self, tenant_id: int) -> object:
        raise ConnectionError("chroma server refused the connection")


def test_unreachable_index_erases_nothing(store: Store, settings: Settings) -> None:
    world.seed(store, settings)
    with pytest.raises(StorageError, match="Nothing was erased"):
        erase(store, settings, "default", "account", "K-1", index=_DownIndex())  # type: ignore[arg-type]
    assert set(world.database_hits(store, (world.NAME, world.IBAN))) == {world.NAME, world.IBAN}
    assert world.file_hits(settings.audio_path, (world.NAME,))

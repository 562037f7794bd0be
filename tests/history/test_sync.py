"""Keeping the index in step with the CRM store: sync of one record, of an account, rebuild."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import delete

from agent.crm.db import Store
from agent.crm.models import Note
from agent.errors import ValidationError
from agent.history.index import HistoryIndex
from agent.history.sync import rebuild, sync_source, tenant_chunks
from tests.history.fixtures import Crm

pytestmark = [pytest.mark.local_model]


def sources(index: HistoryIndex, tenant: int, query: str, k: int = 20) -> set[str]:
    return {h.chunk.source_id for h in index.search(tenant, query, k=k)}


def test_rebuild_indexes_every_note_and_approved_call(
    store: Store, crm: Crm, index: HistoryIndex
) -> None:
    with store.session() as s:
        count = rebuild(s, index, crm.acme)
        assert count == len(tenant_chunks(s, crm.acme))
    found = sources(index, crm.acme, "verspätete Lieferung")
    assert f"note:{crm.complaint_note}" in found
    assert f"call_note:{crm.call_note}" in found
    assert f"note:{crm.other_note}" not in found
    # Rebuilding twice gives the same index, not duplicates.
    with store.session() as s:
        assert rebuild(s, index, crm.acme) == count
    assert index.count(crm.acme) == count


def test_sync_source_removes_records_deleted_behind_the_orms_back(
    store: Store, crm: Crm, index: HistoryIndex
) -> None:
    with store.session() as s:
        rebuild(s, index, crm.acme)
        s.execute(delete(Note).where(Note.id == crm.complaint_note))
        assert sync_source(s, index, crm.acme, f"note:{crm.complaint_note}") == 0
    assert f"note:{crm.complaint_note}" not in sources(index, crm.acme, "Lieferverzug")


def test_sync_source_rejects_foreign_tenant_and_bad_ids(
    store: Store, crm: Crm, index: HistoryIndex
) -> None:
    with store.session() as s:
        # Another tenant's note id is "gone" for acme: nothing gets indexed.
        assert sync_source(s, index, crm.acme, f"note:{crm.other_note}") == 0
        with pytest.raises(ValidationError):
            sync_source(s, index, crm.acme, "order:1")
    assert index.count(crm.acme) == 0


def test_sync_account_catches_up_with_changes_made_elsewhere(
    store: Store, crm: Crm, index: HistoryIndex
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from agent.history.sync import sync_account

    with store.session() as s:
        rebuild(s, index, crm.acme)
        assert sync_account(s, index, crm.acme, crm.de_account) == 0  # nothing changed
        # Another process edits one note and deletes another.
        s.execute(
            update(Note)
            .where(Note.id == crm.complaint_note)
            .values(
                body="Reklamation erledigt, Gutschrift erteilt.",
                updated_at=datetime(2030, 1, 1) + timedelta(seconds=1),
            )
        )
        s.execute(delete(Note).where(Note.id == crm.injection_note))
    with store.session() as s:
        assert sync_account(s, index, crm.acme, crm.de_account) == 2
        assert sync_account(s, index, crm.acme, crm.de_account) == 0
    texts = {h.chunk.source_id: h.chunk.text for h in index.search(crm.acme, "Gutschrift", k=20)}
    assert "Gutschrift erteilt" in texts[f"note:{crm.complaint_note}"]
    assert f"note:{crm.injection_note}" not in texts

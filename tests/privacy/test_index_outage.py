"""Fault test with a real Chroma server on loopback: the server goes down while notes change.

The CRM store is the source of truth: a note committed while Chroma is down
is kept, and the next account sync, the path every brief takes, indexes it
once the server is back. An erasure refuses to start while the server is down, so it never
leaves the index holding text the database no longer has.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.crm.db import open_store
from agent.crm.models import Note
from agent.doctor import check_chroma
from agent.errors import StorageError
from agent.history.sync import sync_account
from agent.privacy.erasure import erase
from agent.settings import configure
from tests.privacy import seed as world
from tests.privacy.chroma_server import ChromaServer

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ChromaServer]:
    chroma = ChromaServer(tmp_path / "chroma-server")
    chroma.start()
    try:
        yield chroma
    finally:
        chroma.stop()


def test_note_survives_chroma_outage_and_is_indexed_later(
    server: ChromaServer, sqlite_url: str
) -> None:
    settings = configure(database_url=sqlite_url, chroma_url=server.url)
    store = open_store(sqlite_url)
    seeded = world.seed(store, settings)
    assert check_chroma(settings).status == "ok"

    server.stop()
    assert check_chroma(settings).status == "fail"
    with store.session() as s:
        s.add(
            Note(
                tenant_id=seeded.tenant_id,
                account_id=seeded.account_id,
                external_id="N-outage",
                occurred_at=datetime(2025, 6, 1),
                body="Reklamation Kugellager während des Chroma-Ausfalls",
            )
        )
    with store.session() as s:  # the commit stands while the index is unreachable
        assert s.scalar(select(Note.id).where(Note.external_id == "N-outage")) is not None
    with pytest.raises(StorageError, match="Nothing was erased"):
        erase(store, settings, "default", "account", "K-1", index=seeded.index)
    assert world.database_hits(store, (world.IBAN,))  # the erasure did not start

    server.start()
    fresh = world.make_index(settings)
    with store.session() as s:
        assert sync_account(s, fresh, seeded.tenant_id, seeded.account_id) >= 1
    hits = fresh.search(seeded.tenant_id, "Reklamation Kugellager", account_id=seeded.account_id)
    assert hits and "Kugellager" in hits[0].chunk.text
    # With the server back, the erasure runs and reminds the operator to vacuum the server.
    report = erase(store, settings, "default", "account", "K-1", index=fresh)
    assert any("chroma vacuum" in w for w in report.warnings)
    assert fresh.search(seeded.tenant_id, "Kugellager", account_id=seeded.account_id) == []

"""The Chroma history index with real local embeddings: search, isolation, updates."""

from __future__ import annotations

from datetime import date

import pytest

from agent.errors import ConfigError
from agent.history.chunks import HistoryChunk
from agent.history.index import HistoryIndex, make_client
from agent.settings import Settings

pytestmark = [pytest.mark.local_model]


def chunk(tenant: int, account: int, source: str, text: str, seq: int = 0) -> HistoryChunk:
    return HistoryChunk(
        source_id=source,
        seq=seq,
        tenant_id=tenant,
        account_id=account,
        kind="complaint",
        day=date(2025, 4, 2),
        text=text,
    )


def test_search_finds_the_relevant_note_cross_lingually(index: HistoryIndex) -> None:
    index.upsert(
        [
            chunk(1, 10, "note:1", "Die Lieferung kam zwölf Tage zu spät und war unvollständig."),
            chunk(1, 10, "note:2", "Weihnachtsgrüße an das ganze Team."),
            chunk(1, 10, "note:3", "Der Kunde fragt nach einem Katalog für Schleifmittel."),
        ]
    )
    hits = index.search(1, "late and incomplete delivery", k=2)
    assert hits[0].chunk.source_id == "note:1"
    assert hits[0].chunk.day == date(2025, 4, 2)
    assert hits[0].distance < hits[1].distance


def test_a_tenant_never_retrieves_another_tenants_text(index: HistoryIndex) -> None:
    secret = "GEHEIM: Lieferung kam zu spät, Kunde droht zu wechseln."
    index.upsert([chunk(2, 20, "note:9", secret)])
    index.upsert([chunk(1, 10, "note:1", "Rechnung wurde korrigiert.")])
    for query in (secret, "Lieferung zu spät", "GEHEIM"):
        hits = index.search(1, query, k=10)
        assert [h.chunk.tenant_id for h in hits] == [1]
        assert all("GEHEIM" not in h.chunk.text for h in hits)
    # Even a search restricted to the other tenant's account id finds nothing in tenant 1.
    assert index.search(1, secret, account_id=20, k=10) == []
    assert index.search(2, secret, k=1)[0].chunk.text == secret


def test_account_and_kind_filters(index: HistoryIndex) -> None:
    index.upsert(
        [
            chunk(1, 10, "note:1", "Preiserhöhung nicht akzeptabel."),
            chunk(1, 11, "note:2", "Preiserhöhung nicht akzeptabel, sagt auch dieser Kunde."),
        ]
    )
    assert [h.chunk.account_id for h in index.search(1, "Preis", account_id=11)] == [11]
    assert index.search(1, "Preis", kinds=["transcript"]) == []


def test_replace_and_delete_a_source(index: HistoryIndex) -> None:
    index.upsert([chunk(1, 10, "note:1", f"Teil {i} einer langen Notiz.", seq=i) for i in range(3)])
    assert index.count(1) == 3
    index.replace_source(1, "note:1", [chunk(1, 10, "note:1", "Jetzt nur noch kurz.")])
    assert index.count(1) == 1
    assert index.search(1, "kurz")[0].chunk.text == "Jetzt nur noch kurz."
    index.delete_source(1, "note:1")
    assert index.count(1) == 0
    assert index.search(1, "kurz") == []


def test_persistent_client_survives_reopening(index: HistoryIndex, embeddings: object) -> None:
    from agent.settings import get_settings

    index.upsert([chunk(1, 10, "note:1", "Qualitätsmangel bei Bohrern.")])
    reopened = HistoryIndex(make_client(get_settings()), embeddings)  # type: ignore[arg-type]
    assert reopened.count(1) == 1
    assert (get_settings().data_dir / "chroma").is_dir()


def test_bad_chroma_url_is_a_config_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="chroma_url"):
        make_client(Settings(data_dir=tmp_path, chroma_url="localhost:8000"))


def test_tenant_id_must_be_an_integer(index: HistoryIndex) -> None:
    with pytest.raises(ConfigError):
        index.collection("1")  # type: ignore[arg-type]

"""Retrieval for one account: CRM facts by code plus dated, de-duplicated semantic hits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from agent.crm.db import Store
from agent.history.index import HistoryIndex
from agent.history.records import RecordBook, load_record
from agent.history.retrieval import retrieve
from agent.history.sync import rebuild
from tests.history.fixtures import AS_OF, Crm


def test_structured_facts(store: Store, crm: Crm) -> None:
    with store.session() as s:
        h = retrieve(s, crm.acme, "K-100", AS_OF)
        assert len(h.orders) == 3
        assert h.last_order is not None and h.last_order.source_id == f"order:{crm.last_order}"
        assert h.last_order.day == date(2025, 5, 20)
        assert [(y.year, y.amount, len(y.order_ids)) for y in h.revenue_by_year] == [
            (2024, Decimal("184.00") + Decimal("368.00") + Decimal("321.00"), 2),
            (2025, Decimal("192.60"), 1),
        ]
        top = h.top_products[0]
        assert (top.sku, top.quantity, top.amount) == ("VB-1001", 30.0, Decimal("552.00"))
        assert len(top.line_ids) == 2
        assert [c.fields["name"] for c in h.contacts] == ["Susanne Pfeiffer"]
        assert [r.source_id for r in h.open_complaints] == [f"note:{crm.complaint_note}"]
        assert h.calls[0].outcome == "not_now"
        assert h.calls[0].reasons == ("delivery_reliability",)
        assert h.account_record.fields["owner"] == "Jan Wagner"


def test_as_of_hides_the_future(store: Store, crm: Crm) -> None:
    with store.session() as s:
        h = retrieve(s, crm.acme, "K-100", date(2024, 12, 31))
        assert len(h.orders) == 2
        assert h.notes == [] and h.calls == []


def test_empty_account_is_empty(store: Store, crm: Crm) -> None:
    with store.session() as s:
        h = retrieve(s, crm.acme, "K-300", AS_OF)
        assert h.is_empty and h.last_order is None and h.top_products == []


def test_records_are_scoped_to_the_tenant(store: Store, crm: Crm) -> None:
    with store.session() as s:
        assert load_record(s, crm.acme, f"note:{crm.complaint_note}") is not None
        assert load_record(s, crm.acme, f"note:{crm.other_note}") is None
        assert load_record(s, crm.acme, "note:999999") is None
        assert load_record(s, crm.acme, "bogus:1") is None
        book = RecordBook(s, crm.acme)
        line = load_record(s, crm.acme, f"order:{crm.last_order}")
        assert line is not None and line.fields["external_id"] == "A-2025-1"
        assert book.get(f"account:{crm.de_account}").fields["name"] == "Meier Drehteile GmbH"


@pytest.mark.local_model
def test_semantic_hits_are_deduplicated_dated_and_account_scoped(
    store: Store, crm: Crm, index: HistoryIndex
) -> None:
    with store.session() as s:
        rebuild(s, index, crm.acme)
        h = retrieve(s, crm.acme, "K-100", AS_OF, index=index, k=8)
    ids = [hit.chunk.source_id for hit in h.hits]
    assert len(ids) == len(set(ids))
    assert f"note:{crm.complaint_note}" in ids
    assert all(hit.chunk.account_id == crm.de_account for hit in h.hits)
    days = [hit.chunk.day for hit in h.hits]
    assert days == sorted(days, reverse=True)
    with store.session() as s:
        early = retrieve(s, crm.acme, "K-100", date(2025, 1, 1), index=index)
    assert early.hits == []

"""The grounding checker: cited records exist, numbers/dates/products/names occur in them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from agent.brief.grounding import check_claim, mentions, number_candidates
from agent.brief.schema import Claim
from agent.crm.db import Store
from agent.history.records import RecordBook
from tests.history.fixtures import Crm


def test_mentions_reads_german_and_english_dates_numbers_and_products() -> None:
    m = mentions("Letzte Bestellung am 20.05.2025 (F3), 1.234,50 € für VB-1001; seit März 2025.")
    assert m.dates == {date(2025, 5, 20)}
    assert m.months == {(2025, 3)}
    assert m.skus == {"VB-1001"}
    assert [t for t, _ in m.numbers] == ["1.234,50"]
    m = mentions("Last order on 2025-05-20 and on May 3, 2024, EUR 1,234.50 from 2 orders.")
    assert m.dates == {date(2025, 5, 20), date(2024, 5, 3)}
    assert [t for t, _ in m.numbers] == ["1,234.50", "2"]


def test_number_candidates_cover_both_notations() -> None:
    assert number_candidates("1.234,50") == {Decimal("1234.50")}
    assert number_candidates("1,234.50") == {Decimal("1234.50")}
    assert number_candidates("1,5") == {Decimal("1.5")}
    assert number_candidates("2024") == {Decimal("2024")}


def _check(store: Store, crm: Crm, text: str, sources: list[str], **kw) -> list[str]:  # type: ignore[no-untyped-def]
    with store.session() as s:
        return check_claim(Claim(text=text, sources=sources), RecordBook(s, crm.acme), **kw)


def test_supported_claims_pass(store: Store, crm: Crm) -> None:
    order = f"order:{crm.last_order}"
    assert _check(store, crm, "Letzte Bestellung am 20.05.2025 über 192,60 €.", [order]) == []
    assert _check(store, crm, "Last order on 2025-05-20, A-2025-1, EUR 192.60.", [order]) == []
    assert _check(store, crm, "Im Mai 2025 rund 193 € bestellt.", [order]) == []


def test_aggregates_of_cited_records_pass(store: Store, crm: Crm) -> None:
    with store.session() as s:
        from agent.history.retrieval import retrieve
        from tests.history.fixtures import AS_OF

        h = retrieve(s, crm.acme, "K-100", AS_OF)
        ids = list(h.revenue_by_year[0].order_ids)
    assert _check(store, crm, "Umsatz 2024: 873,00 € aus 2 Bestellungen.", ids) == []
    problems = _check(store, crm, "Umsatz 2024: 900,00 € aus 3 Bestellungen.", ids)
    assert "number 900,00 is not in the cited records" in problems
    assert "number 3 is not in the cited records" in problems


def test_unsupported_claims_fail(store: Store, crm: Crm) -> None:
    order = f"order:{crm.last_order}"
    assert _check(store, crm, "Letzte Bestellung am 21.05.2025.", [order]) == [
        "date 2025-05-21 is not in the cited records"
    ]
    assert _check(store, crm, "Er kaufte VB-1001.", [order]) == [
        "product VB-1001 is not in the cited records"
    ]
    assert _check(store, crm, "Umsatz 999.999 €.", []) == ["states facts without citing a record"]
    assert _check(store, crm, "Alles ruhig.", [], require_source=True) == [
        "states facts without citing a record"
    ]
    assert _check(store, crm, "Notiz.", ["note:999999"]) == [
        "cites note:999999, which does not exist"
    ]
    # A record of another tenant does not exist for this one.
    assert _check(store, crm, "Notiz.", [f"note:{crm.other_note}"]) == [
        f"cites note:{crm.other_note}, which does not exist"
    ]
    assert _check(
        store, crm, "Herr Turner hat angerufen.", [order], names=["Mark Turner", "Turner"]
    ) == ["name Turner is not in the cited records"]


def test_plain_advice_without_facts_needs_no_source(store: Store, crm: Crm) -> None:
    assert _check(store, crm, "Fragen Sie nach der Zufriedenheit.", []) == []

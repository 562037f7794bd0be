"""Key facts by code: formatting per language, and every fact passes the grounding check."""

from __future__ import annotations

from decimal import Decimal

from agent.brief.facts import build_facts, fmt_money, fmt_qty
from agent.brief.grounding import check_claim
from agent.brief.reasons import call_decision, hypotheses
from agent.brief.schema import Claim
from agent.crm.db import Store
from agent.history.records import RecordBook
from agent.history.retrieval import retrieve
from tests.history.fixtures import AS_OF, Crm


def test_formatting() -> None:
    assert fmt_money(Decimal("12345.6"), "EUR", "de") == "12.345,60 €"
    assert fmt_money(Decimal("12345.6"), "EUR", "en") == "EUR 12,345.60"
    assert fmt_qty(1500.0, "de") == "1.500" and fmt_qty(2.5, "de") == "2,50"


def test_facts_are_grounded_and_cover_the_essentials(store: Store, crm: Crm) -> None:
    with store.session() as s:
        h = retrieve(s, crm.acme, "K-100", AS_OF)
        facts = build_facts(h, "de")
        book = RecordBook(s, crm.acme)
        names = ["Susanne Pfeiffer", "Jan Wagner"]
        for fact in facts:
            assert check_claim(Claim(text=fact.text, sources=fact.sources), book, names) == [], fact
    texts = {f.topic: f.text for f in facts}
    assert texts["last_order"] == "Letzte Bestellung am 20.05.2025 (Auftrag A-2025-1, 192,60 €)"
    assert texts["orders"] == "3 Bestellungen zwischen 04.03.2024 und 20.05.2025"
    assert "Umsatz 2024: 873,00 € aus 2 Bestellungen" in [f.text for f in facts]
    assert texts["complaint"] == "Offene Reklamation vom 02.04.2025: Lieferverzug"
    assert "Betreuer: Jan Wagner" in texts["account"]
    assert [f.id for f in facts] == [f"F{i}" for i in range(1, len(facts) + 1)]


def test_english_facts(store: Store, crm: Crm) -> None:
    with store.session() as s:
        facts = build_facts(retrieve(s, crm.acme, "K-200", AS_OF), "en")
    assert "Last order on 2025-02-03 (order B-2025-1, EUR 119.60)" in [f.text for f in facts]


def test_hypotheses_and_call_decision(store: Store, crm: Crm) -> None:
    with store.session() as s:
        h = retrieve(s, crm.acme, "K-100", AS_OF)
        hyps = hypotheses(h)
        assert hyps[0].code == "delivery_reliability" and hyps[0].confidence >= 0.8
        assert {e.source for e in hyps[0].evidence} >= {
            f"call_note:{crm.call_note}",
            f"note:{crm.complaint_note}",
        }
        assert call_decision(h, hyps, "de", 12)[0] is True
        # Ten months after the last order the customer is not lapsed yet.
        from datetime import date

        recent = retrieve(s, crm.acme, "K-100", date(2026, 3, 20))
        ok, reason = call_decision(recent, hypotheses(recent), "de", 12)
        assert not ok and reason.startswith("Kein Rückgewinnungsfall")


def test_written_off_account_is_not_called_again(store: Store, crm: Crm) -> None:
    from datetime import date

    from agent.crm.models import CallNote, CallOutcome, NoteStatus

    with store.session() as s:
        s.add(
            CallNote(
                tenant_id=crm.acme,
                account_id=crm.de_account,
                call_date=date(2026, 3, 1),
                status=NoteStatus.approved,
                outcome=CallOutcome.lost,
                summary="Kunde hat dauerhaft zu einem anderen Lieferanten gewechselt.",
            )
        )
    with store.session() as s:
        h = retrieve(s, crm.acme, "K-100", AS_OF)
        ok, reason = call_decision(h, hypotheses(h), "de", 12)
    assert not ok
    assert reason == (
        "Nicht anrufen: Beim Anruf am 01.03.2026 wurde ein dauerhafter Grund genannt "
        "(Ergebnis 'lost'); der Kunde ist abgeschrieben."
    )

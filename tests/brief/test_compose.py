"""Situation and talking points by code: grounded, in the account's language, and correct."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from agent.brief.compose import clip, item_name, situation, talking_points
from agent.brief.facts import fmt_money
from agent.brief.grounding import check_claim, mentions
from agent.brief.reasons import call_decision, hypotheses
from agent.brief.schema import Claim
from agent.crm.db import Store
from agent.crm.models import Order, OrderLine
from agent.history.records import RecordBook
from agent.history.retrieval import AccountHistory, retrieve
from agent.language import guess_language
from tests.history.fixtures import AS_OF, Crm


def _names(history: AccountHistory) -> list[str]:
    """Person names the checker insists are cited (contacts and the owner)."""
    names = [str(c.fields["name"]) for c in history.contacts if c.fields.get("name")]
    if history.account.owner:
        names.append(history.account.owner.name)
    return names


def _problems(
    claims: list[Claim], s: Session, history: AccountHistory, require_source: bool
) -> dict[str, list[str]]:
    """Grounding problems per failing claim (empty when every claim passes)."""
    book = RecordBook(s, history.tenant_id)
    names = _names(history)
    out: dict[str, list[str]] = {}
    for claim in claims:
        problems = check_claim(claim, book, names, require_source=require_source)
        if problems:
            out[claim.text] = problems
    return out


def _add_order(
    s: Session, crm: Crm, account_id: int, ext: str, day: date, sku: str, desc: str, price: str
) -> None:
    """One order with one line of quantity 1 (for revenue shapes the fixture lacks)."""
    amount = Decimal(price)
    order = Order(
        tenant_id=crm.acme,
        account_id=account_id,
        external_id=ext,
        order_date=datetime.combine(day, datetime.min.time()),
        total_amount=amount,
    )
    order.lines.append(
        OrderLine(
            line_no=1, sku=sku, description=desc, quantity=1.0, unit_price=amount, amount=amount
        )
    )
    s.add(order)


@pytest.mark.parametrize(("account", "lang"), [("K-100", "de"), ("K-200", "en")])
def test_composed_claims_are_grounded_and_in_the_accounts_language(
    store: Store, crm: Crm, account: str, lang: str
) -> None:
    with store.session() as s:
        h = retrieve(s, crm.acme, account, AS_OF)
        hyps = hypotheses(h)
        sit = situation(h, hyps, lang)
        points = talking_points(h, hyps, lang)
        assert _problems(sit, s, h, require_source=True) == {}
        assert _problems(points, s, h, require_source=False) == {}
    assert 3 <= len(sit) <= 5, [c.text for c in sit]
    assert 3 <= len(points) <= 5, [c.text for c in points]
    assert all(c.sources for c in sit)
    assert guess_language(" ".join(c.text for c in sit)) == lang
    assert guess_language(" ".join(c.text for c in points)) == lang


def test_german_content_cites_the_records_it_names(store: Store, crm: Crm) -> None:
    with store.session() as s:
        h = retrieve(s, crm.acme, "K-100", AS_OF)
        hyps = hypotheses(h)
        sit = situation(h, hyps, "de")
        points = talking_points(h, hyps, "de")
    last = h.orders[-1]
    assert last.source_id == f"order:{crm.last_order}"

    lapse = sit[0]
    assert "seit über einem Jahr nicht mehr bestellt" in lapse.text
    assert "20.05.2025" in lapse.text and "A-2025-1" in lapse.text and "192,60 €" in lapse.text
    assert f"order:{crm.last_order}" in lapse.sources
    assert lapse.sources == [h.account_record.source_id, f"order:{crm.last_order}"]

    # 2024 (873,00 €) was the best year; 2025 brought only 192,60 €.
    best, latest = h.revenue_by_year[0], h.revenue_by_year[-1]
    assert best.amount > latest.amount
    best_sentence = [c for c in sit if "umsatzstärkste Jahr war 2024" in c.text]
    assert len(best_sentence) == 1
    assert best_sentence[0].sources == list(best.order_ids)
    assert fmt_money(best.amount, "EUR", "de") in best_sentence[0].text
    lower = [c for c in sit if "nur noch" in c.text]
    assert len(lower) == 1
    assert lower[0].text == "2025 waren es nur noch 192,60 € aus 1 Bestellung."
    assert lower[0].sources == list(latest.order_ids) == [f"order:{crm.last_order}"]

    # The open complaint: in the situation, and the first talking point.
    complaint = f"note:{crm.complaint_note}"
    assert [n.source_id for n in h.open_complaints] == [complaint]
    in_situation = [c for c in sit if complaint in c.sources]
    assert len(in_situation) == 1
    assert in_situation[0].sources == [complaint]
    assert "02.04.2025" in in_situation[0].text and "Lieferverzug" in in_situation[0].text
    assert points[0].sources == [complaint]
    assert points[0].text.startswith("Die Reklamation vom 02.04.2025 ansprechen")

    # The decline point cites both years it compares.
    decline = [p for p in points if p.text.startswith("Nach dem Rückgang seit 2024")]
    assert len(decline) == 1
    assert set(decline[0].sources) == set(best.order_ids) | set(latest.order_ids)


def test_english_content(store: Store, crm: Crm) -> None:
    with store.session() as s:
        h = retrieve(s, crm.acme, "K-200", AS_OF)
        hyps = hypotheses(h)
        sit = situation(h, hyps, "en")
    lapse = sit[0]
    assert lapse.text == (
        "Midlands Tools Ltd has not ordered for over a year; the last order was on 2025-02-03 "
        "(order B-2025-1, EUR 119.60)."
    )
    assert lapse.sources[-1] == h.orders[-1].source_id
    # One year of revenue only: nothing to compare, so no "only" sentence.
    assert "Revenue 2025: EUR 119.60 from 1 order." in [c.text for c in sit]
    assert not any(" only " in c.text for c in sit)


def test_english_decline_cites_only_the_latest_years_orders(store: Store, crm: Crm) -> None:
    with store.session() as s:
        _add_order(
            s, crm, crm.en_account, "B-2024-1", date(2024, 6, 10), "SM-3001", "Cutting disc", "500"
        )
    with store.session() as s:
        h = retrieve(s, crm.acme, "K-200", AS_OF)
        hyps = hypotheses(h)
        sit = situation(h, hyps, "en")
        assert _problems(sit, s, h, require_source=True) == {}
    latest = h.revenue_by_year[-1]
    lower = [c for c in sit if " only " in c.text]
    assert [c.text for c in lower] == ["In 2025 it was only EUR 119.60 from 1 order."]
    assert lower[0].sources == list(latest.order_ids)
    assert "The best year was 2024 with EUR 500.00 from 1 order." in [c.text for c in sit]


def test_no_decline_is_claimed_when_the_latest_year_equals_the_best(store: Store, crm: Crm) -> None:
    # 2025 gets a second order that brings it to 2024's 873,00 €: a tie, not a decline.
    with store.session() as s:
        _add_order(
            s, crm, crm.de_account, "A-2025-2", date(2025, 4, 1), "ZW-2003", "Fräser", "680.40"
        )
    with store.session() as s:
        h = retrieve(s, crm.acme, "K-100", AS_OF)
        hyps = hypotheses(h)
        sit = situation(h, hyps, "de")
        points = talking_points(h, hyps, "de")
    assert h.revenue_by_year[0].amount == h.revenue_by_year[-1].amount == Decimal("873.00")
    assert not any("nur noch" in c.text for c in sit), [c.text for c in sit]
    assert not any("Rückgang" in p.text for p in points), [p.text for p in points]


@pytest.mark.parametrize(
    ("as_of", "gap"),
    [
        (AS_OF, "seit über einem Jahr"),  # 2025-05-20 -> 2026-11-02: 1 year 5 months
        (date(2027, 5, 21), "seit über zwei Jahren"),  # 2 years and a day
        (date(2027, 5, 2), "seit über einem Jahr"),  # 18 days short of two years
    ],
)
def test_lapse_wording_matches_the_time_since_the_last_order(
    store: Store, crm: Crm, as_of: date, gap: str
) -> None:
    with store.session() as s:
        h = retrieve(s, crm.acme, "K-100", as_of)
        hyps = hypotheses(h)
        # A real win-back case with the default 12 months, so this sentence is written.
        assert call_decision(h, hyps, "de", 12)[0] is True
        lapse = situation(h, hyps, "de")[0]
    assert lapse.text.startswith(f"Meier Drehteile GmbH hat {gap} nicht mehr bestellt"), lapse.text


def test_checker_catches_a_composed_claim_with_wrong_sources(store: Store, crm: Crm) -> None:
    with store.session() as s:
        h = retrieve(s, crm.acme, "K-100", AS_OF)
        sit = situation(h, hypotheses(h), "de")
        book = RecordBook(s, crm.acme)
        names = _names(h)
        lapse = sit[0]
        assert check_claim(lapse, book, names, require_source=True) == []

        unsourced = Claim(text=lapse.text, sources=[])
        assert check_claim(unsourced, book, names, require_source=True) == [
            "states facts without citing a record"
        ]

        first_order = h.orders[0].source_id
        assert first_order != f"order:{crm.last_order}"
        wrong_order = Claim(text=lapse.text, sources=[h.account_record.source_id, first_order])
        problems = check_claim(wrong_order, book, names, require_source=True)
        assert "date 2025-05-20 is not in the cited records" in problems
        assert "number 192,60 is not in the cited records" in problems

        # The "nur noch" sentence citing the best year's orders instead of the latest's.
        lower = next(c for c in sit if "nur noch" in c.text)
        swapped = Claim(text=lower.text, sources=list(h.revenue_by_year[0].order_ids))
        assert check_claim(swapped, book, names, require_source=True) != []

        missing = Claim(text=lower.text, sources=["order:999999"])
        assert "cites order:999999, which does not exist" in check_claim(
            missing, book, names, require_source=True
        )


def test_insolvent_account(store: Store, crm: Crm) -> None:
    with store.session() as s:
        h = retrieve(s, crm.acme, "K-400", AS_OF)
        hyps = hypotheses(h)
        sit = situation(h, hyps, "de")
        points = talking_points(h, hyps, "de")
        assert _problems(sit, s, h, require_source=True) == {}
        assert _problems(points, s, h, require_source=False) == {}
    assert 3 <= len(sit) <= 5 and 1 <= len(points) <= 5
    account = f"account:{crm.insolvent_account}"
    status = [c for c in sit if "„insolvent“" in c.text]
    assert len(status) == 1 and status[0].sources == [account]
    assert "01.06.2026" in status[0].text
    assert "seit über zwei Jahren" in sit[0].text and "C-2024-1" in sit[0].text
    assert guess_language(" ".join(c.text for c in sit)) == "de"


def test_empty_account(store: Store, crm: Crm) -> None:
    with store.session() as s:
        h = retrieve(s, crm.acme, "K-300", AS_OF)
        assert h.is_empty
        hyps = hypotheses(h)
        sit = situation(h, hyps, "de")
        points = talking_points(h, hyps, "de")
        assert _problems(sit, s, h, require_source=True) == {}
        assert _problems(points, s, h, require_source=False) == {}
    assert len(sit) <= 5 and 1 <= len(points) <= 5
    # No orders: nothing may speak of an order, a year's revenue or a date.
    for claim in sit + points:
        assert not any(src.startswith("order") for src in claim.sources)
        assert not mentions(claim.text).dates and not mentions(claim.text).numbers


@pytest.mark.parametrize(
    ("description", "name"),
    [
        ("VB-1007 Blindniet Alu/Stahl 4,0x10, 500 Stk.", "Blindniet Alu/Stahl"),
        ("SC-4002 Schneidöl für Gewindeschneiden, 5 l", "Schneidöl für Gewindeschneiden"),
        ("Sechskantschraube DIN 933 M8x30", "Sechskantschraube"),
        ("VHM-Schaftfräser 10 mm", "VHM-Schaftfräser"),
        ("Cutting disc 125 mm, 25 pcs", "Cutting disc"),
        ("12345 678, 10 Stk.", "12345 678"),  # nothing but numbers: the head stays
    ],
)
def test_item_name(description: str, name: str) -> None:
    assert item_name(description) == name


def test_clip_short_text_is_unchanged_but_on_one_line() -> None:
    assert clip("Lieferverzug", 90) == "Lieferverzug"
    assert clip("  Liefer-\n verzug  ", 90) == "Liefer- verzug"
    assert clip(None, 10) == ""
    assert clip("Preis 12.345,67 € zu hoch", 25) == "Preis 12.345,67 € zu hoch"


def test_clip_cuts_at_a_word_and_never_inside_a_number() -> None:
    assert clip("Preis 12.345,67 € zu hoch", 12) == "Preis …"
    assert clip("Preis 12.345,67 € zu hoch", 17) == "Preis 12.345,67 …"
    for text in (
        "Preis 12.345,67 € zu hoch",
        "Lieferung zu Auftrag A-2024-2 kam 12 Tage zu spät, am 02.04.2025 reklamiert.",
        "Kunde: 1.250 Stk. à 0,85 €; Rabatt 3,5 % – nicht akzeptiert",
    ):
        words = text.split()
        source_numbers = {token for token, _ in mentions(text).numbers}
        source_dates = mentions(text).dates
        for limit in range(len(words[0]), len(text)):
            out = clip(text, limit)
            assert out.endswith(" …"), (limit, out)
            body = out.removesuffix(" …")
            assert len(body) <= limit
            kept = body.split()
            # Whole words only (the last one may lose trailing punctuation).
            assert kept[:-1] == words[: len(kept) - 1], (limit, out)
            assert words[len(kept) - 1].startswith(kept[-1]), (limit, out)
            found = mentions(body)
            assert {t for t, _ in found.numbers} <= source_numbers, (limit, out)
            assert found.dates <= source_dates, (limit, out)

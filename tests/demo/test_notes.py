"""Notes tell each account's churn story and agree with its order dates."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest

from agent.demo import DEMO_AS_OF, DemoData, generate

KEY_WORDS = {
    "delivery_reliability": r"spät|Lieferverzug|unvollständig|late|incomplete",
    "delivery_speed": r"Lieferzeit|Tagen geliefert|lead time",
    "product_quality": r"mangelhaft|Mängel|Maßabweichung|scrap|returned",
    "service_neglect": r"ausgeschieden|Weggang|left the company",
    "poor_treatment": r"schroff|Ton am Telefon|brushed off",
    "price_terms": r"Preiserhöhung|price increase",
    "competitor_offer": r"Angebot von|offer from",
    "buyer_change": r"Einkaufsleiter|purchasing manager",
    "insolvency": r"Zahlungsverzug|overdue",
    "need_gone": r"Fertigung um|laser cutting",
}


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate(7)


def test_note_ids_unique_and_kinds_varied(data: DemoData) -> None:
    ids = [n.external_id for n in data.notes]
    assert len(set(ids)) == len(ids)
    kinds = Counter(n.kind for n in data.notes)
    assert set(kinds) == {"note", "call", "visit", "email", "complaint", "meeting"}
    assert len({n.body for n in data.notes}) > 0.9 * len(data.notes)


def test_notes_are_in_the_account_language(data: DemoData) -> None:
    for note in data.notes:
        assert note.language == data.account(note.account_external_id).language
        assert "{" not in note.body


def test_key_note_shows_the_cause(data: DemoData) -> None:
    notes = {n.external_id: n for n in data.notes}
    with_key = 0
    for account in data.lapsed_accounts():
        scenario = account.scenario
        if scenario.silent:
            assert scenario.key_note_id is None
            continue
        key = notes[scenario.key_note_id or ""]
        with_key += 1
        assert key.account_external_id == account.external_id
        assert re.search(KEY_WORDS[scenario.cause or ""], key.body), key.body
    assert with_key >= 0.7 * len(data.lapsed_accounts())


def test_some_lapsed_accounts_have_no_notes_at_all(data: DemoData) -> None:
    silent = [a for a in data.lapsed_accounts() if a.scenario.silent]
    assert silent
    with_notes = {n.account_external_id for n in data.notes}
    assert not any(a.external_id in with_notes for a in silent)


def test_notes_agree_with_order_dates(data: DemoData) -> None:
    for note in data.notes:
        account = data.account(note.account_external_id)
        assert account.first_order is not None and account.last_order is not None
        day = note.occurred_at.date()
        assert day < DEMO_AS_OF
        if not account.scenario.lapsed:
            continue
        if note.kind == "complaint":
            assert day <= account.last_order + timedelta(days=183), note.external_id
        if day > account.last_order:
            # After the last order only follow-up calls and status notices.
            assert note.kind in {"call", "note"}, note.external_id
            assert not re.search(r"Liefer|deliver", note.body), note.body


def test_price_terms_notes_follow_the_announcement(data: DemoData) -> None:
    notes = {n.external_id: n for n in data.notes}
    for account in data.lapsed_accounts():
        if account.scenario.cause == "price_terms" and account.scenario.key_note_id:
            assert notes[account.scenario.key_note_id].occurred_at.year == 2025


def test_at_most_two_prompt_injections(data: DemoData) -> None:
    hits = [n for n in data.notes if re.search(r"Ignore all previous|Ignoriere alle", n.body)]
    assert 1 <= len(hits) <= 2
    marked = {a.scenario.injection_note_id for a in data.accounts} - {None}
    assert marked == {n.external_id for n in hits}

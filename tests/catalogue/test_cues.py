"""Cue words: whole words only, wildcards where the cue says so, negation within the clause."""

from __future__ import annotations

import pytest

from agent.catalogue.cues import CueMatcher, claim_matcher, matcher, reason_matcher
from agent.catalogue.vocabulary import vocabulary


def codes(text: str, language: str = "de") -> set[str]:
    return set(reason_matcher(language).codes(text))


@pytest.mark.parametrize(
    ("text", "language", "absent"),
    [
        ("Can you translate the manual for us?", "en", "delivery_reliability"),  # "late"
        ("Herr Mustermann hat uns gut betreut.", "de", "send_sample"),  # "muster"
        ("Please bring the invoice along.", "en", "schedule_call"),  # "ring"
    ],
)
def test_no_substring_matches(text: str, language: str, absent: str) -> None:
    found = set(reason_matcher(language).codes(text)) | set(matcher("step", language).codes(text))
    assert absent not in found


def test_wildcards_cover_endings_and_compounds() -> None:
    assert "delivery_reliability" in codes("Die Ware kam verspätet.")
    assert "delivery_speed" in codes("Ihre Standardlieferzeiten sind zu lang.")
    assert "product_quality" in codes("the parts were defective", "en")


def test_negation_in_the_clause_of_the_cue() -> None:
    hits = {h.code: h.negated for h in reason_matcher("de").find(
        "Am Preis lag es nicht, sondern an der Qualität."
    )}  # fmt: skip
    assert hits == {"price_terms": True, "product_quality": False}
    assert "product_quality" not in codes("We didn't have any quality problems.", "en")
    assert "price_terms" in codes("Das war nicht nur der Preis, auch die Lieferzeit.")


def test_a_negation_that_is_part_of_the_cue_does_not_negate_it() -> None:
    assert "delivery_reliability" in codes("Die Lieferungen kamen nicht rechtzeitig.")


def test_single_word_wildcard_and_positions() -> None:
    matcher = CueMatcher({"call": ["ruf* * an"]}, vocabulary().languages["de"])
    [hit] = matcher.find("Ich rufe Sie an.")
    assert (hit.code, hit.negated) == ("call", False)
    assert "Ich rufe Sie an."[hit.start : hit.end] == "rufe Sie an"


def test_claims_of_orders_and_discounts() -> None:
    assert set(claim_matcher("de").codes("Der Kunde hat bestellt und bekommt 10 % Rabatt.")) == {
        "order",
        "discount",
    }
    assert claim_matcher("de").codes("Es wurde keine Bestellung aufgegeben.") == {}

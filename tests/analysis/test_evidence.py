"""Evidence must be the customer's verbatim words (normalised), never the rep's."""

from __future__ import annotations

from agent.analysis.evidence import (
    find_quote,
    ground_labels,
    is_grounded,
    normalise,
    quote_from_turn,
)
from agent.analysis.schema import ReasonLabel, Turn

TURNS = [
    Turn(speaker="rep", text="Lag es vielleicht am Preis?"),
    Turn(
        speaker="customer",
        text="Nein. Die Lieferungen kamen dreimal  zu spät,\nund keiner hat sich gemeldet!",
    ),
    Turn(speaker="customer", text="Der Preis war „völlig“ in Ordnung."),
]


def test_normalise_ignores_case_whitespace_and_punctuation() -> None:
    assert normalise("  Die  LIEFERUNGEN,\nkamen… ") == "die lieferungen kamen"
    assert normalise("„völlig“") == normalise('"völlig"') == "völlig"


def test_quote_found_in_customer_turn_despite_formatting() -> None:
    assert find_quote("die Lieferungen kamen dreimal zu spät und keiner", TURNS) == 1
    assert find_quote('Preis war "völlig" in Ordnung', TURNS) == 2


def test_rep_words_are_not_evidence() -> None:
    assert find_quote("Lag es vielleicht am Preis", TURNS) is None
    assert find_quote("Lag es vielleicht am Preis", TURNS, speaker="rep") == 0
    assert not is_grounded("Lag es vielleicht am Preis?", TURNS)


def test_invented_or_partial_word_quotes_fail() -> None:
    assert not is_grounded("Die Lieferungen kamen viermal zu spät", TURNS)
    assert not is_grounded("ieferungen kamen dreimal", TURNS)  # cut inside a word
    assert not is_grounded("zu", TURNS)  # too short to prove anything
    assert not is_grounded(None, TURNS)


def test_ground_labels_keeps_grounded_and_explains_dropped() -> None:
    labels = [
        ReasonLabel(code="delivery_reliability", evidence="kamen dreimal zu spät"),
        ReasonLabel(code="price_terms", evidence="Lag es vielleicht am Preis?"),
        ReasonLabel(code="product_quality", evidence="Die Ware war schlecht"),
        ReasonLabel(code="service_neglect"),
    ]
    kept, warnings = ground_labels(labels, TURNS)
    assert [k.code for k in kept] == ["delivery_reliability"]
    assert kept[0].turn == 1
    assert len(warnings) == 3
    assert "said by the rep" in warnings[0]
    assert "does not occur" in warnings[1]
    assert "no evidence" in warnings[2]


def test_quote_from_turn_is_a_verbatim_substring() -> None:
    long_turn = (
        "Also, das war so. Wir hatten jahrelang keine Probleme. "
        "Dann kamen im Frühjahr drei Lieferungen mehr als zwei Wochen zu spät. "
        "Und am Telefon hat man uns vertröstet. " * 3
    )
    quote = quote_from_turn(long_turn, ("spät", "liefer"))
    assert quote in long_turn
    assert "zu spät" in quote
    assert len(quote) <= 300
    short = "Zu teuer."
    assert quote_from_turn(short) == short

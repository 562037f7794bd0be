"""Sentences are verbatim slices of their turn; unpunctuated speech is cut into pieces."""

from __future__ import annotations

from agent.analysis.schema import Turn
from agent.analysis.sentences import MAX_WORDS, sentences, split_turn


def test_sentences_are_verbatim_slices_with_speaker_and_position() -> None:
    turns = [
        Turn(speaker="rep", text="Guten Tag! Wie geht es Ihnen?"),
        Turn(speaker="customer", text="Gut.  Die Lieferungen kamen zu spät … leider."),
    ]
    cut = sentences(turns)
    assert [s.text for s in cut] == [
        "Guten Tag!", "Wie geht es Ihnen?", "Gut.", "Die Lieferungen kamen zu spät …", "leider.",
    ]  # fmt: skip
    for s in cut:
        assert turns[s.turn].text[s.start : s.end] == s.text
    assert cut[0].position == 0.0 and cut[-1].position == 1.0
    assert cut[-1].speaker == "customer"


def test_long_unpunctuated_speech_is_cut_into_pieces() -> None:
    text = " ".join(f"wort{i}" for i in range(100))
    spans = split_turn(text)
    assert len(spans) >= 3
    assert all(len(text[a:b].split()) <= MAX_WORDS for a, b in spans)
    assert " ".join(text[a:b] for a, b in spans) == text


def test_empty_and_blank_turns_give_no_sentences() -> None:
    assert sentences([Turn(speaker="customer", text="   ")]) == []

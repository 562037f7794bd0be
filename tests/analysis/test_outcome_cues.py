"""The outcome phrase rules in the order of GUIDELINES §2."""

from __future__ import annotations

import pytest

from agent.analysis.outcome_cues import decide
from agent.analysis.schema import Turn


def call(*lines: str) -> list[Turn]:
    """Alternating rep/customer turns, starting with the rep."""
    return [Turn(speaker="rep" if i % 2 == 0 else "customer", text=t) for i, t in enumerate(lines)]


@pytest.mark.parametrize(
    ("turns", "outcome", "rule"),
    [
        (call("Ich möchte Frau Pfeil sprechen.", "Frau Pfeil hat uns letzten Sommer verlassen."),
         "not_reached", "no decision-maker reached"),
        (call("Hi, it's Ben.", "Hi, this is Fiona. I'm away from my desk, leave a message."),
         "not_reached", "no decision-maker reached"),
        (call("Wie geht es?", "Wir haben Insolvenz angemeldet, Bestellen werde ich nichts."),
         "disqualified", "cannot buy any more"),
        (call("Wie geht es?", "Ab April gibt es die Gartenbau Fehr nicht mehr."),
         "disqualified", "cannot buy any more"),
        (call("Passt das?", "Na dann. Schreiben Sie mit: dreißig Kilo Zartbitter."),
         "reactivated", "order with a quantity"),
        (call("Shall we?", "Let's do it. Four drums of the white gelcoat."),
         "reactivated", "order with a quantity"),
        (call("Noch einmal?", "Bei Ihnen bestelle ich nichts mehr, nie wieder. Zwei Jahre Ärger."),
         "lost", "lasting refusal"),
        (call("Can we talk?", "The decision is made, and it is final. We will not come back."),
         "lost", "lasting refusal"),
        (call("Darf ich ein Angebot schicken?", "Ja, schicken Sie mir ein Angebot."),
         "follow_up", "step towards business agreed"),
        (call("Und jetzt?", "Im Moment nicht. Melden Sie sich im März.", "Mach ich.", "Tschüss."),
         "not_now", "not now, door open"),
    ],
)  # fmt: skip
def test_rules_in_guideline_order(turns: list[Turn], outcome: str, rule: str) -> None:
    decided = decide(turns)
    assert decided is not None
    assert (decided.outcome, decided.rule) == (outcome, rule)
    assert decided.turn is not None and 0 <= decided.turn < len(turns)


def test_the_rep_saying_someone_left_is_not_a_missed_contact() -> None:
    turns = call("Herr Kranz ist übrigens nicht mehr bei uns.", "Gut. Was bieten Sie mir an?")
    assert decide(turns) is None


def test_an_order_beats_an_absent_colleague_mentioned_in_passing() -> None:
    turns = call("Ist Herr Wolf da?", "Der ist im Urlaub, aber ich bestelle: zwanzig Rollen.")
    decided = decide(turns)
    assert decided is not None and decided.outcome == "reactivated"


def test_a_step_or_a_not_now_counts_only_near_the_end() -> None:
    # "im Herbst" in the story at the start is history, not a "not now" at the end.
    turns = call("Was war los?", "Im Herbst kam ein Angebot von der Konkurrenz.", "Verstehe.",
                 "Ja.", "Alles klar.", "Tschüss.")  # fmt: skip
    assert decide(turns) is None

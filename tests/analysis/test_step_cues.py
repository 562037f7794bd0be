"""Next steps checked and completed by the words of the call."""

from __future__ import annotations

from agent.analysis import step_cues
from agent.analysis.schema import Turn


def turns(*pairs: tuple[str, str]) -> list[Turn]:
    return [Turn(speaker=s, text=t) for s, t in pairs]  # type: ignore[arg-type]


def test_a_step_type_needs_its_words_in_the_call() -> None:
    call = turns(("rep", "Ich rufe Sie am Freitag an."), ("customer", "Gut."))
    assert step_cues.said(call, "schedule_call")
    assert not step_cues.said(call, "send_sample")  # nobody spoke of a sample
    assert step_cues.said(call, "fix_issue")  # types without a gate always pass


def test_incentive_contact_visit_and_fix_are_found_by_their_words() -> None:
    call = turns(
        ("rep", "Für die erste Bestellung gebe ich Ihnen zehn Prozent Rabatt."),
        ("customer", "Schreiben Sie sich die Durchwahl von Herrn Yilmaz auf: vier eins sieben."),
        ("rep", "Unsere Technikerin kann am Donnerstag bei Ihnen sein."),
        ("rep", "Die falsche Rechnung lasse ich korrigieren, Sie bekommen eine Gutschrift."),
    )
    assert step_cues.found(call) == [
        ("offer_incentive", 0), ("update_contact", 1), ("schedule_visit", 2), ("fix_issue", 3),
    ]  # fmt: skip


def test_words_of_the_wrong_side_do_not_count() -> None:
    # The customer asking for a discount is not the rep granting one.
    call = turns(("customer", "Geben Sie uns fünfzig Prozent Rabatt!"), ("rep", "Nein."))
    assert step_cues.found(call) == []

"""Next steps checked and completed by the words of the call (GUIDELINES §3), in code.

The small local model names plausible steps that nobody agreed (a sample in
a call that never mentions one) and misses the ones it finds hard (an
incentive the rep grants, contact data to update, an internal fix). Two
rules, both applied in the ``rules`` design:

* a step type the model names is kept only if the call contains a word of
  that type (``GATE``): "Record every action that is agreed ... in the call";
* the rep granting an incentive, the customer giving new contact data and
  the rep promising an internal fix are found by their words (``FIND``).

Written from the guidelines' table of step types, then checked on the dev
set, whose figures are therefore optimistic.
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.analysis.outcome_cues import find_turn
from agent.analysis.schema import Turn

#: Words without which a step type cannot have been agreed in the call.
GATE: dict[str, tuple[str, ...]] = {
    "send_offer": (
        "angebot", "kalkulation", "preisliste", "konditionen", "offer", "quote", "quotation",
        "price list", "pricing",
    ),
    "schedule_call": (
        "anruf", "anrufen", "rufe", "ruf ", "telefon", "melde mich", "melden sie sich",
        "videocall", "teams", "call", "ring", "phone", "video",
    ),
    "schedule_visit": (
        "besuch", "vorbei", "vor ort", "komme zu ihnen", "kommt zu ihnen", "visit", "come by",
        "come over", "on site", "in person", "be in", "be with you",
    ),
    "send_sample": ("muster", "testmenge", "probelieferung", "sample", "trial"),
}  # fmt: skip

#: Step type -> (speakers whose words count, words). Owner is always our side ("rep").
FIND: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "offer_incentive": (frozenset({"rep"}), (
        "rabatt", "nachlass", "gratis", "frachtfrei", "ohne fracht", "versandkostenfrei",
        "sonderkondition", "bonus", "discount", "% off", "percent off", "free delivery",
        "free freight", "free shipping",
    )),
    "update_contact": (frozenset({"customer"}), (
        "durchwahl", "mailadresse", "e-mail-adresse", "neue nummer", "jetzt zuständig",
        "direct line", "email address", "new number", "now responsible", "extension",
    )),
    "schedule_visit": (frozenset({"rep", "customer"}), (
        "vorbeikommen", "vorbeischauen", "bei ihnen sein", "zu ihnen kommen", "besuchen sie",
        "come by", "visit you", "come and see you", "on site",
    )),
    "fix_issue": (frozenset({"rep"}), (
        "prüfen lassen", "lasse das prüfen", "untersuchen lassen", "rechnung korrigier",
        "gutschrift", "look into it", "investigate", "correct the invoice", "credit note",
    )),
}  # fmt: skip


def said(turns: Sequence[Turn], step_type: str) -> bool:
    """Whether the call contains a word without which ``step_type`` cannot have been agreed."""
    words = GATE.get(step_type)
    if words is None:
        return True  # types without a gate (fix_issue, incentives, contacts, none)
    return find_turn(turns, words, {"rep", "customer"}) is not None


def found(turns: Sequence[Turn]) -> list[tuple[str, int]]:
    """``(step type, 0-based turn)`` of every step the words alone show (owner: rep)."""
    hits = (
        (step_type, find_turn(turns, words, speakers))
        for step_type, (speakers, words) in FIND.items()
    )
    return [(step_type, index) for step_type, index in hits if index is not None]

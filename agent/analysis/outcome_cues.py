"""The outcome of a call from what was said, by the rules of GUIDELINES §2, in code.

The 1.5B local model does not answer the outcome questions reliably (on the
dev set it called almost every call "reactivated" when asked for a code, and
answered "no" to nearly every yes/no question). The decisions behind an
outcome are mostly about plain phrases, though: a voicemail or a contact
who has left, insolvency or closure, an order with a quantity, "never
again", "call me next year". This module checks those phrases in the order
of the guidelines and says which rule decided, so a reviewer sees why.

The phrase lists follow the guidelines' own examples and their usual German
and English variants. They were written for the guidelines, then checked
against the dev set; the dev-set figures are therefore optimistic, and new
phrasings need adding here when reviewers correct outcomes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence, Set
from dataclasses import dataclass

from agent.analysis.schema import Turn

#: Nobody who decides was reached (§2.1): a voicemail or switchboard (either side) ...
VOICEMAIL = (
    "mailbox", "anrufbeantworter", "nach dem signalton", "nachricht hinterlassen",
    "voicemail", "leave a message", "away from my desk", "after the tone",
)  # fmt: skip
#: ... or the person answering says the contact is away or gone (customer side only: a rep
#: saying "Ihr alter Betreuer ist nicht mehr bei uns" is about our side).
CONTACT_ABSENT = (
    "nicht mehr bei uns", "nicht mehr im haus", "nicht mehr in der firma",
    "no longer with us", "has left the company", "left the company", "no longer works here",
    "kann ich was ausrichten", "kann ich etwas ausrichten", "soll ich was ausrichten",
    "take a message", "can i take a message",
    "ist im urlaub", "im skiurlaub", "ist krank", "ist nicht da", "nicht am platz",
    "is on holiday", "is on leave", "is off sick", "not at his desk", "not at her desk",
    "not picking up", "geht nicht ans telefon",
)  # fmt: skip
_LEFT = re.compile(r"\bhat uns (?:\w+ ){0,3}verlassen\b|\bleft us (?:\w+ ){0,3}(?:ago|in)\b")
#: The account cannot buy any more (§2.2): proceedings, closure, group mandate, no need at all.
CANNOT_BUY = (
    "insolvenzverfahren", "insolvenz angemeldet", "insolvenz beantragt", "sind insolvent",
    "chapter 11", "chapter 7", "bankruptcy", "receivership", "into administration", "liquidation",
    "geschäftsaufgabe", "schließen den betrieb", "macht zu", "gibt es nicht mehr",
    "wird geschlossen", "schließt ende", "closes at the end", "is closing", "closing down",
    "shutting down", "being auctioned", "werden versteigert",
    "konzernvorgabe", "konzernweit", "group mandate", "group-wide", "head office decides",
    "maschinen verkauft", "machines are sold", "presses are being auctioned",
)  # fmt: skip
_COMPANY_GONE = re.compile(r"\bgibt es (?:die|den|das|uns) [^.!?]{0,40}nicht mehr\b")
#: An order or firm commitment (§2.3) - only with a quantity in the same turn.
ORDER = (
    "bestellen wir", "bestelle ich", "ich bestelle", "wir bestellen", "die bestellung schickt",
    "schicke ihnen die bestellung", "schreiben sie mit", "schreiben s' mit", "nehmen wir",
    "i'll order", "i will order", "we'll order", "we will order", "let's do it",
    "put us down for", "we'll take", "we will take", "i'll take", "send us",
)  # fmt: skip
#: A lasting refusal (§2.4).
REFUSES = (
    "nie wieder", "nicht mehr anrufen", "keine anrufe mehr", "rufen sie nicht mehr an",
    "aus ihrer liste", "aus ihrer kartei", "streichen sie uns", "ist für uns erledigt",
    "never again", "don't call", "do not call", "take us off", "remove us from",
    "will not come back", "won't come back", "decision is final", "the decision is made",
)  # fmt: skip
#: A concrete step towards business (§2.5), said near the end of the call.
STEP = (
    "angebot", "kalkulation", "preisliste", "muster", "probe", "testmenge", "besuch",
    "vorbeikommen", "vorbeischauen", "offer", "quote", "quotation", "price list", "sample",
    "trial", "visit", "come by", "come over",
)  # fmt: skip
#: The door stays open, but not now (§2.6).
NOT_NOW = (
    "im moment nicht", "derzeit nicht", "zurzeit nicht", "gerade nicht", "vorerst nicht",
    "nächstes jahr", "im herbst", "im frühjahr", "nach vertragsende", "rahmenvertrag",
    "vor der saison", "melden sie sich im", "melden sich gern nochmal",
    "not now", "not at the moment", "not right now", "next year", "after our contract",
    "frame agreement", "when the contract ends", "non-compete", "call me at the beginning",
    "call me early", "call me in",
)  # fmt: skip

_NEGATION_AFTER = re.compile(r"^\W*\w*\W*(nicht|nichts|kein\w*|nie|never|nothing|no more)\b")
_QUANTITY = re.compile(
    r"\b(\d+|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|"
    r"dreißig|vierzig|fünfzig|hundert|tausend|two|three|four|five|six|seven|eight|nine|ten|"
    r"twelve|twenty|thirty|forty|fifty|hundred|thousand|dozen)\b"
)


@dataclass(frozen=True)
class CueOutcome:
    """An outcome decided by a phrase rule, with the rule and the turn (0-based) behind it."""

    outcome: str
    rule: str
    turn: int | None


def _text(turn: Turn) -> str:
    """The turn's words in lower case, single-spaced (what the phrase lists are matched on)."""
    return " ".join(turn.text.lower().split())


def find_turn(
    turns: Sequence[Turn], phrases: Sequence[str], speakers: Set[str], start: int = 0
) -> int | None:
    """Index of the first turn from ``start`` on, said by ``speakers``, containing a phrase."""
    for index in range(start, len(turns)):
        if turns[index].speaker in speakers and any(p in _text(turns[index]) for p in phrases):
            return index
    return None


def _order_turn(turns: Sequence[Turn]) -> int | None:
    """The customer turn with an order phrase (not negated) and a quantity."""
    for index, turn in enumerate(turns):
        if turn.speaker != "customer":
            continue
        text = _text(turn)
        for phrase in ORDER:
            at = text.find(phrase)
            negated = _NEGATION_AFTER.match(text[at + len(phrase) :])
            if at >= 0 and not negated and _QUANTITY.search(text):
                return index
    return None


def _absent_turn(turns: Sequence[Turn]) -> int | None:
    voicemail = find_turn(turns, VOICEMAIL, {"rep", "customer"})
    if voicemail is not None:
        return voicemail
    for index, turn in enumerate(turns):
        if turn.speaker == "customer":
            text = _text(turn)
            if any(p in text for p in CONTACT_ABSENT) or _LEFT.search(text):
                return index
    return None


def decide(turns: Sequence[Turn]) -> CueOutcome | None:
    """The outcome a phrase rule decides, in the guidelines' order; ``None`` when none applies.

    ``None`` leaves the choice (usually between ``follow_up`` and ``not_now``) to the caller.
    """
    order = _order_turn(turns)
    turn = _absent_turn(turns)
    if turn is not None and order is None:
        return CueOutcome("not_reached", "no decision-maker reached", turn)
    turn = find_turn(turns, CANNOT_BUY, {"customer"})
    if turn is None:
        turn = next(
            (i for i, t in enumerate(turns)
             if t.speaker == "customer" and _COMPANY_GONE.search(_text(t))),
            None,
        )  # fmt: skip
    if turn is not None:
        return CueOutcome("disqualified", "cannot buy any more", turn)
    if order is not None:
        return CueOutcome("reactivated", "order with a quantity", order)
    turn = find_turn(turns, REFUSES, {"customer"})
    if turn is not None:
        return CueOutcome("lost", "lasting refusal", turn)
    # "State at the end of the call": steps and "not now" count only in its last third.
    end = max(0, len(turns) - max(3, len(turns) // 3))
    turn = find_turn(turns, STEP, {"rep", "customer"}, start=end)
    if turn is not None:
        return CueOutcome("follow_up", "step towards business agreed", turn)
    turn = find_turn(turns, NOT_NOW, {"customer"}, start=end)
    if turn is not None:
        return CueOutcome("not_now", "not now, door open", turn)
    return None

"""Evidence checks: a churn reason counts only with the customer's own words.

A quote is grounded when, after normalising whitespace, case and
punctuation, it occurs inside one customer turn of the transcript. Text said
only by the rep is never evidence of a customer's reason (labelling-guidelines.md §0).
The analyzer lets the model point at numbered customer turns and copies the
quote here, so evidence is verbatim by construction; the check still runs on
every label, also on a reviewer's edits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from agent.analysis.schema import ReasonLabel, Turn

_PUNCT_MAP = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
}
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

#: Quotes shorter than this (after normalising) are too weak to prove anything.
MIN_QUOTE_CHARS = 8
#: Evidence is cut to at most this many characters (whole sentences where possible).
MAX_QUOTE_CHARS = 300


def normalise(text: str) -> str:
    """Lower-case ``text``, drop punctuation and collapse whitespace, for comparison."""
    text = unicodedata.normalize("NFKC", text)
    for src, dst in _PUNCT_MAP.items():
        text = text.replace(src, dst)
    return _NON_WORD.sub(" ", text.casefold()).strip()


def find_quote(quote: str, turns: Sequence[Turn], speaker: str = "customer") -> int | None:
    """Return the index of the first ``speaker`` turn that contains ``quote``, else None.

    Matching is on normalised text, so line breaks, curly quotes, case and
    punctuation do not matter, but every word must be there in order.
    """
    needle = normalise(quote)
    if len(needle) < MIN_QUOTE_CHARS:
        return None
    padded = f" {needle} "
    for i, turn in enumerate(turns):
        if turn.speaker == speaker and padded in f" {normalise(turn.text)} ":
            return i
    return None


def is_grounded(quote: str | None, turns: Sequence[Turn]) -> bool:
    """True when ``quote`` is a customer's verbatim words in ``turns``."""
    return bool(quote) and find_quote(quote or "", turns) is not None


def quote_from_turn(text: str, keywords: Sequence[str] = (), limit: int = MAX_QUOTE_CHARS) -> str:
    """Cut a verbatim quote from one turn: the best-matching sentence(s), at most ``limit`` chars.

    With ``keywords`` the sentence sharing most of them is chosen; without, the
    turn is used from its start. The result is always a substring of ``text``.
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    if keywords:
        keys = {normalise(k) for k in keywords if normalise(k)}

        def score(sentence: str) -> int:
            # Keywords are word stems ("liefer", "late"): count substring hits.
            text_norm = normalise(sentence)
            return sum(1 for k in keys if k in text_norm)

        best = max(sentences, key=score)
        if len(best) <= limit:
            return best
        return best[:limit].rsplit(" ", 1)[0]
    quote = ""
    for sentence in sentences:
        candidate = f"{quote} {sentence}".strip() if quote else sentence
        if len(candidate) > limit:
            break
        quote = candidate
    return quote or text[:limit].rsplit(" ", 1)[0]


def ground_labels(
    labels: Sequence[ReasonLabel], turns: Sequence[Turn]
) -> tuple[list[ReasonLabel], list[str]]:
    """Keep the labels whose evidence is a customer's verbatim words; explain the rest.

    A label whose quote occurs only in a rep turn, or nowhere, is dropped: a
    reason without the customer's words is not a finding. Kept labels get the
    index of the turn their quote came from. Returns (kept, warnings).
    """
    kept: list[ReasonLabel] = []
    warnings: list[str] = []
    for label in labels:
        quote = label.evidence or ""
        index = find_quote(quote, turns) if quote else None
        if index is not None:
            kept.append(label.model_copy(update={"turn": index}))
            continue
        if quote and find_quote(quote, turns, speaker="rep") is not None:
            warnings.append(
                f"dropped {label.code}: the quote was said by the rep, not the customer"
            )
        elif quote:
            warnings.append(f"dropped {label.code}: the quote does not occur in the transcript")
        else:
            warnings.append(f"dropped {label.code}: no evidence quote")
    return kept, warnings

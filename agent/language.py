"""A small stop-word language check for German vs English brief text.

The brief must come in the account's language. Counting frequent function
words is enough to tell German from English on a few sentences, needs no
model, and is what the brief eval uses as its language grader.
"""

from __future__ import annotations

import re

STOPWORDS: dict[str, frozenset[str]] = {
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "und",
            "ist",
            "nicht",
            "sie",
            "wir",
            "ihr",
            "ihnen",
            "mit",
            "von",
            "zu",
            "den",
            "dem",
            "des",
            "ein",
            "eine",
            "einen",
            "einer",
            "auf",
            "für",
            "im",
            "bei",
            "seit",
            "noch",
            "wieder",
            "auch",
            "wie",
            "was",
            "sich",
            "hat",
            "haben",
            "wurde",
            "sind",
            "es",
            "uns",
            "unser",
            "nach",
            "oder",
            "aber",
            "kein",
            "keine",
            "mehr",
            "nur",
            "über",
            "vom",
            "zum",
            "zur",
        ]
    ),
    "en": frozenset(
        [
            "the",
            "and",
            "is",
            "not",
            "you",
            "we",
            "your",
            "with",
            "of",
            "to",
            "a",
            "an",
            "on",
            "for",
            "in",
            "at",
            "since",
            "still",
            "again",
            "also",
            "how",
            "what",
            "has",
            "have",
            "was",
            "were",
            "are",
            "it",
            "us",
            "our",
            "after",
            "or",
            "but",
            "no",
            "more",
            "only",
            "about",
            "from",
            "this",
            "that",
            "they",
            "their",
            "be",
        ]
    ),
}
_WORD = re.compile(r"[a-zäöüß]+")


def language_scores(text: str) -> dict[str, int]:
    """Number of stop words of each language in ``text``."""
    words = _WORD.findall(text.lower())
    return {lang: sum(w in stops for w in words) for lang, stops in STOPWORDS.items()}


def guess_language(text: str) -> str | None:
    """``"de"`` or ``"en"`` by stop-word count; ``None`` when there is too little text."""
    scores = language_scores(text)
    best = max(scores, key=lambda k: scores[k])
    if scores[best] < 2 or list(scores.values()).count(scores[best]) > 1:
        return None
    return best


def is_language(text: str, language: str) -> bool:
    """True when ``text`` reads as ``language`` (too-short text counts as matching)."""
    guess = guess_language(text)
    return guess is None or guess == language

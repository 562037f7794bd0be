"""Turns cut into sentences: the unit the classifiers score and the evidence they quote.

A churn reason, an order or a refusal is usually said in one sentence, and
a quote of that one sentence is what a reviewer wants to see. Sentences end
at ``.``, ``!`` or ``?`` followed by a space; raw speech-recognition text
often has no punctuation at all, so a run of more than ``MAX_WORDS`` words
is cut into pieces of about ``PIECE_WORDS`` words. Every sentence is a
verbatim slice of its turn (``turn.text[start:end]``), so a quote is
grounded by construction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from agent.analysis.schema import Turn

_END = re.compile(r"(?<=[.!?…])[\"'“”»]?\s+")
_WORD = re.compile(r"\S+")
MAX_WORDS = 40
PIECE_WORDS = 22
#: Fragments shorter than this (in characters, without spaces) are merged into a neighbour.
MIN_CHARS = 2


@dataclass(frozen=True)
class Sentence:
    """One sentence of a transcript: which turn, who said it, where in the turn, the words."""

    turn: int
    speaker: str
    start: int
    end: int
    text: str
    #: Position of the turn in the call, 0.0 (first) .. 1.0 (last).
    position: float


def _spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _END.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    out: list[tuple[int, int]] = []
    for a, b in spans:
        # Trim the span to its non-space characters.
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b - a < MIN_CHARS:
            continue
        words = list(_WORD.finditer(text, a, b))
        if len(words) <= MAX_WORDS:
            out.append((a, b))
            continue
        pieces = max(2, round(len(words) / PIECE_WORDS))
        size = len(words) / pieces
        for p in range(pieces):
            first = words[int(p * size)]
            last = words[min(len(words), int((p + 1) * size)) - 1]
            out.append((first.start(), last.end()))
    return out


def split_turn(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of one turn's text."""
    return _spans(text)


def sentences(turns: Sequence[Turn]) -> list[Sentence]:
    """All sentences of a transcript, in order."""
    out: list[Sentence] = []
    last = max(1, len(turns) - 1)
    for index, turn in enumerate(turns):
        for a, b in _spans(turn.text):
            out.append(Sentence(index, turn.speaker, a, b, turn.text[a:b], index / last))
    return out

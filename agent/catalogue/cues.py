"""Cue words matched on word boundaries, with negation, for any code family of the catalogue.

Substring tests misfire ("late" in "translate", "muster" in "Mustermann",
"ring" in "bring"), so text and cues are both cut into word tokens and a cue
matches a run of whole tokens. A ``*`` at either end of a cue token allows
a prefix or an ending; ``*`` alone is any one word (syntax in
``data/de.toml``). A hit is *negated* when its clause (up to the next
punctuation mark or clause break such as "aber"/"but") holds a negation
word that is not part of the cue itself and not a "nicht nur"/"not only".

Cues are features and hints, not decisions: the call analysis feeds them to
its learned classifiers, and the brief uses them to point at records.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from agent.catalogue.vocabulary import SIGNALS, LanguageWords, vocabulary

_TOKEN = re.compile(r"\w+(?:'\w+)*|%|[,;:.!?\u2013\u2014]")
_PUNCT = frozenset(",;:.!?\u2013\u2014")
#: Negations are looked for at most this many tokens away from the cue within its clause.
NEGATION_WINDOW = 6


@dataclass(frozen=True)
class CueHit:
    """One cue found in a text: its code, the cue, where (characters), and whether negated."""

    code: str
    cue: str
    start: int
    end: int
    negated: bool


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int
    clause: int


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")
    return text.casefold()


def tokens(text: str, breaks: frozenset[str] = frozenset()) -> list[_Token]:
    """Word tokens of ``text`` (lower case) with their clause number; punctuation ends a clause."""
    out: list[_Token] = []
    clause = 0
    for m in _TOKEN.finditer(_normalise(text)):
        word = m.group()
        if word in _PUNCT:
            clause += 1
            continue
        if word in breaks:
            clause += 1
        out.append(_Token(word, m.start(), m.end(), clause))
    return out


def _token_pattern(cue_token: str) -> re.Pattern[str]:
    if cue_token == "*":
        return re.compile(r".+")
    head = ".*" if cue_token.startswith("*") else ""
    tail = ".*" if cue_token.endswith("*") else ""
    core = re.escape(cue_token.strip("*"))
    return re.compile(f"{head}{core}{tail}")


class CueMatcher:
    """Finds the cues of several codes in texts of one language."""

    def __init__(self, cues: Mapping[str, Sequence[str]], language: LanguageWords) -> None:
        self._cues: list[tuple[str, str, list[re.Pattern[str]]]] = []
        for code, words in cues.items():
            for cue in words:
                parts = [_token_pattern(p) for p in cue.casefold().split()]
                if parts:
                    self._cues.append((code, cue, parts))
        self._negations = frozenset(language.negations)
        self._not_negations = [tuple(p.split()) for p in language.not_negations]
        self._breaks = frozenset(language.clause_breaks)

    def _is_negation(self, toks: list[_Token], i: int) -> bool:
        word = toks[i].text
        if word not in self._negations and not word.endswith("n't"):
            return False
        for phrase in self._not_negations:  # "nicht nur", "not only" negate nothing
            if tuple(t.text for t in toks[i : i + len(phrase)]) == phrase:
                return False
        return True

    def _negated(self, toks: list[_Token], first: int, last: int) -> bool:
        clause = toks[first].clause
        lo, hi = max(0, first - NEGATION_WINDOW), min(len(toks), last + 1 + NEGATION_WINDOW)
        for i in range(lo, hi):
            if first <= i <= last or toks[i].clause != clause:
                continue
            if self._is_negation(toks, i):
                return True
        return False

    def find(self, text: str) -> list[CueHit]:
        """Every cue hit in ``text``, in the order of the text."""
        toks = tokens(text, self._breaks)
        hits: list[CueHit] = []
        for code, cue, parts in self._cues:
            n = len(parts)
            for i in range(len(toks) - n + 1):
                window = toks[i : i + n]
                if window[0].clause != window[-1].clause:
                    continue
                if all(p.fullmatch(t.text) for p, t in zip(parts, window, strict=True)):
                    negated = self._negated(toks, i, i + n - 1)
                    hits.append(CueHit(code, cue, window[0].start, window[-1].end, negated))
        return sorted(hits, key=lambda h: (h.start, h.code))

    def codes(self, text: str) -> dict[str, CueHit]:
        """Code -> its first hit that is not negated."""
        found: dict[str, CueHit] = {}
        for hit in self.find(text):
            if not hit.negated:
                found.setdefault(hit.code, hit)
        return found


Family = str
#: The code families of the catalogue that have cue words.
FAMILIES: tuple[Family, ...] = ("reason", "signal", "step", "claim", "instruction")


def cue_words(family: Family, lang: str) -> dict[str, tuple[str, ...]]:
    """The cue words of one family in ``lang`` ("de" or "en"), by code."""
    vocab = vocabulary()
    if family == "reason":
        return {code: r.cues[lang] for code, r in vocab.reasons.items()}
    if family == "signal":
        return {s: vocab.signal_cues[s][lang] for s in SIGNALS}
    if family == "step":
        return {s: words[lang] for s, words in vocab.step_cues.items()}
    if family == "claim":
        return {kind: words[lang] for kind, words in vocab.claim_cues.items()}
    if family == "instruction":
        return {"instruction": vocab.instruction_cues[lang]}
    raise ValueError(f"unknown cue family {family!r}; known: {', '.join(FAMILIES)}")


@cache
def matcher(family: Family, language: str) -> CueMatcher:
    """The cue matcher of one family ("reason", "signal", "step", "claim", "instruction")."""
    lang = language if language in ("de", "en") else "en"
    return CueMatcher(cue_words(family, lang), vocabulary().languages[lang])


def reason_matcher(language: str) -> CueMatcher:
    """Cues of the churn-reason codes in ``language``."""
    return matcher("reason", language)


def claim_matcher(language: str) -> CueMatcher:
    """Words that state an order or a discount (what a summary may only say when true)."""
    return matcher("claim", language)

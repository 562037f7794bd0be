"""Numbers spoken as words, German and English: "achtundzwanzigtausend", "two hundred and forty".

People say amounts in words and transcripts write them so; a summary writes
them as digits. The support check (:mod:`agent.analysis.support`) compares
a summary's numbers with what was said, so it needs both forms. Only whole
numbers are read (no fractions, no "Komma"); ordinals are the date
resolver's business (:mod:`agent.analysis.dates`).
"""

from __future__ import annotations

import re

_DE_UNITS = {
    "null": 0, "ein": 1, "eins": 1, "eine": 1, "einen": 1, "zwei": 2, "drei": 3, "vier": 4,
    "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11,
    "zwölf": 12, "dreizehn": 13, "vierzehn": 14, "fünfzehn": 15, "sechzehn": 16,
    "siebzehn": 17, "achtzehn": 18, "neunzehn": 19,
}  # fmt: skip
_DE_TENS = {
    "zwanzig": 20, "dreißig": 30, "vierzig": 40, "fünfzig": 50, "sechzig": 60, "siebzig": 70,
    "achtzig": 80, "neunzig": 90,
}  # fmt: skip
_EN_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_EN_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_WORD = re.compile(r"[a-zäöüß]+(?:-[a-zäöüß]+)*")


def german_number(word: str) -> int | None:
    """The value of one German number word ("zweihundertvierzig" -> 240), else None."""
    w = word.lower()
    if not w:
        return None
    for scale, factor in (("millionen", 1_000_000), ("million", 1_000_000),
                          ("tausend", 1000), ("hundert", 100)):  # fmt: skip
        if scale in w:
            left, _, right = w.partition(scale)
            head = german_number(left) if left else 1
            tail = german_number(right) if right else 0
            if head is None or tail is None:
                return None
            return head * factor + tail
    if w in _DE_UNITS:
        return _DE_UNITS[w]
    if w in _DE_TENS:
        return _DE_TENS[w]
    if "und" in w:
        unit, _, tens = w.partition("und")
        if unit in _DE_UNITS and _DE_UNITS[unit] < 10 and tens in _DE_TENS:
            return _DE_UNITS[unit] + _DE_TENS[tens]
    return None


def _english_run(words: list[str]) -> int | None:
    total = current = 0
    seen = False
    for word in words:
        if word in _EN_UNITS:
            current += _EN_UNITS[word]
            seen = True
        elif word in _EN_SCALES:
            scale = _EN_SCALES[word]
            current = max(current, 1) * scale if scale == 100 else current
            if scale > 100:
                total += max(current, 1) * scale
                current = 0
            seen = True
        elif word != "and":
            return None
    return total + current if seen else None


def spoken_numbers(text: str) -> set[int]:
    """Every whole number ``text`` says in words, German or English."""
    found: set[int] = set()
    words = _WORD.findall(text.lower())
    run: list[str] = []
    for word in [*words, ""]:
        parts = word.split("-")
        if word and all(p in _EN_UNITS or p in _EN_SCALES or p == "and" for p in parts):
            run.extend(parts)
            continue
        while run and run[-1] == "and":
            run.pop()
        if run:
            value = _english_run(run)
            if value is not None:
                found.add(value)
            run = []
        value = german_number(word)
        if value is not None and word not in ("ein", "eine", "einen"):
            found.add(value)
    return found

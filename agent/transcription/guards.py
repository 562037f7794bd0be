"""Guards against Whisper's failure modes: repetition loops and invented text.

Whisper on 8 kHz telephone audio can loop: the same sentence repeated segment
after segment, or one phrase repeated inside a segment. The decoder options
(VAD, ``condition_on_previous_text=False``, compression-ratio and no-speech
thresholds) prevent most of it; these functions remove what slips through,
working only on the finished segments so they are easy to test.

Two shapes of loop are seen on 8 kHz German calls: one segment repeating a
phrase ("19. 19. 19. ..." dozens of times) and one 30 s window cut into
many segments with the same sentence, all carrying the window's
compression ratio far above Whisper's 2.4 limit because every fallback
temperature looped too. The first is trimmed to the text before the loop
plus one occurrence (the real words before it survive); the second keeps
the first occurrence only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from agent.transcription.types import Segment

_WORD = re.compile(r"\w+", re.UNICODE)
#: Whisper's own limit: a window whose text compresses better than this is repetitive.
COMPRESSION_LIMIT = 2.4


def normalise(text: str) -> str:
    """Lower-case words only, for comparing segment texts."""
    return " ".join(_WORD.findall(text.lower()))


def longest_run(words: Sequence[str], max_n: int = 6) -> tuple[int, int, int]:
    """``(repetitions, start, n)`` of the longest back-to-back run of one n-gram (n <= max_n)."""
    best = (1, 0, 1)
    for n in range(1, max_n + 1):
        for i in range(len(words) - 2 * n + 1):
            run = 1
            while words[i + run * n : i + (run + 1) * n] == words[i : i + n]:
                run += 1
            if run > best[0]:
                best = (run, i, n)
    return best


def max_ngram_run(words: Sequence[str], max_n: int = 6) -> int:
    """Longest run of one n-gram (n <= max_n) repeated back to back, in repetitions."""
    return longest_run(words, max_n)[0]


def trim_loop(text: str, max_run: int = 4) -> str:
    """``text`` cut after the first occurrence of a looping phrase.

    A segment that starts with the loop has no trustworthy words: it becomes "".

    The cut is made in the original text (punctuation and case kept) after
    the word that ends the phrase's first occurrence.
    """
    matches = list(_WORD.finditer(text))
    words = [m.group().lower() for m in matches]
    run, start, n = longest_run(words)
    if run <= max_run:
        return text
    if start == 0:  # the segment is nothing but the loop
        return ""
    return text[: matches[start + n - 1].end()].strip() + ("." if start + n < len(words) else "")


def is_looping(text: str, max_run: int = 4) -> bool:
    """True when ``text`` repeats one phrase more than ``max_run`` times in a row."""
    words = normalise(text).split()
    return len(words) >= max_run + 1 and max_ngram_run(words) > max_run


def drop_repetitions(
    segments: Sequence[Segment], *, max_repeats: int = 2, max_run: int = 4
) -> list[Segment]:
    """Remove or trim looping segments.

    A segment whose own text loops is trimmed (see :func:`trim_loop`) and
    dropped when nothing is left. A segment is dropped when the same
    normalised text already appeared in the previous ``max_repeats`` kept
    segments of the same speaker - real people rarely say the same sentence
    three times in a row; a looping decoder does - or, for a segment from a
    window that failed the compression check (``compression_ratio`` above
    :data:`COMPRESSION_LIMIT`), in any of the last five kept segments.
    """
    kept: list[Segment] = []
    for seg in segments:
        if is_looping(seg.text, max_run):
            seg = replace(seg, text=trim_loop(seg.text, max_run), words=None)
        norm = normalise(seg.text)
        if not norm:
            continue
        same_speaker = [normalise(k.text) for k in kept if k.speaker == seg.speaker]
        recent = same_speaker[-max_repeats:]
        if len(recent) == max_repeats and all(r == norm for r in recent):
            continue
        failed = seg.compression_ratio is not None and seg.compression_ratio > COMPRESSION_LIMIT
        if failed and norm in same_speaker[-5:]:
            continue
        kept.append(seg)
    return kept


def drop_unlikely_speech(
    segments: Sequence[Segment], *, no_speech: float = 0.6, logprob: float = -1.0
) -> list[Segment]:
    """Remove segments Whisper itself thinks are silence it filled with words.

    This is Whisper's own rule (high no-speech probability *and* low average
    log-probability), applied again after VAD because invented text on
    silence ("Untertitel im Auftrag des ZDF") must never reach a CRM note.
    """
    out = []
    for seg in segments:
        if (
            seg.no_speech_prob is not None
            and seg.avg_logprob is not None
            and seg.no_speech_prob > no_speech
            and seg.avg_logprob < logprob
        ):
            continue
        out.append(seg)
    return out

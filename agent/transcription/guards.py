"""Guards against Whisper's failure modes: repetition loops and invented text.

Whisper on 8 kHz telephone audio can loop: the same sentence repeated segment
after segment, or one phrase repeated inside a segment. The decoder options
(VAD, ``condition_on_previous_text=False``, compression-ratio and no-speech
thresholds) prevent most of it; these functions remove what slips through,
working only on the finished segments so they are easy to test.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.transcription.types import Segment

_WORD = re.compile(r"\w+", re.UNICODE)


def normalise(text: str) -> str:
    """Lower-case words only, for comparing segment texts."""
    return " ".join(_WORD.findall(text.lower()))


def max_ngram_run(words: Sequence[str], max_n: int = 6) -> int:
    """Longest run of one n-gram (n <= max_n) repeated back to back, in repetitions."""
    best = 1
    for n in range(1, max_n + 1):
        for i in range(len(words) - 2 * n + 1):
            run = 1
            while words[i + run * n : i + (run + 1) * n] == words[i : i + n]:
                run += 1
            best = max(best, run)
    return best


def is_looping(text: str, max_run: int = 4) -> bool:
    """True when ``text`` repeats one phrase more than ``max_run`` times in a row."""
    words = normalise(text).split()
    return len(words) >= max_run + 1 and max_ngram_run(words) > max_run


def drop_repetitions(
    segments: Sequence[Segment], *, max_repeats: int = 2, max_run: int = 4
) -> list[Segment]:
    """Remove looping segments.

    A segment is dropped when its own text loops (see :func:`is_looping`) or
    when the same normalised text already appeared in the previous
    ``max_repeats`` kept segments of the same speaker - real people rarely say
    the same sentence three times in a row; a looping decoder does.
    """
    kept: list[Segment] = []
    for seg in segments:
        norm = normalise(seg.text)
        if not norm or is_looping(seg.text, max_run):
            continue
        same_speaker = [k for k in kept if k.speaker == seg.speaker]
        recent = [normalise(k.text) for k in same_speaker[-max_repeats:]]
        if len(recent) == max_repeats and all(r == norm for r in recent):
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

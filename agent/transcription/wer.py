"""Word error rate, for tests, benchmarks and evals (no extra dependency)."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[\w']+", re.UNICODE)


def words(text: str) -> list[str]:
    """Normalised words: NFC, lower case, punctuation removed, hyphens split."""
    text = unicodedata.normalize("NFC", text).lower().replace("-", " ")
    return _WORD.findall(text)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, after normalisation."""
    ref, hyp = words(reference), words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / len(ref)

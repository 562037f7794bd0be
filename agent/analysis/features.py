"""Sentence features for the analysis classifiers: multilingual embeddings, cue hits, speaker.

The embedding of the sentence (USE-m-v3 locally: German and English in one
space) carries its meaning, the embedding of its whole turn the context a
short sentence needs ("It was the wait." after a story about lead times;
measured: churn-reason F1 0.62 -> 0.71 leave-one-writer-out); cue hits of
the catalogue (matched on word boundaries, split into plain and negated
hits) carry the explicit words and their negation, which an averaged
sentence embedding blurs ("am Preis lag es nicht"); the speaker tells a
rep's offer from a customer's demand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agent.analysis.bank import LabelTask
from agent.catalogue.cues import matcher
from agent.catalogue.vocabulary import SIGNALS, vocabulary
from agent.codes import REASON_CODES
from agent.embeddings import Embedder

SPEAKERS = ("rep", "customer")


@dataclass(frozen=True)
class Item:
    """What the features are computed from: a sentence, its language, speaker and turn."""

    text: str
    language: str
    speaker: str
    #: The whole turn the sentence belongs to ("" for a lone example sentence: itself).
    context: str = ""


def _cue_codes(task: LabelTask) -> tuple[str, ...]:
    if task == "reason":
        return REASON_CODES
    if task == "signal":
        return SIGNALS
    return tuple(vocabulary().step_cues)


def cue_features(task: LabelTask, items: Sequence[Item]) -> np.ndarray:
    """Per item and code of the task: [plain hit, negated hit] as 0/1."""
    codes = _cue_codes(task)
    index = {code: i for i, code in enumerate(codes)}
    out = np.zeros((len(items), 2 * len(codes)), dtype=np.float32)
    for row, item in enumerate(items):
        for hit in matcher(task, item.language).find(item.text):
            col = index.get(hit.code)
            if col is not None:
                out[row, 2 * col + (1 if hit.negated else 0)] = 1.0
    return out


def speaker_features(items: Sequence[Item]) -> np.ndarray:
    """One-hot speaker (rep, customer)."""
    out = np.zeros((len(items), len(SPEAKERS)), dtype=np.float32)
    for row, item in enumerate(items):
        if item.speaker in SPEAKERS:
            out[row, SPEAKERS.index(item.speaker)] = 1.0
    return out


class Featurizer:
    """Builds the feature matrix of one task from an embedder (embeddings cached by text)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._cache: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts``; texts seen before are not embedded again."""
        new = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if new:
            for text, vec in zip(new, self.embedder.embed(new), strict=True):
                self._cache[text] = vec
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])

    def matrix(self, task: LabelTask, items: Sequence[Item]) -> np.ndarray:
        """``[sentence embedding | cue hits | speaker | turn embedding]`` for every item."""
        return np.hstack(
            [
                self.embed([i.text for i in items]),
                cue_features(task, items),
                speaker_features(items),
                self.embed([i.context or i.text for i in items]),
            ]
        ).astype(np.float32)

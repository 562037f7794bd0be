"""A supervised baseline on the multilingual sentence embeddings: churn reasons and outcome.

Each call is represented by its customer turns, embedded one by one with the
configured embedder (USE-m-v3 locally: German and English in one space).
Two simple, transparent models that need no GPU and no tuning library:

* churn reasons, one-vs-rest nearest centroid: a call's score for a code is
  the best cosine similarity of any of its customer turns to the centroid of
  the training calls with that code, minus the similarity to the centroid of
  the calls without it; a code is predicted when the margin exceeds
  ``threshold``. A reason is usually said in one turn, so the best turn, not
  the average, carries the signal.
* outcome, nearest centroid of the mean customer-turn vectors.

With 24 labelled calls this is a baseline, evaluated by leave-one-out only
(:func:`leave_one_out`); it is not used by the analyzer unless the numbers
say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from agent.codes import REASON_CODES


@dataclass
class CallVectors:
    """The embedded customer turns of one call (rows are unit vectors)."""

    turns: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        vec = self.turns.mean(axis=0)
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec


def embed_calls(rows: Sequence[dict[str, Any]], embedder: Any) -> list[CallVectors]:
    """Embed the customer turns of every call (a call without any gets one empty-text row)."""
    texts: list[str] = []
    spans: list[tuple[int, int]] = []
    for row in rows:
        customer = [t["text"] for t in row["turns"] if t["speaker"] == "customer"] or [""]
        spans.append((len(texts), len(texts) + len(customer)))
        texts.extend(customer)
    matrix = np.asarray(embedder.embed(texts), dtype=np.float32)
    return [CallVectors(matrix[a:b]) for a, b in spans]


def _unit(vec: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm else vec


class CentroidClassifier:
    """Nearest-centroid models for churn reasons (multi-label) and outcome (single label)."""

    def __init__(self, threshold: float = 0.02) -> None:
        self.threshold = threshold
        self.reason_pos: dict[str, np.ndarray] = {}
        self.reason_neg: dict[str, np.ndarray] = {}
        self.outcomes: dict[str, np.ndarray] = {}

    def fit(
        self,
        calls: Sequence[CallVectors],
        reasons: Sequence[Sequence[str]],
        outcomes: Sequence[str],
    ) -> CentroidClassifier:
        """Learn the centroids from labelled calls."""
        means = np.stack([c.mean for c in calls])
        for code in REASON_CODES:
            has = np.array([code in r for r in reasons])
            if has.any() and (~has).any():
                self.reason_pos[code] = _unit(means[has].mean(axis=0))
                self.reason_neg[code] = _unit(means[~has].mean(axis=0))
        for outcome in sorted(set(outcomes)):
            mask = np.array([o == outcome for o in outcomes])
            self.outcomes[outcome] = _unit(means[mask].mean(axis=0))
        return self

    def reason_scores(self, call: CallVectors) -> dict[str, float]:
        """Margin per code: best turn similarity to the positive minus the negative centroid."""
        scores = {}
        for code, pos in self.reason_pos.items():
            scores[code] = float((call.turns @ pos - call.turns @ self.reason_neg[code]).max())
        return scores

    def predict_reasons(self, call: CallVectors) -> list[str]:
        """The codes whose margin exceeds the threshold, best first."""
        scores = self.reason_scores(call)
        return [c for c, s in sorted(scores.items(), key=lambda kv: -kv[1]) if s > self.threshold]

    def predict_outcome(self, call: CallVectors) -> str | None:
        """The outcome whose centroid is nearest to the call's mean customer vector."""
        if not self.outcomes:
            return None
        return max(self.outcomes, key=lambda o: float(call.mean @ self.outcomes[o]))


def leave_one_out(
    rows: Sequence[dict[str, Any]], calls: Sequence[CallVectors], threshold: float = 0.02
) -> list[dict[str, Any]]:
    """Predict every call with a model trained on all the other calls.

    Returns one dict per call (``id``, ``reasons``, ``outcome``) in the shape
    the graders read, so the baseline is scored exactly like the LLM.
    """
    out = []
    for i, row in enumerate(rows):
        train = [j for j in range(len(rows)) if j != i]
        model = CentroidClassifier(threshold).fit(
            [calls[j] for j in train],
            [rows[j]["gold"]["churn_reasons"] for j in train],
            [rows[j]["gold"]["outcome"] for j in train],
        )
        out.append(
            {
                "id": row["id"],
                "reasons": model.predict_reasons(calls[i]),
                "outcome": model.predict_outcome(calls[i]),
            }
        )
    return out

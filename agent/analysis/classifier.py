"""Learned models of the call analysis: sentence classifiers and call-level calibrators.

Two small, transparent model types, both logistic regressions:

* :class:`SentenceModel` - multinomial logistic regression over sentence
  features (:mod:`agent.analysis.features`), one per task (churn reason,
  outcome signal, next step), ``none`` being one of its classes. Fitted with
  scikit-learn; prediction is a matrix product in numpy, so a trained model
  is a few arrays.
* :class:`Calibrator` - a logistic regression on a handful of call-level
  features (e.g. the noisy-OR of a code's sentence probabilities). It turns
  "some sentence looks like price" into a probability that the *call* has
  the reason, fitted on out-of-fold scores so it is honest about how often
  such scores were right on calls the sentence model had not seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Probabilities are clipped to this distance from 0 and 1 before taking logits.
EPS = 1e-4


def logit(p: np.ndarray | float) -> np.ndarray:
    """log(p / (1 - p)) with p clipped to [EPS, 1 - EPS]."""
    q = np.clip(np.asarray(p, dtype=np.float64), EPS, 1 - EPS)
    return np.asarray(np.log(q / (1 - q)))


def noisy_or(probs: np.ndarray) -> np.ndarray:
    """1 - prod(1 - p) over axis 0: the chance that at least one sentence carries the label."""
    if probs.shape[0] == 0:
        return np.zeros(probs.shape[1:], dtype=np.float64)
    return np.asarray(1.0 - np.prod(1.0 - np.asarray(probs, dtype=np.float64), axis=0))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


@dataclass
class SentenceModel:
    """Multinomial logistic regression over sentence features."""

    classes: tuple[str, ...]
    coef: np.ndarray
    intercept: np.ndarray

    @classmethod
    def fit(
        cls,
        features: np.ndarray,
        labels: Sequence[str],
        classes: Sequence[str],
        weights: Sequence[float] | None = None,
        c: float = 1.0,
    ) -> SentenceModel:
        """Fit on labelled rows; every class of ``classes`` gets a row of weights.

        A class without any training example keeps zero weights and a very
        low intercept, so it is never predicted instead of failing the fit.
        """
        from sklearn.linear_model import LogisticRegression

        index = {label: i for i, label in enumerate(classes)}
        y = np.array([index[label] for label in labels])
        present = sorted(set(y.tolist()))
        model = LogisticRegression(C=c, max_iter=3000)
        model.fit(features, y, sample_weight=None if weights is None else np.asarray(weights))
        coef = np.zeros((len(classes), features.shape[1]), dtype=np.float32)
        intercept = np.full(len(classes), -20.0, dtype=np.float32)
        if len(present) == 2:  # scikit-learn fits one row for a binary problem
            coef[present[1]], intercept[present[1]] = model.coef_[0], model.intercept_[0]
            intercept[present[0]] = 0.0
        else:
            for row, k in enumerate(model.classes_):
                coef[k], intercept[k] = model.coef_[row], model.intercept_[row]
        return cls(tuple(classes), coef, intercept)

    def proba(self, features: np.ndarray) -> np.ndarray:
        """Class probabilities per row, columns in the order of :attr:`classes`."""
        if features.shape[0] == 0:
            return np.zeros((0, len(self.classes)), dtype=np.float64)
        return _softmax(features.astype(np.float64) @ self.coef.T.astype(np.float64)
                        + self.intercept.astype(np.float64))  # fmt: skip


@dataclass
class Calibrator:
    """P(label | call-level features) by logistic regression; falls back to a base rate."""

    coef: np.ndarray
    intercept: float

    @classmethod
    def fit(cls, features: np.ndarray, outcomes: Sequence[bool], c: float = 1.0) -> Calibrator:
        """Fit on call-level features and whether the label was gold for that call."""
        y = np.asarray(outcomes, dtype=bool)
        if y.all() or not y.any() or len(y) < 4:
            rate = (y.sum() + 0.5) / (len(y) + 1.0)
            return cls(np.zeros(features.shape[1]), float(logit(rate)))
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=c, max_iter=1000).fit(features, y)
        return cls(model.coef_[0].astype(np.float64), float(model.intercept_[0]))

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, one per row."""
        z = np.asarray(features, dtype=np.float64) @ self.coef + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-z)))


def expected_calibration_error(
    probs: Sequence[float], outcomes: Sequence[bool], bins: int = 10
) -> float:
    """ECE: the mean |confidence - accuracy| over equal-width bins, weighted by bin size."""
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(outcomes, dtype=np.float64)
    if len(p) == 0:
        return 0.0
    index = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        sel = index == b
        if sel.any():
            total += sel.mean() * abs(p[sel].mean() - y[sel].mean())
    return float(total)

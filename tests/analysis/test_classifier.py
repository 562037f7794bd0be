"""Sentence models and calibrators against small hand-made problems."""

from __future__ import annotations

import numpy as np
import pytest

from agent.analysis.classifier import (
    Calibrator,
    SentenceModel,
    expected_calibration_error,
    logit,
    noisy_or,
)


def test_sentence_model_learns_separable_classes_and_keeps_unseen_ones_silent() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal([3, 0], 0.3, (30, 2))
    b = rng.normal([-3, 0], 0.3, (30, 2))
    x = np.vstack([a, b]).astype(np.float32)
    y = ["none"] * 30 + ["price"] * 30
    model = SentenceModel.fit(x, y, ("none", "price", "quality"), c=10.0)
    p = model.proba(np.array([[3, 0], [-3, 0]], dtype=np.float32))
    assert p.shape == (2, 3)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert p[0, 0] > 0.9 and p[1, 1] > 0.9
    assert p[:, 2].max() < 1e-6  # no example of "quality": never predicted
    assert model.proba(np.zeros((0, 2), dtype=np.float32)).shape == (0, 3)


def test_multiclass_fit_keeps_class_order() -> None:
    x = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]] * 10, dtype=np.float32)
    y = ["c", "a", "b"] * 10
    model = SentenceModel.fit(x, y, ("a", "b", "c"), c=100.0)
    assert model.proba(np.array([[1, 0, 0]], dtype=np.float32)).argmax() == 2


def test_calibrator_learns_a_monotone_map_and_falls_back_to_the_base_rate() -> None:
    x = np.linspace(-3, 3, 200)[:, None]
    y = (np.random.default_rng(1).random(200) < 1 / (1 + np.exp(-2 * x[:, 0]))).tolist()
    cal = Calibrator.fit(x, y)
    p = cal.predict(np.array([[-3.0], [0.0], [3.0]]))
    assert p[0] < 0.1 < p[1] < 0.9 < p[2]
    flat = Calibrator.fit(np.zeros((5, 1)), [False] * 5)
    assert 0 < flat.predict(np.zeros((1, 1)))[0] < 0.2


def test_expected_calibration_error_by_hand() -> None:
    # Bin 0.8-0.9: confidence 0.8 twice, one right -> |0.8 - 0.5| * 2/4; bin 0.2: 0.2, 0 right
    # -> 0.2 * 1/4; bin 1.0: right -> 0.
    assert expected_calibration_error([0.8, 0.8, 0.2, 1.0], [True, False, False, True]) == (
        pytest.approx(0.3 * 0.5 + 0.2 * 0.25)
    )
    assert expected_calibration_error([], []) == 0.0


def test_noisy_or_and_logit() -> None:
    assert noisy_or(np.array([[0.5, 0.0], [0.5, 0.0]])) == pytest.approx([0.75, 0.0])
    assert noisy_or(np.zeros((0, 2))).tolist() == [0.0, 0.0]
    assert np.isfinite(logit(0.0)) and np.isfinite(logit(1.0)) and logit(0.5) == 0.0

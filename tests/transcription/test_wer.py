"""Tests of the word error rate."""

from __future__ import annotations

import pytest

from agent.transcription.wer import word_error_rate, words


def test_normalisation() -> None:
    assert words("Schoko-Bonbons, sind SAGENHAFT!") == ["schoko", "bonbons", "sind", "sagenhaft"]


@pytest.mark.parametrize(
    ("ref", "hyp", "expected"),
    [
        ("a b c d", "a b c d", 0.0),
        ("a b c d", "a x c d", 0.25),
        ("a b c d", "a c d", 0.25),
        ("a b c d", "a b c d e f", 0.5),
        ("a b", "", 1.0),
        ("", "", 0.0),
        ("", "x", 1.0),
    ],
)
def test_wer(ref: str, hyp: str, expected: float) -> None:
    assert word_error_rate(ref, hyp) == pytest.approx(expected)

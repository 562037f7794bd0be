"""Diarization error rate on hand-made turns whose error is known."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.transcription.der import diarization_error, read_rttm

REFERENCE = [(0.0, 10.0, "A"), (10.0, 20.0, "B")]


def test_perfect_hypothesis_under_other_names_has_no_error() -> None:
    err = diarization_error(REFERENCE, [(0.0, 10.0, "rep"), (10.0, 20.0, "customer")])
    assert err.der == pytest.approx(0.0)
    assert err.reference_s == pytest.approx(20.0)


def test_one_label_for_everything_confuses_the_smaller_speaker() -> None:
    err = diarization_error(REFERENCE, [(0.0, 20.0, "unknown")])
    assert err.confusion == pytest.approx(0.5)
    assert err.missed == pytest.approx(0.0) and err.false_alarm == pytest.approx(0.0)


def test_missed_false_alarm_and_confusion_add_up() -> None:
    hypothesis = [(0.0, 8.0, "x"), (8.0, 12.0, "y"), (12.0, 20.0, "y"), (20.0, 22.0, "y")]
    err = diarization_error(REFERENCE, hypothesis)
    assert err.missed == pytest.approx(0.0)
    assert err.false_alarm == pytest.approx(0.1)  # 2 s after the end of 20 s of speech
    assert err.confusion == pytest.approx(0.1)  # 8..10 s given to B's voice
    assert err.der == pytest.approx(0.2)
    silent = diarization_error(REFERENCE, [(0.0, 10.0, "x")])
    assert silent.missed == pytest.approx(0.5)


def test_rttm_is_read_as_turns(tmp_path: Path) -> None:
    rttm = tmp_path / "x.rttm"
    rttm.write_text(
        "SPEAKER sample 1 6.690 0.430 <NA> <NA> speaker90 <NA> <NA>\n"
        "SPEAKER sample 1 7.550 0.800 <NA> <NA> speaker91 <NA> <NA>\n"
    )
    assert read_rttm(rttm) == [
        (6.69, pytest.approx(7.12), "speaker90"),
        (7.55, pytest.approx(8.35), "speaker91"),
    ]

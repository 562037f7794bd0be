"""The mono speaker split on real two-channel calls mixed to mono, and its labelling."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.transcription.audio import decode
from agent.transcription.der import channel_turns, diarization_error, speech_spans
from agent.transcription.diarize import diarize, label_segments, speaker_at
from agent.transcription.types import Segment, Speaker

TURNS: list[tuple[float, float, Speaker]] = [(0.0, 4.0, "rep"), (4.2, 9.0, "customer")]


def test_segment_spanning_a_change_of_speaker_is_split_at_words() -> None:
    words = [
        {"start": 2.8, "end": 3.2, "word": " Danke", "probability": 0.9},
        {"start": 3.3, "end": 3.8, "word": " Ihnen.", "probability": 0.9},
        {"start": 4.3, "end": 4.6, "word": " Gern", "probability": 0.9},
        {"start": 4.6, "end": 5.0, "word": " geschehen.", "probability": 0.9},
    ]
    segment = Segment(2.8, 5.0, "Danke Ihnen. Gern geschehen.", words=words)
    out = label_segments([segment], TURNS)
    assert [(s.speaker, s.text, s.start, s.end) for s in out] == [
        ("rep", "Danke Ihnen.", 2.8, 3.8),
        ("customer", "Gern geschehen.", 4.3, 5.0),
    ]


def test_segment_without_words_takes_the_speaker_holding_most_of_it() -> None:
    out = label_segments([Segment(3.0, 8.0, "Ja, genau so.")], TURNS)
    assert [s.speaker for s in out] == ["customer"]
    # A word in the gap between turns goes to the nearer one.
    assert speaker_at(TURNS, 4.05, 4.1) == "rep"
    assert speaker_at(TURNS, 4.15, 4.18) == "customer"
    assert speaker_at([], 1.0, 2.0) == "unknown"


@pytest.mark.shared_data
def test_mono_phone_version_of_a_two_channel_call_is_split_like_its_channels(
    shared_dir: Path,
) -> None:
    pytest.importorskip("faster_whisper", reason="needs faster-whisper's VAD and features")
    reference = channel_turns(shared_dir / "evals/audio/de-003.flac")
    mono = decode(shared_dir / "evals/audio/de-003.8k.flac")[0]
    found = diarize(mono, speech_spans(reference))
    assert found.confident, found
    error = diarization_error(reference, [(a, b, str(s)) for a, b, s in found.turns])
    assert error.confusion < 0.1, error  # measured 0.00
    assert error.der < 0.15, error  # measured 0.013
    # The rep opens this call, so the first voice is named correctly too.
    assert found.turns[0][2] == "rep"


@pytest.mark.shared_data
def test_one_voice_is_not_split_into_two(shared_dir: Path) -> None:
    pytest.importorskip("faster_whisper", reason="needs faster-whisper's VAD and features")
    path = shared_dir / "evals/audio/de-003.flac"
    rep_only = [t for t in channel_turns(path) if t[2] == "rep"]
    found = diarize(decode(path, split_stereo=True)[0], speech_spans(rep_only))
    assert not found.confident, found
    assert found.turns == []

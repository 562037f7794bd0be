"""Tests of the repetition and non-speech guards."""

from __future__ import annotations

from agent.transcription.guards import (
    drop_repetitions,
    drop_unlikely_speech,
    is_looping,
    max_ngram_run,
)
from agent.transcription.types import Segment


def seg(text: str, start: float = 0.0, speaker: str = "unknown", **kw: float) -> Segment:
    return Segment(start, start + 1, text, speaker=speaker, **kw)  # type: ignore[arg-type]


def test_ngram_runs() -> None:
    assert max_ngram_run(["a", "b", "c", "d"]) == 1
    assert max_ngram_run(["ja", "ja", "ja"]) == 3
    assert max_ngram_run(["x", "vielen", "dank", "vielen", "dank", "vielen", "dank", "y"]) == 3


def test_is_looping_allows_natural_repetition() -> None:
    assert not is_looping("Ja, ja, ja, genau so machen wir das.")
    assert is_looping("Danke. Danke. Danke. Danke. Danke. Danke.")
    assert is_looping("und dann und dann und dann und dann und dann und dann")


def test_drop_repetitions_removes_third_identical_segment_per_speaker() -> None:
    segments = [
        seg("Vielen Dank.", 0),
        seg("Vielen Dank!", 1),
        seg("vielen dank", 2),
        seg("Vielen Dank.", 3, speaker="rep"),
        seg("Bis bald.", 4),
        seg("", 5),
    ]
    kept = drop_repetitions(segments)
    assert [(s.start, s.speaker) for s in kept] == [
        (0, "unknown"),
        (1, "unknown"),
        (3, "rep"),
        (4, "unknown"),
    ]


def test_drop_repetitions_drops_internally_looping_segment() -> None:
    kept = drop_repetitions([seg("Hallo."), seg("das das das das das das das das", 1)])
    assert [s.text for s in kept] == ["Hallo."]


def test_drop_unlikely_speech_uses_both_probabilities() -> None:
    segments = [
        seg("Untertitel im Auftrag des ZDF", 0, no_speech_prob=0.9, avg_logprob=-1.5),
        seg("leise aber echt", 1, no_speech_prob=0.9, avg_logprob=-0.3),
        seg("normal", 2, no_speech_prob=0.1, avg_logprob=-1.5),
        seg("ohne Werte", 3),
    ]
    assert [s.start for s in drop_unlikely_speech(segments)] == [1, 2, 3]


def test_channel_speakers_follow_layout() -> None:
    from agent.transcription.local import channel_speakers

    assert channel_speakers("rep,customer") == ["rep", "customer"]
    assert channel_speakers("customer,rep") == ["customer", "rep"]
    assert channel_speakers("mono") == ["unknown"]

"""Tests of the repetition and non-speech guards."""

from __future__ import annotations

from agent.transcription.guards import (
    drop_repetitions,
    drop_unlikely_speech,
    is_looping,
    max_ngram_run,
    trim_loop,
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
    from agent.transcription.types import channel_speakers

    assert channel_speakers("rep,customer") == ["rep", "customer"]
    assert channel_speakers("customer,rep") == ["customer", "rep"]
    assert channel_speakers("mono") == ["unknown"]


def test_loop_of_forty_nine_dates_is_trimmed_to_the_words_before_it() -> None:
    # The shape an 8 kHz German call produced: the real sentence, then "19." looping.
    looping = "Die letzte Lieferung kam erst am " + " ".join(["19."] * 49)
    segments = [
        seg("Guten Tag, Herr Voss, hier ist Bettina Lorch.", 0.0, speaker="rep"),
        seg("Ja, hallo Frau Lorch.", 2.5, speaker="customer"),
        seg(looping, 4.0, speaker="customer", compression_ratio=9.8),
        seg("Und dann war der Auftrag weg.", 9.0, speaker="customer"),
    ]
    kept = drop_repetitions(segments)
    assert [s.text for s in kept] == [
        "Guten Tag, Herr Voss, hier ist Bettina Lorch.",
        "Ja, hallo Frau Lorch.",
        "Die letzte Lieferung kam erst am 19.",
        "Und dann war der Auftrag weg.",
    ]


def test_forty_nine_segments_of_one_date_keep_one() -> None:
    # The same loop cut into segments by timestamps: each "19." from a window whose
    # decoding failed the compression check at every fallback temperature.
    segments = [seg("Am", 0.0, compression_ratio=7.1)] + [
        seg("19.", 1.0 + i * 0.5, compression_ratio=7.1) for i in range(49)
    ]
    assert [s.text for s in drop_repetitions(segments)] == ["Am", "19."]


def test_a_failed_window_repeating_a_sentence_keeps_its_first_occurrence() -> None:
    # Whisper base on de-009.8k.flac: one 30 s window, one sentence every 3 s.
    sentence = "Ja, mir ist Hallo von der Technik-Kambe mit mir gerade im Büro."
    segments = [
        seg("Hallo, wir sind die Hallo von der Technik-Kambe.", 0.0, compression_ratio=6.58)
    ]
    segments += [seg(sentence, 5.0 + 3 * i, compression_ratio=6.58) for i in range(8)]
    segments.append(seg("Was gibt es?", 30.0, compression_ratio=1.3))
    assert [s.start for s in drop_repetitions(segments)] == [0.0, 5.0, 30.0]


def test_sentences_repeated_in_a_healthy_window_are_kept_twice() -> None:
    segments = [seg("Genau.", float(i), compression_ratio=1.2) for i in range(3)]
    assert len(drop_repetitions(segments)) == 2


def test_trim_loop_leaves_natural_text_alone() -> None:
    assert trim_loop("Ja, ja, ja, genau so.") == "Ja, ja, ja, genau so."
    assert trim_loop("Also und dann und dann und dann und dann und dann") == "Also und dann."
    assert trim_loop("19. 19. 19. 19. 19. 19.") == ""

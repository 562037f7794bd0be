"""Transcript files in their accepted shapes become analyzer input; bad ones are named."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from agent.analysis.sources import input_from_file, turns_from_segments
from agent.errors import NotFoundError, ValidationError


def test_segments_join_by_speaker_and_unknown_counts_as_customer() -> None:
    turns = turns_from_segments(
        [
            {"speaker": "rep", "text": "Guten Tag."},
            {"speaker": "rep", "text": "Woran lag es?"},
            {"speaker": "unknown", "text": "Am Preis."},
            {"speaker": "customer", "text": " "},
            {"speaker": "customer", "text": "Wirklich."},
        ]
    )
    assert [(t.speaker, t.text) for t in turns] == [
        ("rep", "Guten Tag. Woran lag es?"),
        ("customer", "Am Preis. Wirklich."),
    ]


def test_transcribe_json_output_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps(
            {
                "language": "en",
                "segments": [
                    {"start": 0, "end": 1, "speaker": "rep", "text": "Hello, why did you stop?"},
                    {"start": 1, "end": 2, "speaker": "customer", "text": "The price went up."},
                ],
            }
        )
    )
    call = input_from_file(path, call_date=date(2026, 3, 1))
    assert call.language == "en" and call.call_date == date(2026, 3, 1)
    assert call.customer_turns == [(1, "The price went up.")]


def test_language_is_guessed_and_list_of_turns_accepted(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps([{"speaker": "customer", "text": "Das ist nicht das, was wir haben"}])
    )
    call = input_from_file(path)
    assert call.language == "de" and call.call_date == date.today()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", "turns.0"),
        ('{"turns": "x"}', "must be a list"),
        ('{"turns": [], "call_date": "gestern"}', "call_date"),
        ('"text"', "JSON object"),
    ],
)
def test_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "t.json"
    path.write_text(content)
    with pytest.raises(ValidationError, match=message):
        input_from_file(path)
    with pytest.raises(NotFoundError):
        input_from_file(tmp_path / "missing.json")

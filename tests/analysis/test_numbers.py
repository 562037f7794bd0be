"""Numbers spoken as words, as transcripts write them."""

from __future__ import annotations

import pytest

from agent.analysis.numbers import german_number, spoken_numbers


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("achtundzwanzigtausend Euro", 28000),
        ("zweihundertvierzig Stück", 240),
        ("dreitausendfünfhundert", 3500),
        ("hundertzwanzig", 120),
        ("two hundred and forty blades", 240),
        ("twenty-eight thousand euros", 28000),
        ("one thousand two hundred", 1200),
        ("fifty percent", 50),
    ],
)
def test_spoken_numbers(text: str, value: int) -> None:
    assert spoken_numbers(text) == {value}


def test_words_that_only_contain_number_parts_are_no_numbers() -> None:
    assert german_number("jahrhundert") is None and german_number("stunde") is None
    assert spoken_numbers("ein Angebot für das Paket") == set()

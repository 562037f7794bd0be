"""The day filter of the review pages."""

from __future__ import annotations

from datetime import date, datetime

from api.review_filters import day


def test_a_day_reads_as_its_reader_writes_it() -> None:
    assert day("2026-12-04") == "04.12.2026" and day("2026-12-04", "en") == "2026-12-04"
    assert day(date(2026, 1, 2)) == "02.01.2026"
    assert day(datetime(2026, 1, 2, 23, 59)) == "02.01.2026"
    assert day("2026-12-04T10:00:00+00:00") == "04.12.2026"
    assert day(None) == "–" and day("bald") == "bald"

"""Due-date resolution per labelling-guidelines.md §3 (hand-checked against a calendar)."""

from __future__ import annotations

from datetime import date

import pytest

from agent.analysis.dates import ORDINAL_WORDS, resolve_due_date

MON_2026_02_02 = date(2026, 2, 2)  # a Monday
FRI_2026_01_23 = date(2026, 1, 23)  # a Friday


@pytest.mark.parametrize(
    ("phrase", "call_date", "expected"),
    [
        # weekday: next such day after the call; the same weekday means +7
        ("bis Freitag", date(2026, 1, 26), date(2026, 1, 30)),
        ("am Freitag", FRI_2026_01_23, date(2026, 1, 30)),
        ("am Donnerstag", date(2026, 2, 6), date(2026, 2, 12)),
        ("Dann Donnerstagnachmittag.", date(2026, 2, 6), date(2026, 2, 12)),
        ("I'll try you again next Wednesday", date(2026, 3, 5), date(2026, 3, 11)),
        ("by Monday", MON_2026_02_02, date(2026, 2, 9)),
        ("am Sonntag", MON_2026_02_02, date(2026, 2, 8)),
        # relative days
        ("heute noch", FRI_2026_01_23, FRI_2026_01_23),
        ("today", FRI_2026_01_23, FRI_2026_01_23),
        ("morgen früh vor neun", date(2026, 3, 2), date(2026, 3, 3)),
        ("tomorrow", date(2026, 3, 2), date(2026, 3, 3)),
        ("übermorgen", FRI_2026_01_23, date(2026, 1, 25)),
        ("the day after tomorrow", FRI_2026_01_23, date(2026, 1, 25)),
        # weeks
        ("Ende der Woche", date(2026, 1, 21), FRI_2026_01_23),
        ("end of the week", date(2026, 1, 21), FRI_2026_01_23),
        ("Ende der Woche", FRI_2026_01_23, FRI_2026_01_23),
        ("bis Ende nächster Woche", date(2026, 1, 28), date(2026, 2, 6)),
        ("by the end of next week", date(2026, 2, 18), date(2026, 2, 27)),
        ("nächste Woche Dienstag", FRI_2026_01_23, date(2026, 1, 27)),
        ("Dienstag nächste Woche", date(2026, 1, 19), date(2026, 1, 27)),
        ("Tuesday next week", FRI_2026_01_23, date(2026, 1, 27)),
        ("in zwei Wochen", date(2026, 2, 10), date(2026, 2, 24)),
        ("in vier Wochen", date(2026, 2, 10), date(2026, 3, 10)),
        ("in two weeks", date(2026, 2, 10), date(2026, 2, 24)),
        ("in 14 Tagen", MON_2026_02_02, date(2026, 2, 16)),
        ("in drei Tagen", MON_2026_02_02, date(2026, 2, 5)),
        # months
        ("Ende des Monats", date(2026, 2, 10), date(2026, 2, 28)),
        ("end of the month", date(2028, 2, 10), date(2028, 2, 29)),
        ("Ende nächsten Monats", date(2026, 12, 3), date(2027, 1, 31)),
        ("bis Ende März", date(2026, 2, 10), date(2026, 3, 31)),
        # explicit dates, digits and spoken ordinals
        ("am Donnerstag, den zwölften Februar", MON_2026_02_02, date(2026, 2, 12)),
        (
            "Bis zum siebenundzwanzigsten März, also Freitag in anderthalb Wochen",
            date(2026, 3, 16),
            date(2026, 3, 27),
        ),
        ("für Donnerstag, den neunzehnten. Um zehn", date(2026, 3, 16), date(2026, 3, 19)),
        ("bis zum fünfzehnten April", date(2026, 2, 10), date(2026, 4, 15)),
        ("zum ersten Juli", date(2026, 3, 16), date(2026, 7, 1)),
        ("am einunddreißigsten März", date(2026, 3, 16), date(2026, 3, 31)),
        ("ring her on Tuesday the tenth of March, at two", date(2026, 2, 26), date(2026, 3, 10)),
        ("Monday the second of March", date(2026, 2, 12), date(2026, 3, 2)),
        ("the twenty-first of May", date(2026, 2, 12), date(2026, 5, 21)),
        ("March 2nd", date(2026, 2, 12), date(2026, 3, 2)),
        ("on 5 March 2027", date(2026, 2, 12), date(2027, 3, 5)),
        ("am 12.02.", MON_2026_02_02, date(2026, 2, 12)),
        ("am 12. Februar", MON_2026_02_02, date(2026, 2, 12)),
        ("12.02.2027", MON_2026_02_02, date(2027, 2, 12)),
        ("2026-04-01", MON_2026_02_02, date(2026, 4, 1)),
        # a date without a year that has passed this year is next year's
        ("am zehnten Januar", MON_2026_02_02, date(2027, 1, 10)),
        # the specific expression wins over a less specific one in the same sentence
        (
            "I'll contact him today and get the registration done by Friday",
            date(2026, 1, 20),
            date(2026, 1, 23),
        ),
    ],
)
def test_resolves(phrase: str, call_date: date, expected: date) -> None:
    result = resolve_due_date(phrase, call_date)
    assert result is not None, phrase
    assert result.date == expected


@pytest.mark.parametrize(
    "phrase",
    [
        "nächste Woche",
        "Anfang nächster Woche",
        "demnächst",
        "zeitnah",
        "im Herbst",
        "Anfang April",
        "Mitte April",
        "after Easter",
        "I'll be in touch",
        "Guten Morgen, Frau Gerlach",
        "jeden Dienstag",
        "every Tuesday",
        "montags",
        "4.000 Euro im Monat",
        "um zehn Uhr",
        "",
        None,
    ],
)
def test_vague_or_no_date_gives_none(phrase: str | None) -> None:
    assert resolve_due_date(phrase, MON_2026_02_02) is None


def test_phrase_and_rule_are_reported() -> None:
    result = resolve_due_date("Das Angebot kommt bis Freitag.", MON_2026_02_02)
    assert result is not None
    assert result.phrase == "Freitag"
    assert result.rule == "weekday"


def test_ordinal_words_cover_every_day_of_the_month() -> None:
    german = {ORDINAL_WORDS[w] for w in ORDINAL_WORDS if w.endswith("en") and "undzwanzig" in w}
    assert german == set(range(21, 30))
    assert {ORDINAL_WORDS[w] for w in ORDINAL_WORDS} == set(range(1, 32))


def test_impossible_date_is_none() -> None:
    assert resolve_due_date("am 31.02.", MON_2026_02_02) is None

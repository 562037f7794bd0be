"""German first, English as complete: numbers, dates, code names and error messages."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from agent.errors import (
    ConflictError,
    MediaError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
)
from api.error_messages import error_message
from api.i18n import (
    TEXTS,
    eta_text,
    format_date,
    format_datetime,
    format_money,
    format_percent,
)
from api.views import code_namer


def test_amounts_are_written_as_each_language_writes_them() -> None:
    assert format_money(35956, "de") == "35.956,00 €"
    assert format_money(35956, "en") == "€35,956.00"
    assert format_money(1694.805, "de") == "1.694,81 €"  # half up, not banker's rounding
    assert format_money(None, "de") == "–"
    assert (format_percent(0.26, "de"), format_percent(0.26, "en")) == ("26 %", "26%")
    assert format_percent(0.004, "de") == "0,4 %"


def test_dates_are_written_as_each_language_writes_them() -> None:
    assert format_date(date(2026, 12, 4), "de") == "04.12.2026"
    assert format_date("2026-12-04", "en") == "4 Dec 2026"
    assert format_datetime(datetime(2026, 12, 4, 14, 5), "de") == "04.12.2026 14:05"
    assert format_date(None, "de") == "–"


def test_the_estimate_reads_in_seconds_then_minutes() -> None:
    assert eta_text(42, "de") == "noch etwa 40 Sekunden"
    assert eta_text(300, "en") == "about 5 minutes left"
    assert eta_text(None, "de") == ""


def test_every_text_has_both_languages() -> None:
    missing = [key for key, entry in TEXTS.items() if not entry.get("de") or not entry.get("en")]
    assert missing == []


@pytest.mark.parametrize(
    ("kind", "code", "german", "english"),
    [
        ("reason", "price_terms", "Preis und Konditionen", "Price and terms"),
        ("account_status", "active", "aktiv", "active"),
        ("note_kind", "complaint", "Reklamation", "Complaint"),
        ("stage", "analysing", "Analyse läuft", "Analysing"),
        ("note_status", "pending_review", "zur Prüfung", "pending review"),
    ],
)
def test_codes_are_shown_by_their_names(kind: str, code: str, german: str, english: str) -> None:
    assert code_namer("de")(kind, code) == german
    assert code_namer("en")(kind, code).lower() == english.lower()


@pytest.mark.parametrize(
    ("exc", "german"),
    [
        (
            MediaError(
                "anruf.txt is not a readable audio file (unknown or unsupported format: x)."
            ),
            "„anruf.txt“ ist keine lesbare Audiodatei",
        ),
        (PermissionDeniedError("This account belongs to another rep."), "anderen Person"),
        (NotFoundError("Account not found."), "Diesen Kunden gibt es nicht"),
        (PayloadTooLargeError("The upload is larger than 2 MB."), "größer als 2 MB"),
        (
            ConflictError("Account K1 is marked do not call (lost); no recording is taken for it."),
            "Nicht anrufen",
        ),
    ],
)
def test_errors_the_rep_can_meet_read_in_german(exc: Exception, german: str) -> None:
    assert isinstance(exc, (MediaError, PermissionDeniedError, NotFoundError, ConflictError))
    assert german in error_message(exc, "de")
    assert error_message(exc, "en") != error_message(exc, "de")


def test_an_error_without_a_rule_keeps_its_own_words() -> None:
    exc = ConflictError("Choose the outcome first.")
    assert error_message(exc, "de") == "Choose the outcome first."


def test_text_tables_merge_only_new_keys() -> None:
    # A key in two tables would silently take the later table's text.
    from api.i18n import merge_texts

    assert merge_texts({"a": {"de": "A"}}, {"b": {"de": "B"}}) == {
        "a": {"de": "A"},
        "b": {"de": "B"},
    }
    with pytest.raises(ValueError, match="recording"):
        merge_texts({"recording": {"de": "Aufnahme"}}, {"recording": {"de": "Mitschnitt"}})

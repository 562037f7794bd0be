"""Consent validation: every missing or implausible field is refused by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.consent import validate_consent
from agent.crm.models import ConsentMethod
from agent.errors import ConsentError

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
GOOD = {
    "given_by": "Frau Schulz",
    "method": "verbal_at_call_start",
    "given_at": "2026-03-04T10:15:00+01:00",
    "text_version": "de-2025.1",
}


def check(**changes: object):
    values = {**GOOD, **changes}
    return validate_consent(**values, now=NOW)  # type: ignore[arg-type]


def test_valid_consent_is_normalised_to_utc() -> None:
    consent = check(given_by="  Frau Schulz ")
    assert consent.given_by == "Frau Schulz"
    assert consent.method is ConsentMethod.verbal_at_call_start
    assert consent.given_at == datetime(2026, 3, 4, 9, 15, tzinfo=UTC)
    assert consent.to_dict()["method"] == "verbal_at_call_start"


def test_z_suffix_is_accepted() -> None:
    assert check(given_at="2026-03-04T09:15:00Z").given_at.hour == 9


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("given_by", None, "name the person"),
        ("given_by", "   ", "name the person"),
        ("given_by", "x" * 201, "200 characters"),
        ("given_by", "Max\x00", "control characters"),
        ("method", None, "method is missing"),
        ("method", "nodded", "Unknown consent method"),
        ("given_at", None, "time is missing"),
        ("given_at", "yesterday", "not an ISO 8601"),
        ("given_at", "2026-03-04T10:15:00", "no time zone"),
        ("given_at", "2026-03-05T10:15:00+00:00", "in the future"),
        ("given_at", "2024-01-01T10:15:00+00:00", "more than a year"),
        ("text_version", "", "text version is missing"),
        ("text_version", "v 1; drop table", "is invalid"),
    ],
)
def test_bad_consent_is_refused_with_the_reason(field: str, value: object, words: str) -> None:
    with pytest.raises(ConsentError, match=words):
        check(**{field: value})


def test_small_clock_skew_is_tolerated() -> None:
    ahead = (NOW + timedelta(minutes=5)).isoformat()
    assert check(given_at=ahead).given_at > NOW

"""Jinja filters of the review pages: a day as the reader writes it."""

from __future__ import annotations

from datetime import date, datetime


def day(value: str | date | datetime | None, language: str = "de") -> str:
    """``04.12.2026`` in German, ``2026-12-04`` in English, from a date or an ISO string."""
    if not value:
        return "–"
    if isinstance(value, str):
        try:
            when = date.fromisoformat(value[:10])
        except ValueError:
            return value
    else:
        when = value.date() if isinstance(value, datetime) else value
    return when.strftime("%d.%m.%Y") if language == "de" else when.isoformat()

"""Parsing and checking single cells of import files.

Every parser takes the raw cell text and either returns a typed value or
records a problem ``(line, field, reason)`` in a :class:`Problems` collector
and returns ``None``. Importers check all rows this way before writing
anything, so a user sees every problem of a file at once and the database
is never left half-imported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import TypeVar

from agent.errors import ImportRowError, ValidationError

E = TypeVar("E", bound=Enum)

_TRUE = frozenset({"1", "true", "yes", "y", "ja", "j", "x", "wahr"})
_FALSE = frozenset({"0", "false", "no", "n", "nein", "falsch", ""})
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Problems:
    """Collects row problems; :meth:`raise_if_any` turns them into one error."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.items: list[tuple[int, str, str]] = []

    def add(self, line: int, field: str, reason: str) -> None:
        self.items.append((line, field, reason))

    def extend(self, items: Iterable[tuple[int, str, str]]) -> None:
        self.items.extend(items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        """Raise :class:`ImportRowError` listing every problem, sorted by line."""
        if not self.items:
            return
        self.items.sort(key=lambda p: p[0])
        first = self.items[0]
        raise ImportRowError(
            f"{self.filename}: {len(self.items)} problem(s), nothing was imported "
            f"(first: line {first[0]}, field {first[1]}: {first[2]}).",
            list(self.items),
        )


def require_columns(filename: str, found: list[str], required: Iterable[str], layout: str) -> None:
    """Raise a :class:`ValidationError` naming the missing and the found columns."""
    missing = [c for c in required if c not in found]
    if missing:
        raise ValidationError(
            f"{filename}: missing column(s) for the {layout} layout: {', '.join(missing)}. "
            f"Found: {', '.join(found) or '(none)'}. See docs/import-formats.md."
        )


def text(
    problems: Problems,
    line: int,
    field: str,
    value: str | None,
    *,
    max_len: int,
    required: bool = False,
) -> str | None:
    """Return the stripped cell, ``None`` when empty; check presence and length."""
    value = (value or "").strip()
    if not value:
        if required:
            problems.add(line, field, "is empty but required")
        return None
    if len(value) > max_len:
        problems.add(line, field, f"is {len(value)} characters long; at most {max_len} allowed")
        return None
    return value


def number(problems: Problems, line: int, field: str, value: str | None) -> Decimal | None:
    """Parse a decimal number; "1.234,56" and "2,55" (German) are accepted too."""
    raw = (value or "").strip()
    if not raw:
        problems.add(line, field, "is empty but required")
        return None
    cleaned = raw
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        result = Decimal(cleaned)
    except InvalidOperation:
        problems.add(line, field, f"{raw!r} is not a number")
        return None
    if not result.is_finite():
        problems.add(line, field, f"{raw!r} is not a finite number")
        return None
    return result


def parse_datetime(raw: str) -> datetime | None:
    """Parse ISO 8601 ("2011-12-09", "2011-12-09 12:50[:00]") or German "09.12.2011 12:50"."""
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        match = _GERMAN_DATE.match(raw)
        if not match:
            return None
        day, month, year, hour, minute, second = match.groups()
        try:
            parsed = datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
            )
        except ValueError:
            return None
    # The schema stores naive timestamps in business-local time (CRM exports
    # carry no offset); a value with an explicit offset is converted to UTC.
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def timestamp(
    problems: Problems, line: int, field: str, value: str | None, today: date
) -> datetime | None:
    """Parse a date/time cell; empty, unparseable and future dates are problems."""
    raw = (value or "").strip()
    if not raw:
        problems.add(line, field, "is empty but required")
        return None
    parsed = parse_datetime(raw)
    if parsed is None:
        problems.add(
            line, field, f"{raw!r} is not a date (use YYYY-MM-DD[ HH:MM[:SS]] or DD.MM.YYYY)"
        )
        return None
    if parsed.date() > today:
        problems.add(line, field, f"{raw!r} lies in the future (today is {today.isoformat()})")
        return None
    return parsed


def boolean(problems: Problems, line: int, field: str, value: str | None) -> bool | None:
    """Parse yes/no cells (true/false, 1/0, ja/nein, x); empty means False."""
    raw = (value or "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    problems.add(line, field, f"{value!r} is not a yes/no value (true/false, 1/0, ja/nein)")
    return None


def choice(
    problems: Problems, line: int, field: str, value: str | None, enum_cls: type[E]
) -> E | None:
    """Parse one of an enumeration's codes (case-insensitive); empty gives ``None``."""
    raw = (value or "").strip().lower()
    if not raw:
        return None
    try:
        return enum_cls(raw)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum_cls)
        problems.add(line, field, f"{value!r} is not one of: {allowed}")
        return None


def integer_in(
    problems: Problems, line: int, field: str, value: str | None, low: int, high: int
) -> int | None:
    """Parse an integer between ``low`` and ``high``; empty gives ``None``."""
    raw = (value or "").strip()
    if not raw:
        return None
    try:
        result = int(float(raw.replace(",", ".")))
        exact = float(raw.replace(",", ".")) == result
    except ValueError:
        problems.add(line, field, f"{raw!r} is not a whole number")
        return None
    if not exact or not low <= result <= high:
        problems.add(line, field, f"{raw!r} must be a whole number from {low} to {high}")
        return None
    return result


def email(problems: Problems, line: int, field: str, value: str | None) -> str | None:
    """Return a plausible e-mail address or ``None``; a malformed one is a problem."""
    raw = text(problems, line, field, value, max_len=254)
    if raw is not None and not _EMAIL.match(raw):
        problems.add(line, field, f"{raw!r} is not an e-mail address")
        return None
    return raw

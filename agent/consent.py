"""Recording consent: who agreed, how, when, and to which consent text.

German law requires opt-in before a call is recorded, so every upload must
carry a consent record and :func:`validate_consent` is the gate in front of
the audio store: it runs before a single byte is stored and raises
:class:`agent.errors.ConsentError` (naming the field) for anything missing or
implausible. It only checks; writing the ``consent_records`` row is part of
the upload's transaction in :mod:`agent.calls.intake`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.crm.models import ConsentMethod
from agent.errors import ConsentError

#: Consent given further in the future than this is a typo or a wrong clock.
CLOCK_SKEW = timedelta(minutes=10)
#: A recording older than this is not a call someone is uploading "after the call".
MAX_AGE = timedelta(days=366)
_TEXT_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")


@dataclass(frozen=True)
class Consent:
    """A validated consent record (times are timezone-aware UTC)."""

    given_by: str
    method: ConsentMethod
    given_at: datetime
    text_version: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for status output and the audit trail."""
        return {
            "given_by": self.given_by,
            "method": self.method.value,
            "given_at": self.given_at.isoformat(),
            "text_version": self.text_version,
        }


def _parse_when(value: datetime | str | None) -> datetime:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ConsentError("Consent time is missing: give when the consent was given (ISO 8601).")
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            value = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ConsentError(
                f"Consent time {value!r} is not an ISO 8601 date-time "
                "(e.g. 2025-03-04T10:15:00+01:00)."
            ) from exc
    if value.tzinfo is None:
        # A naive time is ambiguous by an hour or two; refusing it is safer than guessing
        # the rep's time zone for a legal record.
        raise ConsentError(
            "Consent time has no time zone: add one, e.g. 2025-03-04T10:15:00+01:00 or ...Z."
        )
    return value.astimezone(UTC)


def validate_consent(
    *,
    given_by: str | None,
    method: str | ConsentMethod | None,
    given_at: datetime | str | None,
    text_version: str | None,
    now: datetime | None = None,
) -> Consent:
    """Check a consent record and return it normalised, or raise :class:`ConsentError`.

    ``given_by`` is the person who agreed (name as said on the call),
    ``method`` one of ``verbal_at_call_start``, ``written`` or ``electronic``,
    ``given_at`` an ISO 8601 time with time zone (not in the future, not more
    than a year old) and ``text_version`` the version label of the consent
    text that was read or signed.
    """
    now = now or datetime.now(UTC)
    who = (given_by or "").strip()
    if not who:
        raise ConsentError("Consent is missing: name the person who agreed to the recording.")
    if len(who) > 200:
        raise ConsentError("Consent 'given by' is longer than 200 characters.")
    if any(ord(ch) < 32 for ch in who):
        raise ConsentError("Consent 'given by' contains control characters.")

    if method is None or (isinstance(method, str) and not method.strip()):
        raise ConsentError(
            "Consent method is missing: use one of "
            + ", ".join(m.value for m in ConsentMethod)
            + "."
        )
    try:
        how = ConsentMethod(method.strip() if isinstance(method, str) else method)
    except ValueError as exc:
        raise ConsentError(
            f"Unknown consent method {method!r}: use one of "
            + ", ".join(m.value for m in ConsentMethod)
            + "."
        ) from exc

    when = _parse_when(given_at)
    if when > now + CLOCK_SKEW:
        raise ConsentError(f"Consent time {when.isoformat()} lies in the future.")
    if when < now - MAX_AGE:
        raise ConsentError(f"Consent time {when.isoformat()} is more than a year ago.")

    version = (text_version or "").strip()
    if not version:
        raise ConsentError("Consent text version is missing: name the consent text that was used.")
    if not _TEXT_VERSION.match(version):
        raise ConsentError(
            f"Consent text version {version!r} is invalid: use up to 64 letters, digits, "
            "'.', '_', '-' or '/'."
        )
    return Consent(given_by=who, method=how, given_at=when, text_version=version)

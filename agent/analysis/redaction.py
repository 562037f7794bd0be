"""PII redaction before text goes to a chat model that does not run on this machine.

Redacted are IBANs (mod-97 checked), e-mail addresses, phone numbers, German
tax ids (Steuer-ID with its keyword, USt-IdNr ``DE`` + 9 digits), payment
card numbers (Luhn checked) and, when asked, given names (the contact and the
rep as known from the CRM). Each finding becomes a placeholder such as
``[EMAIL_1]``; the mapping back to the original is returned to the caller,
who keeps it only in our own store, so the reviewed note can show the real
values. The local model may see raw text: :func:`needs_redaction` decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from agent.settings import Settings

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
_VAT = re.compile(r"\b(?:DE|ATU)[ ]?\d{8,9}\b")
_TAX_ID = re.compile(
    r"(?i)\b(?:steuer-?id(?:entifikationsnummer)?|steuernummer|tax\s+id|st\.?-?nr\.?|"
    r"identifikationsnummer)\b[:\s]*(?:ist\s+|is\s+)?(?P<num>\d[\d /]{8,16}\d)"
)
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d ()/-]{6,}\d(?![\w])")


def iban_valid(candidate: str) -> bool:
    """True when ``candidate`` passes the ISO 13616 mod-97 check."""
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in moved)
    return int(digits) % 97 == 1


def luhn_valid(candidate: str) -> bool:
    """True when the digits of ``candidate`` pass the Luhn check (card numbers)."""
    digits = [int(ch) for ch in candidate if ch.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


@dataclass
class Redaction:
    """Redacted text plus the placeholder → original mapping (keep it in our store only)."""

    text: str
    mapping: dict[str, str] = field(default_factory=dict)

    def restore(self, text: str) -> str:
        """Put the original values back into ``text`` (e.g. a model's summary)."""
        return restore(text, self.mapping)


def restore(text: str, mapping: dict[str, str]) -> str:
    """Replace every placeholder of ``mapping`` in ``text`` by its original value."""
    for placeholder, original in sorted(mapping.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(placeholder, original)
    return text


class Redactor:
    """Redacts PII consistently across several texts (one call, many turns).

    The same value gets the same placeholder everywhere, so the model can
    still see that the customer twice mentioned the same e-mail address.
    """

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.mapping: dict[str, str] = {}
        self._reverse: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        parts = sorted(
            {n.strip() for n in names if n and len(n.strip()) >= 3}, key=len, reverse=True
        )
        self._names = (
            re.compile(r"\b(?:" + "|".join(re.escape(p) for p in parts) + r")\b") if parts else None
        )

    def _placeholder(self, kind: str, value: str) -> str:
        if value in self._reverse:
            return self._reverse[value]
        self._counts[kind] = self._counts.get(kind, 0) + 1
        placeholder = f"[{kind}_{self._counts[kind]}]"
        self.mapping[placeholder] = value
        self._reverse[value] = placeholder
        return placeholder

    def redact(self, text: str) -> str:
        """Return ``text`` with every finding replaced by its placeholder."""
        text = _EMAIL.sub(lambda m: self._placeholder("EMAIL", m.group(0)), text)
        text = _IBAN.sub(
            lambda m: (
                self._placeholder("IBAN", m.group(0)) if iban_valid(m.group(0)) else m.group(0)
            ),
            text,
        )
        text = _VAT.sub(lambda m: self._placeholder("VAT_ID", m.group(0)), text)

        def tax(m: re.Match[str]) -> str:
            num = m.group("num")
            return m.group(0).replace(num, self._placeholder("TAX_ID", num))

        text = _TAX_ID.sub(tax, text)
        text = _CARD.sub(
            lambda m: (
                self._placeholder("CARD", m.group(0)) if luhn_valid(m.group(0)) else m.group(0)
            ),
            text,
        )

        def phone(m: re.Match[str]) -> str:
            value = m.group(0)
            digits = sum(ch.isdigit() for ch in value)
            # Seven or more digits with a phone-like shape; plain years, amounts
            # ("4.000") and dates do not reach this length without separators.
            if digits < 7 or re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{2,4}", value):
                return value
            return self._placeholder("PHONE", value)

        text = _PHONE.sub(phone, text)
        if self._names is not None:
            text = self._names.sub(lambda m: self._placeholder("NAME", m.group(0)), text)
        return text


def redact(text: str, names: Iterable[str] = ()) -> Redaction:
    """Redact one text; see :class:`Redactor` for several texts sharing placeholders."""
    redactor = Redactor(names)
    return Redaction(text=redactor.redact(text), mapping=dict(redactor.mapping))


def needs_redaction(settings: Settings) -> bool:
    """True when the chat model in effect runs outside this machine (not local, not fake)."""
    return settings.chat_backend not in ("local", "fake")


def name_parts(*full_names: str | None) -> list[str]:
    """Split names like "Dr. Jana Ostrowski (Gießereileiterin)" into redactable parts."""
    parts: list[str] = []
    for full in full_names:
        if not full:
            continue
        cleaned = re.sub(r"\(.*?\)", " ", full)
        for word in re.findall(r"[^\W\d_][\w'-]+", cleaned):
            if word.lower().rstrip(".") not in {"dr", "prof", "herr", "frau", "mr", "mrs", "ms"}:
                parts.append(word)
        if cleaned.strip():
            parts.append(" ".join(cleaned.split()))
    return parts

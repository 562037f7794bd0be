"""Our errors as a rep or manager reads them, in German or English: the one table.

The library's messages (:mod:`agent.errors`) are written for operators and
API clients, in English, with the details needed to fix the request. The
web pages show the same error in the user's language: each rule below
names an exception type and the English message it recognises (a regular
expression whose named groups fill the text); the first rule that matches
wins. Types whose messages carry no detail a person needs (not found, not
allowed, a model or the storage down) have a fallback rule; a conflict or
an invalid input without a rule keeps its own words, which say what to do.
API clients keep the English ``detail`` and get this text as ``message``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.errors import (
    ConflictError,
    ConsentError,
    MediaError,
    ModelError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    StorageError,
    WinbackError,
)


@dataclass(frozen=True)
class Rule:
    """An exception type, the English message it recognises, and the texts to show."""

    kind: type[WinbackError]
    pattern: str
    de: str
    en: str


RULES: tuple[Rule, ...] = (
    # recordings: the file
    Rule(MediaError, r"^(?P<name>.+?) is not a readable audio file",
         "„{name}“ ist keine lesbare Audiodatei (unbekanntes oder nicht unterstütztes Format).",
         "“{name}” is not a readable audio file (unknown or unsupported format)."),
    Rule(MediaError, r"^(?P<name>.+?) contains video",
         "„{name}“ enthält ein Video – bitte nur die Tonspur hochladen.",
         "“{name}” contains video – please upload the audio only."),
    Rule(MediaError, r"^(?P<name>.+?) contains no (audio stream|decodable audio)",
         "„{name}“ enthält keinen abspielbaren Ton.",
         "“{name}” contains no playable audio."),
    Rule(MediaError, r"^(?P<name>.+?) is corrupt or truncated|truncated or forged",
         "Die Datei ist beschädigt oder unvollständig. Bitte die Aufnahme erneut exportieren.",
         "The file is damaged or incomplete. Please export the recording again."),
    Rule(MediaError, r"is empty|upload is empty",
         "Die Datei ist leer.", "The file is empty."),
    Rule(MediaError, r"Unsupported Content-Type|is not an accepted audio format",
         "Dieses Dateiformat wird nicht angenommen. Bitte eine Audiodatei hochladen "
         "(z. B. WAV, MP3, M4A, FLAC).",
         "This file type is not accepted. Please upload an audio file (e.g. WAV, MP3, M4A, "
         "FLAC)."),
    Rule(PayloadTooLargeError, r"larger than (the limit of )?(?P<mb>\d+) MB",
         "Die Datei ist größer als {mb} MB.", "The file is larger than {mb} MB."),
    Rule(PayloadTooLargeError, r"(longer than the limit of|the limit is) (?P<minutes>\d+) min",
         "Die Aufnahme ist länger als {minutes} Minuten.",
         "The recording is longer than {minutes} minutes."),
    Rule(PayloadTooLargeError, r"",
         "Die Datei ist zu groß.", "The file is too large."),
    Rule(MediaError, r"",
         "Die Datei konnte nicht als Audio gelesen werden.",
         "The file could not be read as audio."),
    # recordings: consent
    Rule(ConsentError, r"not confirmed",
         "Bitte bestätigen Sie, dass der Kunde der Aufnahme vorab zugestimmt hat.",
         "Please confirm that the customer agreed to the recording beforehand."),
    Rule(ConsentError, r"name the person",
         "Bitte angeben, wer der Aufnahme zugestimmt hat.",
         "Please name who agreed to the recording."),
    Rule(ConsentError, r"lies in the future",
         "Der Zeitpunkt der Einwilligung liegt in der Zukunft.",
         "The time of the consent lies in the future."),
    Rule(ConsentError, r"more than a year ago",
         "Die Einwilligung ist älter als ein Jahr.", "The consent is more than a year old."),
    Rule(ConsentError, r"",
         "Die Angaben zur Einwilligung sind unvollständig oder ungültig.",
         "The consent details are incomplete or invalid."),
    # who may see what
    Rule(PermissionDeniedError, r"belongs to another rep",
         "Dieser Kunde wird von einer anderen Person im Außendienst betreut.",
         "This customer belongs to another rep."),
    Rule(PermissionDeniedError, r"",
         "Dafür fehlt Ihnen die Berechtigung.", "You are not allowed to do this."),
    Rule(NotFoundError, r"^Account not found",
         "Diesen Kunden gibt es nicht (mehr).", "This customer does not exist (any more)."),
    Rule(NotFoundError, r"",
         "Nicht gefunden.", "Not found."),
    # state conflicts
    Rule(ConflictError, r"marked do not call",
         "Dieser Kunde ist als „Nicht anrufen“ markiert; es wird keine Aufnahme angenommen.",
         "This customer is marked “do not call”; no recording is accepted."),
    Rule(ConflictError, r"already (been )?uploaded|Idempotency-Key",
         "Diese Aufnahme wurde bereits hochgeladen und wird nur einmal gespeichert. Nichts "
         "wurde gespeichert.",
         "This recording has already been uploaded and is kept only once. Nothing was "
         "stored."),
    Rule(ModelError, r"",
         "Das Sprach- oder KI-Modell ist gerade nicht verfügbar. Bitte später erneut versuchen.",
         "The speech or AI model is not available right now. Please try again later."),
    Rule(StorageError, r"",
         "Der Speicher ist nicht erreichbar. Bitte später erneut versuchen oder die "
         "Administration fragen.",
         "The storage cannot be reached. Please try again later or ask your administrator."),
)  # fmt: skip


def error_message(exc: WinbackError, language: str) -> str:
    """The message of ``exc`` for a person reading ``language`` (German unless ``en``).

    Without a matching rule the message itself (see the module doc).
    """
    detail = str(exc)
    for rule in RULES:
        if not isinstance(exc, rule.kind):
            continue
        found = re.search(rule.pattern, detail)
        if found is None:
            continue
        values = {k: v for k, v in found.groupdict().items() if v is not None}
        template = rule.en if language == "en" else rule.de
        return template.format(detail=detail, **values)
    return detail


#: Form fields a page sends, by the name a person knows them by.
FIELD_NAMES = {
    "given_by": ("Einwilligung gegeben von", "Consent given by"),
    "given_at": ("Einwilligung am", "Consent given at"),
    "method": ("Art der Einwilligung", "Consent method"),
    "text_version": ("Version des Einwilligungstexts", "Consent text version"),
    "consent_confirmed": ("Bestätigung der Einwilligung", "Consent confirmation"),
}


def invalid_field_message(field: str, language: str) -> str:
    """A request parameter was missing or malformed: name the field the person filled in."""
    key = field.rsplit(".", 1)[-1]
    german, english = FIELD_NAMES.get(key, (key, key))
    if language == "en":
        return f"Please check the field “{english}”: it is missing or invalid."
    return f"Bitte prüfen Sie das Feld „{german}“: es fehlt oder ist ungültig."

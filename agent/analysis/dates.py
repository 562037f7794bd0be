"""Due dates from spoken German and English time phrases, resolved against the call date.

The rules are those of labelling-guidelines.md §3, done by code because a small model
gets calendar arithmetic wrong:

* an explicit date gives that date (digits or spoken ordinals: "am zwölften
  Februar", "the second of March", "12.02.", "Donnerstag, den neunzehnten");
  without a year it is the next such date on or after the call date;
* a weekday gives the next such day after the call date, the same weekday +7;
* "nächste Woche Dienstag" / "Tuesday next week" gives that day of next week;
* heute/today = call date, morgen/tomorrow +1, übermorgen +2;
* "Ende der Woche" = Friday of this week, "Ende nächster Woche" = Friday of next week;
* "in zwei Wochen" +14, "in vier Wochen" +28 (any "in N Tagen/Wochen");
* "Ende des Monats" = last day of this month, "Ende März" = last day of March;
* ranges and vague phrases ("nächste Woche", "demnächst", "Anfang April",
  "after Easter") give ``None``.

Patterns are tried from the most to the least specific; the first that
matches decides. The public entry point is :func:`resolve_due_date`.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

# --- vocabularies -------------------------------------------------------------

WEEKDAYS: dict[str, int] = {
    "montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4,
    "samstag": 5, "sonnabend": 5, "sonntag": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
    "saturday": 5, "sunday": 6,
}  # fmt: skip

MONTHS: dict[str, int] = {
    "januar": 1, "jänner": 1, "january": 1,
    "februar": 2, "feber": 2, "feb": 2, "february": 2,
    "märz": 3, "maerz": 3, "mär": 3, "march": 3,
    "april": 4, "apr": 4,
    "mai": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "okt": 10, "october": 10, "oct": 10,
    "november": 11, "nov": 11,
    "dezember": 12, "dez": 12, "december": 12, "dec": 12,
}  # fmt: skip

_DE_UNITS = ["ein", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun"]
_DE_ORDINAL_STEMS: dict[str, int] = {
    "erst": 1, "zweit": 2, "dritt": 3, "viert": 4, "fünft": 5, "sechst": 6, "siebt": 7,
    "siebent": 7, "acht": 8, "neunt": 9, "zehnt": 10, "elft": 11, "zwölft": 12,
    "dreizehnt": 13, "vierzehnt": 14, "fünfzehnt": 15, "sechzehnt": 16, "siebzehnt": 17,
    "achtzehnt": 18, "neunzehnt": 19, "zwanzigst": 20, "dreißigst": 30,
    "einunddreißigst": 31,
}  # fmt: skip
for _i, _unit in enumerate(_DE_UNITS, start=1):
    _DE_ORDINAL_STEMS[f"{_unit}undzwanzigst"] = 20 + _i

_EN_ORDINALS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
    "thirteenth": 13, "fourteenth": 14, "fifteenth": 15, "sixteenth": 16,
    "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
    "thirtieth": 30,
}  # fmt: skip
for _i, _unit in enumerate(
    ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"], 1
):
    _EN_ORDINALS[f"twenty-{_unit}"] = 20 + _i
    _EN_ORDINALS[f"twenty {_unit}"] = 20 + _i
_EN_ORDINALS["thirty-first"] = _EN_ORDINALS["thirty first"] = 31

#: Every spoken ordinal form (German with its inflection endings) → day number.
ORDINAL_WORDS: dict[str, int] = dict(_EN_ORDINALS)
for _stem, _day in _DE_ORDINAL_STEMS.items():
    for _ending in ("e", "en", "er", "es", "em"):
        ORDINAL_WORDS[_stem + _ending] = _day

CARDINALS: dict[str, int] = {
    "ein": 1, "eine": 1, "einer": 1, "einem": 1, "einen": 1, "a": 1, "an": 1, "one": 1,
    "zwei": 2, "two": 2, "drei": 3, "three": 3, "vier": 4, "four": 4, "fünf": 5, "five": 5,
    "sechs": 6, "six": 6, "sieben": 7, "seven": 7, "acht": 8, "eight": 8, "neun": 9,
    "nine": 9, "zehn": 10, "ten": 10, "vierzehn": 14, "fourteen": 14,
}  # fmt: skip


def _alt(words: Iterable[str]) -> str:
    # Longest first so that "einundzwanzigsten" wins over "ein...".
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_WD = _alt(WEEKDAYS)
_MON = _alt(MONTHS)
_ORD = _alt(ORDINAL_WORDS)
_CARD = _alt(CARDINALS)
_DAYNUM = rf"(?:(?P<dnum>\d{{1,2}})(?:\.|st|nd|rd|th)?|(?P<dword>{_ORD}))"
_B = r"(?<![\w])"  # word start (works with umlauts, unlike \b after a non-ASCII char)
_E = r"(?![\w])"

_RE = {
    "iso": re.compile(rf"{_B}(?P<y>\d{{4}})-(?P<m>\d{{2}})-(?P<d>\d{{2}}){_E}"),
    "numeric": re.compile(rf"{_B}(?P<d>\d{{1,2}})\.\s?(?P<m>\d{{1,2}})\.(?:\s?(?P<y>\d{{2,4}}))?"),
    "day_month": re.compile(
        rf"{_B}(?:the\s+)?{_DAYNUM}\s+(?:of\s+)?(?P<mon>{_MON}){_E}\.?(?:,?\s+(?P<y>\d{{4}}))?"
    ),
    "month_day": re.compile(
        rf"{_B}(?P<mon>{_MON})\s+(?:the\s+)?{_DAYNUM}{_E}(?:,?\s+(?P<y>\d{{4}}))?"
    ),
    # "Donnerstag, den neunzehnten" / "Tuesday the tenth": a weekday pins the day of month.
    "weekday_day": re.compile(rf"{_B}(?:{_WD})\w*,?\s+(?:den|dem|the)\s+{_DAYNUM}{_E}"),
    "next_week_weekday": re.compile(
        rf"{_B}(?:(?:nächste|kommende)[nr]?\s+woche|next\s+week),?\s+(?:am\s+|on\s+)?(?P<wd>{_WD})"
        rf"|{_B}(?P<wd2>{_WD})\w*\s+(?:(?:in\s+der\s+)?(?:nächste|kommende)[nr]?\s+woche|next\s+week)"
    ),
    "end_next_week": re.compile(
        rf"{_B}(?:ende\s+(?:der\s+)?(?:nächste|kommende)[nr]?\s+woche|end\s+of\s+next\s+week)"
    ),
    "end_week": re.compile(
        rf"{_B}(?:ende\s+(?:der|dieser|diese)\s+woche|end\s+of\s+(?:the|this)\s+week)"
    ),
    "end_next_month": re.compile(
        rf"{_B}(?:ende\s+(?:des\s+)?(?:nächste|kommende)[nrsm]?\s+monats?"
        rf"|end\s+of\s+next\s+month)"
    ),
    "end_month": re.compile(
        rf"{_B}(?:ende\s+(?:des|dieses)\s+monats|ende\s+monat{_E}|monatsende|"
        rf"end\s+of\s+(?:the|this)\s+month)"
    ),
    "end_named_month": re.compile(rf"{_B}(?:ende|end\s+of)\s+(?P<mon>{_MON}){_E}"),
    "in_n": re.compile(
        rf"{_B}in\s+(?P<n>\d{{1,2}}|{_CARD})\s+(?P<unit>tage?n?|days?|wochen?|weeks?){_E}"
    ),
    "weekday": re.compile(rf"{_B}(?P<wd>{_WD})(?:s?(?:vormittag|nachmittag|morgen|abend))?{_E}"),
    "day_after_tomorrow": re.compile(rf"{_B}(?:übermorgen|day\s+after\s+tomorrow){_E}"),
    "tomorrow": re.compile(
        rf"(?<!guten\s)(?<!am\s)(?<!jeden\s)(?<!über){_B}(?:morgen|tomorrow){_E}"
    ),
    "today": re.compile(rf"{_B}(?:heute|today|tonight|this\s+afternoon|this\s+evening){_E}"),
}

#: Phrases that make a weekday or date vague (a range, not a day).
_VAGUE_WEEKDAY_CONTEXT = re.compile(rf"{_B}(?:jeden|every|immer)\s", re.I)


@dataclass(frozen=True)
class DueDate:
    """A resolved due date and the words it came from."""

    date: date
    phrase: str
    rule: str


def _day_number(match: re.Match[str]) -> int | None:
    if match.group("dnum"):
        return int(match.group("dnum"))
    word = match.group("dword")
    return ORDINAL_WORDS.get(word) if word else None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year(raw: str | None, fallback: int) -> int:
    if not raw:
        return fallback
    value = int(raw)
    return value + 2000 if value < 100 else value


def _upcoming(call_date: date, month: int, day: int, year: str | None) -> date | None:
    """The date with ``month``/``day``; without a year the next one on or after the call."""
    if year:
        return _safe_date(_year(year, call_date.year), month, day)
    candidate = _safe_date(call_date.year, month, day)
    if candidate is None or candidate < call_date:
        candidate = _safe_date(call_date.year + 1, month, day)
    return candidate


def _next_weekday(call_date: date, weekday: int) -> date:
    days = (weekday - call_date.weekday()) % 7
    return call_date + timedelta(days=days or 7)


def _monday(of: date) -> date:
    return of - timedelta(days=of.weekday())


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _resolve(rule: str, m: re.Match[str], call_date: date) -> date | None:  # noqa: C901
    if rule == "iso":
        return _safe_date(int(m["y"]), int(m["m"]), int(m["d"]))
    if rule == "numeric":
        return _upcoming(call_date, int(m["m"]), int(m["d"]), m["y"])
    if rule in ("day_month", "month_day"):
        day = _day_number(m)
        return _upcoming(call_date, MONTHS[m["mon"]], day, m["y"]) if day else None
    if rule == "weekday_day":
        day = _day_number(m)
        if not day:
            return None
        # The next date with this day of the month, on or after the call date.
        for offset in range(0, 3):
            month = (call_date.month - 1 + offset) % 12 + 1
            year = call_date.year + (call_date.month - 1 + offset) // 12
            candidate = _safe_date(year, month, day)
            if candidate and candidate >= call_date:
                return candidate
        return None
    if rule == "next_week_weekday":
        weekday = WEEKDAYS[m["wd"] or m["wd2"]]
        return _monday(call_date) + timedelta(days=7 + weekday)
    if rule == "end_next_week":
        return _monday(call_date) + timedelta(days=7 + 4)
    if rule == "end_week":
        friday = _monday(call_date) + timedelta(days=4)
        # Said on a weekend, "end of the week" can only mean the coming Friday.
        return friday if friday >= call_date else friday + timedelta(days=7)
    if rule == "end_next_month":
        month = call_date.month % 12 + 1
        return _month_end(call_date.year + (call_date.month == 12), month)
    if rule == "end_month":
        return _month_end(call_date.year, call_date.month)
    if rule == "end_named_month":
        month = MONTHS[m["mon"]]
        year = call_date.year if month >= call_date.month else call_date.year + 1
        return _month_end(year, month)
    if rule == "in_n":
        raw = m["n"]
        n = int(raw) if raw.isdigit() else CARDINALS[raw]
        unit = m["unit"]
        days = n * 7 if unit.startswith(("woche", "week")) else n
        return call_date + timedelta(days=days)
    if rule == "day_after_tomorrow":
        return call_date + timedelta(days=2)
    if rule == "tomorrow":
        return call_date + timedelta(days=1)
    if rule == "today":
        return call_date
    if rule == "weekday":
        return _next_weekday(call_date, WEEKDAYS[m["wd"]])
    raise AssertionError(rule)


def resolve_due_date(text: str | None, call_date: date) -> DueDate | None:
    """Resolve the first specific time expression in ``text`` against ``call_date``.

    ``text`` may be a short phrase ("bis Freitag") or a whole sentence; the
    most specific expression in it decides. Vague phrases, ranges and text
    without a time expression give ``None`` rather than a guess.
    """
    if not text:
        return None
    lowered = text.lower()
    for rule, pattern in _RE.items():
        match = pattern.search(lowered)
        if not match:
            continue
        if rule == "weekday" and _VAGUE_WEEKDAY_CONTEXT.search(lowered[: match.start() + 1]):
            continue
        resolved = _resolve(rule, match, call_date)
        if resolved is not None:
            return DueDate(date=resolved, phrase=text[match.start() : match.end()], rule=rule)
    return None

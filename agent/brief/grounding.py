"""The grounding checker: does each sentence of a brief rest on the records it cites?

For one sentence (a :class:`~agent.brief.schema.Claim`) the checker verifies

* that every cited record exists for the tenant (looked up in the database),
* that every number and date in the sentence occurs in a cited record - or is
  an aggregate of the cited records (their count, or the sum of one numeric
  field such as ``total_amount``), which is how "revenue 2024: 12.345,67 €
  from 8 orders" is verified against the eight cited orders,
* that every product code (``VB-1001``) and known person name in the sentence
  occurs in a cited record,
* that a sentence stating any of these cites at least one record.

Numbers are compared at the precision the sentence writes them ("rund
12.346 €" matches 12,345.67), and both German and English number formats are
read, because a model may mix them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from agent.brief.schema import Brief, Claim
from agent.history.records import RecordBook, SourceRecord

MONTHS = {
    name: i + 1
    for names in (
        (
            "januar",
            "februar",
            "märz",
            "april",
            "mai",
            "juni",
            "juli",
            "august",
            "september",
            "oktober",
            "november",
            "dezember",
        ),
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        ("jan", "feb", "mär", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "dez"),
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    )
    for i, name in enumerate(names)
}
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DMY = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_DMONY = re.compile(rf"\b(?:(\d{{1,2}})\.?\s+)?({_MONTH_RE})\.?\s+(\d{{4}})\b", re.IGNORECASE)
_MONDY = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}}),\s+(\d{{4}})\b", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w])\d+(?:[.,]\d+)*")
_FACT_ID = re.compile(r"\(?\bF\d{1,2}\b\)?")
_SKU = re.compile(r"\b[A-Z]{2,4}-\d{3,5}\b")


@dataclass(frozen=True)
class Mentions:
    """What a text states that can be checked: dates, months, numbers, product codes."""

    dates: frozenset[date]
    months: frozenset[tuple[int, int]]
    numbers: tuple[tuple[str, int], ...]
    skus: frozenset[str]


def _safe_date(y: str, m: str | int, d: str | int) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def number_candidates(token: str) -> set[Decimal]:
    """The values a number token can mean in German or English notation."""
    values: set[Decimal] = set()
    for thousands, decimal in ((".", ","), (",", ".")):
        parts = token.split(decimal)
        if len(parts) > 2:
            continue
        whole = parts[0]
        groups = whole.split(thousands)
        if len(groups) > 1 and not all(len(g) == 3 for g in groups[1:]):
            continue
        text = "".join(groups) + ("." + parts[1] if len(parts) == 2 else "")
        try:
            values.add(Decimal(text))
        except InvalidOperation:
            continue
    return values


def _decimals(token: str) -> int:
    """Digits after the decimal mark as written (0 for whole numbers or thousands groups)."""
    for mark in (",", "."):
        if mark in token:
            tail = token.rsplit(mark, 1)[1]
            if len(tail) != 3:
                return len(tail)
    return 0


def mentions(text: str) -> Mentions:
    """Extract the checkable dates, months, numbers and product codes of ``text``."""
    text = _FACT_ID.sub(" ", text)
    dates: set[date] = set()
    months: set[tuple[int, int]] = set()
    for pattern, order in ((_ISO, "ymd"), (_DMY, "dmy")):
        for m in pattern.finditer(text):
            y, mo, d = (
                (m.group(1), m.group(2), m.group(3))
                if order == "ymd"
                else (m.group(3), m.group(2), m.group(1))
            )
            found = _safe_date(y, mo, d)
            if found:
                dates.add(found)
        text = pattern.sub(" ", text)
    for m in _MONDY.finditer(text):
        found = _safe_date(m.group(3), MONTHS[m.group(1).lower()], m.group(2))
        if found:
            dates.add(found)
    text = _MONDY.sub(" ", text)
    for m in _DMONY.finditer(text):
        month = MONTHS[m.group(2).lower()]
        if m.group(1):
            found = _safe_date(m.group(3), month, m.group(1))
            if found:
                dates.add(found)
        else:
            months.add((int(m.group(3)), month))
    text = _DMONY.sub(" ", text)
    skus = frozenset(_SKU.findall(text))
    text = _SKU.sub(" ", text)
    numbers = tuple((t, _decimals(t)) for t in _NUMBER.findall(text))
    return Mentions(frozenset(dates), frozenset(months), numbers, skus)


@dataclass
class Support:
    """Everything a set of cited records can vouch for."""

    dates: set[date]
    numbers: set[Decimal]
    text: str

    @classmethod
    def of(cls, records: Sequence[SourceRecord]) -> Support:
        dates: set[date] = set()
        numbers: set[Decimal] = {Decimal(len(records))}
        sums: dict[str, Decimal] = {}
        texts: list[str] = []
        for record in records:
            if record.day:
                dates.add(record.day)
            texts.append(record.text)
            for name, value in record.fields.items():
                if isinstance(value, date):
                    dates.add(value)
                elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                    numbers.add(Decimal(str(value)))
                    sums[name] = sums.get(name, Decimal(0)) + Decimal(str(value))
            found = mentions(record.text)
            dates |= found.dates
            for token, _ in found.numbers:
                numbers |= number_candidates(token)
        numbers |= set(sums.values())
        # "Umsatz 2024" names a year: any cited date in that year supports it.
        numbers |= {Decimal(d.year) for d in dates}
        return cls(dates=dates, numbers=numbers, text="\n".join(texts).lower())

    def has_number(self, token: str, decimals: int) -> bool:
        for candidate in number_candidates(token):
            quantum = Decimal(1).scaleb(-decimals)
            for value in self.numbers:
                if value.quantize(quantum) == candidate.quantize(quantum):
                    return True
        return False


def check_claim(
    claim: Claim,
    book: RecordBook,
    names: Iterable[str] = (),
    require_source: bool = False,
) -> list[str]:
    """Return the grounding problems of one sentence (an empty list means it passes)."""
    problems: list[str] = []
    records: list[SourceRecord] = []
    for source in claim.sources:
        record = book.get(source)
        if record is None:
            problems.append(f"cites {source}, which does not exist")
        else:
            records.append(record)
    found = mentions(claim.text)
    lowered = claim.text.lower()
    named = [n for n in names if n and n.lower() in lowered]
    checkable = bool(found.dates or found.months or found.numbers or found.skus or named)
    if not claim.sources:
        if checkable or require_source:
            problems.append("states facts without citing a record")
        return problems
    support = Support.of(records)
    for day in sorted(found.dates):
        if day not in support.dates:
            problems.append(f"date {day.isoformat()} is not in the cited records")
    for year, month in sorted(found.months):
        if not any(d.year == year and d.month == month for d in support.dates):
            problems.append(f"month {year}-{month:02d} is not in the cited records")
    for token, decimals in found.numbers:
        if not support.has_number(token, decimals):
            problems.append(f"number {token} is not in the cited records")
    for sku in sorted(found.skus):
        if sku.lower() not in support.text:
            problems.append(f"product {sku} is not in the cited records")
    for name in named:
        if name.lower() not in support.text:
            problems.append(f"name {name} is not in the cited records")
    return problems


def is_claim(claim: Claim, names: Iterable[str] = ()) -> bool:
    """True when the sentence states something checkable or cites a record."""
    if claim.sources:
        return True
    found = mentions(claim.text)
    lowered = claim.text.lower()
    return bool(
        found.dates
        or found.months
        or found.numbers
        or found.skus
        or any(n and n.lower() in lowered for n in names)
    )


def check_brief(brief: Brief, book: RecordBook, names: Iterable[str] = ()) -> dict[str, list[str]]:
    """Problems per part of a brief (only failing parts are listed)."""
    names = list(names)
    out: dict[str, list[str]] = {}
    for part, claim in brief.claims():
        problems = check_claim(claim, book, names, require_source=part.startswith("situation"))
        if problems:
            out[part] = problems
    return out


def grounding_rate(brief: Brief, book: RecordBook, names: Iterable[str] = ()) -> tuple[int, int]:
    """(supported claims, all claims) of a brief; a claim cites or states something checkable."""
    names = list(names)
    total = supported = 0
    for part, claim in brief.claims():
        if not is_claim(claim, names) and not part.startswith("situation"):
            continue
        total += 1
        if not check_claim(claim, book, names, require_source=part.startswith("situation")):
            supported += 1
    return supported, total

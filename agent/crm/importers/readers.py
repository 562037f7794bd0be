"""Reading import files: existence, compression, encoding, CSV and JSON records.

Files are read as streams so that a 45 MB export never sits in memory as a
whole. :func:`inspect_file` makes one cheap pass over the bytes first: it
computes the file's sha256 (for the ``ImportRun`` record) and decides the text
encoding. We accept UTF-8 (with or without BOM) and Windows-1252, the two
encodings German CRM and Excel exports come in; anything else is refused with
the line number of the first byte that fits neither, so a user never gets
silently garbled names.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from agent.errors import ImportRowError, NotFoundError, ValidationError

#: Called as ``progress(phase, done, total)``; phases are "reading" and "writing".
ProgressCallback = Callable[[str, int, int], None]

# Bytes that Windows-1252 leaves undefined: a file containing them is neither
# UTF-8 nor Windows-1252.
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class SourceFile:
    """What we learnt about an import file before parsing it."""

    path: Path
    encoding: str
    compressed: bool
    sha256: str
    size: int
    syntax: str  # "csv" or "json"


@dataclass
class Records:
    """Rows of a file as ``(line_number, {column: value})`` plus the columns found."""

    columns: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]
    #: Rows the reader itself could not use (wrong number of cells), as problems.
    problems: list[tuple[int, str, str]] = field(default_factory=list)


def _open_binary(path: Path, compressed: bool) -> BinaryIO:
    raw = path.open("rb")
    if compressed:
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


def inspect_file(path: str | Path) -> SourceFile:
    """Check that ``path`` is a readable CSV/JSON file and find its encoding.

    Raises :class:`NotFoundError` for a missing file and :class:`ValidationError`
    for an unsupported extension, a corrupt gzip stream or an undecodable byte
    (the message names the line).
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise NotFoundError(f"Import file not found: {path}")
    name = path.name.lower()
    compressed = name.endswith(".gz")
    base = name[:-3] if compressed else name
    if base.endswith(".csv") or base.endswith(".txt"):
        syntax = "csv"
    elif base.endswith(".json"):
        syntax = "json"
    else:
        raise ValidationError(
            f"Cannot import {path.name}: expected a .csv, .csv.gz, .json or .json.gz file."
        )
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_READ_CHUNK):
            digest.update(chunk)
    try:
        encoding = _detect_encoding(path, compressed)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ValidationError(f"Cannot read {path.name}: {exc}") from exc
    return SourceFile(
        path=path,
        encoding=encoding,
        compressed=compressed,
        sha256=digest.hexdigest(),
        size=path.stat().st_size,
        syntax=syntax,
    )


def _detect_encoding(path: Path, compressed: bool) -> str:
    """Return "utf-8-sig" or "cp1252", or raise naming the first bad line."""
    utf8_bad_line: int | None = None
    saw_utf8_multibyte_before_bad = False
    with _open_binary(path, compressed) as fh:
        for number, line in enumerate(fh, start=1):
            if number == 1 and line[:2] in (b"\xff\xfe", b"\xfe\xff"):
                raise ValidationError(
                    f"{path.name} is UTF-16 encoded: save it as UTF-8 (or Windows-1252) CSV."
                )
            if b"\x00" in line:
                raise ValidationError(
                    f"{path.name}, line {number}: contains NUL bytes; this is not a text file "
                    "(or it is UTF-16): save it as UTF-8 CSV."
                )
            if line.isascii():
                continue
            if utf8_bad_line is None:
                try:
                    line.decode("utf-8")
                    saw_utf8_multibyte_before_bad = True
                    continue
                except UnicodeDecodeError:
                    utf8_bad_line = number
            bad = _CP1252_UNDEFINED.intersection(line)
            if bad:
                raise ValidationError(
                    f"{path.name}, line {number}: byte 0x{min(bad):02x} is neither UTF-8 nor "
                    "Windows-1252; save the file as UTF-8."
                )
    if utf8_bad_line is None:
        return "utf-8-sig"
    if saw_utf8_multibyte_before_bad:
        # Earlier lines hold valid UTF-8 umlauts, this one does not: decoding the
        # whole file as Windows-1252 would garble the earlier ones ("Ã¤").
        raise ValidationError(
            f"{path.name}, line {utf8_bad_line}: not valid UTF-8, but earlier lines are UTF-8; "
            "the file mixes encodings. Save it again as UTF-8."
        )
    return "cp1252"


@contextmanager
def open_text(source: SourceFile) -> Iterator[tuple[io.TextIOWrapper, BinaryIO]]:
    """Open ``source`` as text; also yield the raw handle whose ``tell()`` shows progress."""
    raw = source.path.open("rb")
    try:
        binary: BinaryIO = (
            gzip.GzipFile(fileobj=raw, mode="rb") if source.compressed else raw  # type: ignore[assignment]
        )
        text = io.TextIOWrapper(binary, encoding=source.encoding, newline="")
        yield text, raw
    finally:
        raw.close()


def _normalise_column(name: str) -> str:
    return name.strip().strip("\ufeff").strip()


def _sniff_delimiter(header_line: str) -> str:
    # German Excel writes ";" because "," is the decimal separator.
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def iter_csv(
    source: SourceFile, progress: ProgressCallback | None = None
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line_number, cells)`` of a CSV file, the header first as line 1.

    Line numbers are physical line numbers (a quoted field with a line break
    counts its lines), so they match what an editor shows.
    """
    with open_text(source) as (text, raw):
        first = text.readline()
        delimiter = _sniff_delimiter(first)
        chained = _chain_first(first, text)
        reader = csv.reader(chained, delimiter=delimiter, strict=True)
        line_no = 0
        try:
            for cells in reader:
                line_no += 1
                if line_no % 20000 == 0 and progress is not None:
                    progress("reading", raw.tell(), source.size)
                start = reader.line_num - _extra_lines(cells)
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                yield start, cells
        except csv.Error as exc:
            raise ImportRowError(
                f"{source.path.name} is not valid CSV near line {reader.line_num}: {exc}",
                [(reader.line_num, "-", f"CSV syntax: {exc}")],
            ) from exc
        except UnicodeDecodeError as exc:  # inspect_file should have caught it
            raise ValidationError(f"{source.path.name}: {exc}") from exc
        if progress is not None:
            progress("reading", source.size, source.size)


def _chain_first(first: str, rest: io.TextIOWrapper) -> Iterator[str]:
    yield first
    yield from rest


def _extra_lines(cells: list[str]) -> int:
    # reader.line_num is the number of the row's last physical line.
    return sum(cell.count("\n") for cell in cells if "\n" in cell)


def read_csv_records(source: SourceFile, progress: ProgressCallback | None = None) -> Records:
    """Read a CSV file with a header line as dict records keyed by column name."""
    rows = iter_csv(source, progress)
    try:
        _, header = next(rows)
    except StopIteration:
        raise ValidationError(f"{source.path.name} is empty: expected a header line.") from None
    columns = [_normalise_column(c) for c in header]
    problems: list[tuple[int, str, str]] = []

    def records() -> Iterator[tuple[int, dict[str, Any]]]:
        width = len(columns)
        for line, cells in rows:
            if len(cells) != width:
                problems.append(
                    (line, "-", f"row has {len(cells)} cells but the header has {width}")
                )
                continue
            yield line, dict(zip(columns, cells, strict=True))

    return Records(columns=columns, rows=records(), problems=problems)


def read_json_records(source: SourceFile) -> Records:
    """Read a JSON file holding a list of objects; each record carries its start line.

    The list is decoded element by element so that problems can be reported
    with the line the object starts on, just as for CSV.
    """
    with open_text(source) as (text, _raw):
        content = text.read().lstrip("\ufeff")
    decoder = json.JSONDecoder()
    pos = _skip_ws(content, 0)
    if pos >= len(content) or content[pos] != "[":
        raise ValidationError(
            f"{source.path.name}: expected a JSON list of objects ([{{...}}, ...])."
        )
    items: list[tuple[int, dict[str, Any]]] = []
    pos = _skip_ws(content, pos + 1)
    columns: dict[str, None] = {}
    while pos < len(content) and content[pos] != "]":
        line = content.count("\n", 0, pos) + 1
        try:
            value, pos = decoder.raw_decode(content, pos)
        except json.JSONDecodeError as exc:
            raise ImportRowError(
                f"{source.path.name} is not valid JSON at line {exc.lineno}: {exc.msg}",
                [(exc.lineno, "-", f"JSON syntax: {exc.msg}")],
            ) from exc
        if not isinstance(value, dict):
            raise ImportRowError(
                f"{source.path.name}, line {line}: expected an object, "
                f"found {type(value).__name__}",
                [(line, "-", "each list element must be an object")],
            )
        record = {_normalise_column(str(k)): _json_cell(v) for k, v in value.items()}
        columns.update(dict.fromkeys(record))
        items.append((line, record))
        pos = _skip_ws(content, pos)
        if pos < len(content) and content[pos] == ",":
            pos = _skip_ws(content, pos + 1)
        elif pos < len(content) and content[pos] != "]":
            line = content.count("\n", 0, pos) + 1
            raise ImportRowError(
                f"{source.path.name} is not valid JSON at line {line}: expected ',' or ']'",
                [(line, "-", "JSON syntax: expected ',' or ']'")],
            )
    if pos >= len(content):
        raise ValidationError(f"{source.path.name}: the JSON list is not closed with ']'.")
    return Records(columns=list(columns), rows=iter(items))


def _json_cell(value: Any) -> Any:
    # Everything becomes text, as in a CSV cell, so one validator serves both.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def read_records(source: SourceFile, progress: ProgressCallback | None = None) -> Records:
    """Read CSV or JSON records depending on the file's syntax."""
    if source.syntax == "json":
        return read_json_records(source)
    return read_csv_records(source, progress)

"""File reading: encodings, compression, CSV dialects, JSON line numbers."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from agent.crm.importers.readers import inspect_file, read_records
from agent.errors import ImportRowError, NotFoundError, ValidationError

TEXT = "name,city\nMüller,Köln\nStraße,Düsseldorf\n"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8-sig"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("cp1252"), "cp1252"),
    ],
    ids=["utf8", "utf8-bom", "cp1252"],
)
def test_accepted_encodings_read_the_same_text(tmp_path: Path, data: bytes, encoding: str) -> None:
    source = inspect_file(_write(tmp_path, "a.csv", data))
    assert source.encoding == encoding
    records = read_records(source)
    assert records.columns == ["name", "city"]
    assert list(records.rows) == [
        (2, {"name": "Müller", "city": "Köln"}),
        (3, {"name": "Straße", "city": "Düsseldorf"}),
    ]


def test_gzip_and_semicolon_csv(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.csv.gz", gzip.compress(TEXT.replace(",", ";").encode()))
    records = read_records(inspect_file(path))
    assert [r for _, r in records.rows][0] == {"name": "Müller", "city": "Köln"}


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="not found"):
        inspect_file(tmp_path / "nope.csv")


def test_unsupported_extension(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"\.csv"):
        inspect_file(_write(tmp_path, "a.xlsx", b"PK"))


def test_undecodable_byte_names_the_line(tmp_path: Path) -> None:
    # 0x81 is undefined in Windows-1252 and invalid as UTF-8.
    path = _write(tmp_path, "a.csv", b"name,city\nok,ok\nbad\x81,x\n")
    with pytest.raises(ValidationError, match="line 3"):
        inspect_file(path)


def test_mixed_utf8_and_cp1252_is_refused(tmp_path: Path) -> None:
    data = "name\nMüller\n".encode() + "Köln\n".encode("cp1252")
    with pytest.raises(ValidationError, match="line 3.*mixes encodings"):
        inspect_file(_write(tmp_path, "a.csv", data))


def test_utf16_is_refused_with_advice(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="UTF-16"):
        inspect_file(_write(tmp_path, "a.csv", TEXT.encode("utf-16")))


def test_corrupt_gzip_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="Cannot read"):
        inspect_file(_write(tmp_path, "a.csv.gz", b"not gzip at all"))


def test_wrong_cell_count_is_a_row_problem(tmp_path: Path) -> None:
    records = read_records(inspect_file(_write(tmp_path, "a.csv", b"a,b\n1,2\n1,2,3\n")))
    assert len(list(records.rows)) == 1
    assert records.problems == [(3, "-", "row has 3 cells but the header has 2")]


def test_json_records_carry_their_start_line(tmp_path: Path) -> None:
    data = b'[\n  {"a": 1, "b": null},\n  {"a": true,\n   "b": "x"}\n]\n'
    records = read_records(inspect_file(_write(tmp_path, "a.json", data)))
    assert list(records.rows) == [(2, {"a": "1", "b": ""}), (3, {"a": "true", "b": "x"})]


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    data = b'[\n  {"a": 1},\n  {"a": }\n]\n'
    with pytest.raises(ImportRowError) as info:
        read_records(inspect_file(_write(tmp_path, "a.json", data)))
    assert info.value.problems[0][0] == 3


def test_json_must_be_a_list(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="list of objects"):
        read_records(inspect_file(_write(tmp_path, "a.json", b'{"a": 1}')))

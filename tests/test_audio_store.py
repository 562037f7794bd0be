"""The local audio store: atomic writes, streaming size limit, disk full."""

from __future__ import annotations

import errno
import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.audio_store import LocalAudioStore
from agent.errors import NotFoundError, PayloadTooLargeError, StorageError


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_put_path_delete_roundtrip(tmp_path: Path) -> None:
    store = LocalAudioStore(tmp_path / "audio")
    data = b"RIFF" + bytes(range(256)) * 100
    stored = store.put(io.BytesIO(data), max_bytes=10**6)
    assert stored.size_bytes == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert store.path(stored.key).read_bytes() == data
    assert list(store.keys()) == [stored.key]
    other = store.put(io.BytesIO(data), max_bytes=10**6)
    assert other.key != stored.key  # random ids, never derived from content or name
    assert store.delete(stored.key) is True
    assert store.delete(stored.key) is False  # idempotent
    with pytest.raises(NotFoundError):
        store.path(stored.key)


def test_invalid_keys_cannot_escape_the_store(tmp_path: Path) -> None:
    store = LocalAudioStore(tmp_path / "audio")
    with pytest.raises(NotFoundError):
        store.path("../../etc/passwd")


def test_size_limit_is_enforced_while_streaming(tmp_path: Path) -> None:
    store = LocalAudioStore(tmp_path / "audio")
    consumed: list[int] = []

    def endless() -> Iterator[bytes]:
        for i in range(10_000):  # would be 10 GB if read to the end
            consumed.append(i)
            yield b"\0" * 1_000_000

    with pytest.raises(PayloadTooLargeError, match="larger than the limit"):
        store.put(endless(), max_bytes=5_000_000)
    assert len(consumed) == 6  # stopped at the first chunk over the limit
    assert files_under(tmp_path / "audio") == []  # and nothing was left behind


def test_disk_full_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalAudioStore(tmp_path / "audio")
    real_write = os.write
    calls = {"n": 0}

    def filling_disk(fd: int, data: bytes) -> int:
        """``os.write`` on a disk that fills up while the third chunk of the audio is written."""
        if not os.readlink(f"/proc/self/fd/{fd}").startswith(str(tmp_path / "audio")):
            return real_write(fd, data)  # pytest's own output and the like
        calls["n"] += 1
        if calls["n"] == 3:
            real_write(fd, data[: len(data) // 2])  # a partial write, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", filling_disk)
    with pytest.raises(StorageError, match="full"):
        store.put(io.BytesIO(b"x" * 5_000_000), max_bytes=10**8)
    assert files_under(tmp_path / "audio") == []


def test_unwritable_directory_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "audio"
    blocker.write_text("a file where the directory should be")
    with pytest.raises(StorageError, match="Cannot write"):
        LocalAudioStore(blocker).put(io.BytesIO(b"abc"), max_bytes=100)

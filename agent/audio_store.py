"""Where uploaded recordings live: a small interface and a local-directory store.

The store keeps bytes under random ids and knows nothing about accounts or
consent. Writes are atomic: the upload streams into a temporary file in the
same directory, is fsync'ed and then renamed into place, so a reader never
sees half a file and a crash or a full disk leaves no partial recording
behind. The size limit is enforced chunk by chunk while streaming, so an
oversized upload is refused without being read into memory or onto disk
in full. Object storage can implement the same interface later.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from agent.errors import NotFoundError, PayloadTooLargeError, StorageError
from agent.settings import Settings

CHUNK_SIZE = 1024 * 1024
_KEY = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class StoredAudio:
    """The result of a successful write: key, size and content hash."""

    key: str
    size_bytes: int
    sha256: str


class AudioStore(Protocol):
    """Stores recordings under random keys."""

    def put(self, source: BinaryIO | Iterable[bytes], *, max_bytes: int) -> StoredAudio:
        """Stream ``source`` into the store, refusing more than ``max_bytes``."""
        ...

    def path(self, key: str) -> Path:
        """A local file path with the content of ``key`` (for decoding)."""
        ...

    def exists(self, key: str) -> bool:
        """Whether ``key`` is stored."""
        ...

    def delete(self, key: str) -> bool:
        """Remove ``key``; return whether something was deleted."""
        ...


def iter_chunks(source: BinaryIO | Iterable[bytes], size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Yield the bytes of a file object or an iterable of byte chunks."""
    read = getattr(source, "read", None)
    if read is not None:
        while True:
            chunk = read(size)
            if not chunk:
                return
            yield chunk
    else:
        for chunk in source:  # type: ignore[union-attr]
            if chunk:
                yield bytes(chunk)


def _write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (``os.write`` may write less than asked)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class LocalAudioStore:
    """An :class:`AudioStore` in a local directory (``settings.audio_path``).

    Files are spread over 256 sub-directories by the first two hex digits of
    the key so one directory never holds millions of entries.
    """

    def __init__(self, root: Path):
        self.root = Path(root)

    def _final_path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise NotFoundError(f"Invalid audio key {key!r}.")
        return self.root / key[:2] / key

    def put(self, source: BinaryIO | Iterable[bytes], *, max_bytes: int) -> StoredAudio:
        """Stream ``source`` into a new file; see the module docstring for the guarantees.

        Raises :class:`PayloadTooLargeError` as soon as more than ``max_bytes``
        arrive (the rest of the source is not read) and :class:`StorageError`
        when the disk is full or not writable; in both cases no file is left.
        """
        key = secrets.token_hex(16)
        final = self._final_path(key)
        tmp = final.with_name(f".{key}.part")
        digest = hashlib.sha256()
        size = 0
        fd = -1
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            for chunk in iter_chunks(source):
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLargeError(
                        f"The upload is larger than the limit of {max_bytes / 1e6:.0f} MB "
                        "(setting max_upload_mb)."
                    )
                digest.update(chunk)
                _write_all(fd, chunk)
            os.fsync(fd)
            os.close(fd)
            fd = -1
            os.replace(tmp, final)
            _fsync_dir(final.parent)
        except OSError as exc:
            self._discard(fd, tmp)
            if exc.errno == errno.ENOSPC:
                raise StorageError(
                    f"The audio store at {self.root} is full: free disk space and upload again."
                ) from exc
            raise StorageError(f"Cannot write to the audio store at {self.root}: {exc}") from exc
        except BaseException:
            self._discard(fd, tmp)
            raise
        return StoredAudio(key=key, size_bytes=size, sha256=digest.hexdigest())

    @staticmethod
    def _discard(fd: int, tmp: Path) -> None:
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(OSError):
            tmp.unlink()

    def path(self, key: str) -> Path:
        """The file of ``key``; raises :class:`NotFoundError` when it is gone."""
        final = self._final_path(key)
        if not final.is_file():
            raise NotFoundError(f"Audio {key} is not in the store (deleted by retention?).")
        return final

    def exists(self, key: str) -> bool:
        """Whether ``key`` is stored."""
        return self._final_path(key).is_file()

    def delete(self, key: str) -> bool:
        """Remove ``key``; deleting a missing key is not an error (idempotent)."""
        try:
            self._final_path(key).unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StorageError(f"Cannot delete audio {key}: {exc}") from exc
        return True

    def keys(self) -> Iterator[str]:
        """All stored keys (for orphan clean-up and tests)."""
        if not self.root.is_dir():
            return
        for sub in sorted(self.root.iterdir()):
            if sub.is_dir():
                for item in sorted(sub.iterdir()):
                    if _KEY.match(item.name):
                        yield item.name


def _fsync_dir(directory: Path) -> None:
    # The rename is only durable once the directory entry is on disk.
    with contextlib.suppress(OSError):
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def get_audio_store(settings: Settings) -> AudioStore:
    """The audio store configured in ``settings`` (the local directory for now)."""
    return LocalAudioStore(settings.audio_path)

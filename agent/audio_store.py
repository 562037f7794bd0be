"""Where uploaded recordings live: a small interface and a local-directory store.

The store keeps bytes under random ids and knows nothing about accounts or
consent. Writes are atomic and two-phase: :meth:`LocalAudioStore.stage`
streams the bytes into the staging directory (``.staging`` under the root),
fsync'ed, and :meth:`LocalAudioStore.commit` renames the staged file into
place once the database knows its key. Audio is therefore only ever under a
name a database row knows, or in the staging directory, which the sweep of
crash leftovers (:mod:`agent.leftovers`) empties: it moves a staged file
whose row exists into place (the crash came between the row and the
rename) and deletes the rest once they are old. A reader never sees half a
file, and a crash or a full disk leaves no recording that nothing deletes.
The size limit is enforced chunk by chunk while streaming, so an oversized
upload is refused without being read into memory or onto disk in full.
Object storage can implement the same interface later.
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
#: Where files wait for the database to know them (see the module docstring).
STAGING_DIR = ".staging"
_KEY = re.compile(r"^[0-9a-f]{32}$")
_SUBDIR = re.compile(r"^[0-9a-f]{2}$")


@dataclass(frozen=True)
class StoredAudio:
    """The result of a successful write: key, size and content hash."""

    key: str
    size_bytes: int
    sha256: str


class AudioStore(Protocol):
    """Stores recordings under random keys."""

    def new_key(self) -> str:
        """A fresh random key (to record in the database before writing under it)."""
        ...

    def put(
        self, source: BinaryIO | Iterable[bytes], *, max_bytes: int, key: str | None = None
    ) -> StoredAudio:
        """Stream ``source`` into the store under ``key`` (default: a new random key)."""
        ...

    def stage(
        self, source: BinaryIO | Iterable[bytes], *, max_bytes: int, key: str | None = None
    ) -> StoredAudio:
        """Stream ``source`` into the staging area; :meth:`commit` makes it stored."""
        ...

    def staged_path(self, key: str) -> Path:
        """A local file path of the staged ``key`` (for probing before it is committed)."""
        ...

    def commit(self, key: str) -> None:
        """Move the staged ``key`` into place (idempotent once it is there)."""
        ...

    def discard(self, key: str) -> None:
        """Remove the staged ``key`` if it is still staged."""
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
        for chunk in source:
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

    @property
    def staging(self) -> Path:
        """The staging directory: files the database may not know yet (see the module doc)."""
        return self.root / STAGING_DIR

    def new_key(self) -> str:
        """A fresh random key."""
        return secrets.token_hex(16)

    def put(
        self, source: BinaryIO | Iterable[bytes], *, max_bytes: int, key: str | None = None
    ) -> StoredAudio:
        """:meth:`stage` and :meth:`commit` in one go, for a key the caller has recorded."""
        stored = self.stage(source, max_bytes=max_bytes, key=key)
        try:
            self.commit(stored.key)
        except BaseException:
            self.discard(stored.key)
            raise
        return stored

    def stage(
        self, source: BinaryIO | Iterable[bytes], *, max_bytes: int, key: str | None = None
    ) -> StoredAudio:
        """Stream ``source`` into the staging directory, fsync'ed; see the module docstring.

        Raises :class:`PayloadTooLargeError` as soon as more than ``max_bytes``
        arrive (the rest of the source is not read) and :class:`StorageError`
        when the disk is full or not writable; in both cases no file is left.
        """
        key = key or self.new_key()
        self._final_path(key)  # validates the key
        tmp = self.staged_path(key)
        digest = hashlib.sha256()
        size = 0
        fd = -1
        try:
            tmp.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
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

    def staged_path(self, key: str) -> Path:
        """The staging file of ``key`` (which may not exist)."""
        self._final_path(key)  # validates the key
        return self.staging / key

    def commit(self, key: str) -> None:
        """Rename the staged ``key`` into place; a key already in place is left as it is.

        Raises :class:`NotFoundError` when ``key`` is neither staged nor stored.
        """
        final = self._final_path(key)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.staged_path(key), final)
        except FileNotFoundError as exc:
            if final.is_file():
                return  # committed already (by the sweep, or an earlier try)
            raise NotFoundError(f"Audio {key} is neither staged nor stored.") from exc
        except OSError as exc:
            raise StorageError(f"Cannot move audio {key} into place: {exc}") from exc
        _fsync_dir(final.parent)

    def discard(self, key: str) -> None:
        """Remove the staged ``key``; a key that is not staged is not an error."""
        with contextlib.suppress(FileNotFoundError):
            self.staged_path(key).unlink()

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
        """All stored keys (for orphan clean-up and tests); staged ones are not stored yet."""
        for _, path in self.files():
            yield path.name

    def files(self) -> Iterator[tuple[str, Path]]:
        """``(key, path)`` of every stored file."""
        if not self.root.is_dir():
            return
        for sub in sorted(self.root.iterdir()):
            if sub.is_dir() and _SUBDIR.match(sub.name):
                for item in sorted(sub.iterdir()):
                    if _KEY.match(item.name):
                        yield item.name, item

    def staged(self) -> Iterator[tuple[str, Path]]:
        """``(key, path)`` of every staged file (committed, discarded or swept later)."""
        if self.staging.is_dir():
            for item in sorted(self.staging.iterdir()):
                if _KEY.match(item.name):
                    yield item.name, item

    def strays(self) -> Iterator[Path]:
        """Files that are neither stored nor staged audio: half-written ``.part`` files of
        older versions, and anything unknown in the staging directory."""
        if not self.root.is_dir():
            return
        for sub in sorted(self.root.iterdir()):
            if sub.is_dir() and (_SUBDIR.match(sub.name) or sub.name == STAGING_DIR):
                for item in sorted(sub.iterdir()):
                    if item.is_file() and not _KEY.match(item.name):
                        yield item


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

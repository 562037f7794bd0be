"""Counters of requests per key in fixed time windows: in memory, in a SQLite file, in Redis.

The rate limits (:mod:`api.ratelimit`) count with them. The key of a counter
contains the number of the current window (``unix time // window``), so a
window needs no reset, it simply ends. A fixed window lets a client spend up
to twice a limit across a window boundary; for limits meant to slow guessing
down that is acceptable and much simpler than a sliding log.

* :class:`MemoryCounter`: this process only (one web process, tests);
* :class:`SqliteCounter`: a file that every web process of one machine
  shares (``winback serve --workers N`` without Redis);
* :class:`RedisCounter`: ``INCR`` plus ``EXPIREAT`` on the Redis server, shared
  by every process on every machine.

A counter whose store is unavailable counts nothing (``Hit.count == 0``) and
logs a warning, so the limits fail open rather than locking everyone out.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    """The state of a counter right after counting one request."""

    key: str
    count: int
    retry_after: int


class Counter(Protocol):
    """Counts requests per key in fixed windows of ``window_s`` seconds."""

    def hit(self, key: str, window_s: int) -> Hit:
        """Count one request for ``key`` in the current window and return the new count."""
        ...

    def undo(self, hit: Hit) -> None:
        """Take back one earlier ``hit`` (if its window has not ended)."""
        ...


def _window(now: float, window_s: int) -> tuple[int, int]:
    """The current window's number and the whole seconds until it ends (at least 1)."""
    number = int(now // window_s)
    return number, max(1, math.ceil((number + 1) * window_s - now))


class MemoryCounter:
    """Counters in this process's memory (one web process: the embedded setup)."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self._clock = clock
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, window_s: int) -> Hit:
        number, retry_after = _window(self._clock(), window_s)
        full = f"{key}:{window_s}:{number}"
        with self._lock:
            if len(self._counts) > 50_000:
                self._forget_ended()
            count = self._counts.get(full, 0) + 1
            self._counts[full] = count
        return Hit(full, count, retry_after)

    def undo(self, hit: Hit) -> None:
        with self._lock:
            count = self._counts.get(hit.key)
            if count is not None:
                self._counts[hit.key] = max(0, count - 1)

    def _forget_ended(self) -> None:
        now = self._clock()
        for full in list(self._counts):
            _, window_s, number = full.rsplit(":", 2)
            if int(number) < int(now // int(window_s)):
                del self._counts[full]


#: Decrement a counter only while it exists: an undo after the window ended must not
#: leave a key with -1 and no expiry behind.
_UNDO_SCRIPT = """
if redis.call('exists', KEYS[1]) == 1 then
  return redis.call('decr', KEYS[1])
end
return 0
"""


class RedisCounter:
    """Counters in Redis, shared by every web process that uses the same server and prefix."""

    def __init__(self, client: Any, prefix: str, clock: Callable[[], float] = time.time):
        self._client = client
        self._prefix = prefix
        self._clock = clock
        self._undo = client.register_script(_UNDO_SCRIPT)

    @classmethod
    def from_url(
        cls, url: str, prefix: str, clock: Callable[[], float] = time.time
    ) -> RedisCounter:
        """A counter on the Redis server at ``url`` with short timeouts (fail fast)."""
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        return cls(client, prefix, clock)

    def hit(self, key: str, window_s: int) -> Hit:
        import redis

        now = self._clock()
        number, retry_after = _window(now, window_s)
        full = f"{self._prefix}:{key}:{window_s}:{number}"
        try:
            pipe = self._client.pipeline(transaction=True)
            pipe.incr(full)
            # Idempotent: every hit sets the same expiry, one second after the window ends.
            pipe.expireat(full, (number + 1) * window_s + 1)
            count = int(pipe.execute()[0])
        except redis.RedisError as exc:
            log.warning("rate limit not applied, Redis unavailable: %s", exc)
            return Hit(full, 0, retry_after)
        return Hit(full, count, retry_after)

    def undo(self, hit: Hit) -> None:
        import redis

        if hit.count == 0:
            return  # never counted (Redis was down)
        try:
            self._undo(keys=[hit.key])
        except redis.RedisError as exc:
            log.warning("rate limit undo failed, Redis unavailable: %s", exc)


class SqliteCounter:
    """Counters in a SQLite file that every web process of this machine shares.

    Each hit is one autocommitted ``INSERT ... ON CONFLICT DO UPDATE ...
    RETURNING``: atomic across processes, no read-modify-write race. Ended
    windows are deleted about once a minute. The connection is opened lazily
    and again after a fork.
    """

    def __init__(self, path: Path, clock: Callable[[], float] = time.time):
        self._path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._next_sweep = 0.0

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self._path, timeout=2.0, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS counters "
                "(key TEXT PRIMARY KEY, count INTEGER NOT NULL, ends_at INTEGER NOT NULL)"
            )
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def hit(self, key: str, window_s: int) -> Hit:
        now = self._clock()
        number, retry_after = _window(now, window_s)
        full = f"{key}:{window_s}:{number}"
        try:
            with self._lock:
                conn = self._connection()
                row = conn.execute(
                    "INSERT INTO counters (key, count, ends_at) VALUES (?, 1, ?) "
                    "ON CONFLICT (key) DO UPDATE SET count = count + 1 RETURNING count",
                    (full, (number + 1) * window_s),
                ).fetchone()
                if now >= self._next_sweep:
                    conn.execute("DELETE FROM counters WHERE ends_at < ?", (int(now),))
                    self._next_sweep = now + 60
        except (sqlite3.Error, OSError) as exc:
            log.warning("rate limit not applied, counter file %s unavailable: %s", self._path, exc)
            return Hit(full, 0, retry_after)
        return Hit(full, int(row[0]), retry_after)

    def undo(self, hit: Hit) -> None:
        if hit.count == 0:
            return  # never counted (the file was unavailable)
        try:
            with self._lock:
                self._connection().execute(
                    "UPDATE counters SET count = MAX(count - 1, 0) WHERE key = ?", (hit.key,)
                )
        except (sqlite3.Error, OSError) as exc:
            log.warning("rate limit undo failed, counter file %s unavailable: %s", self._path, exc)

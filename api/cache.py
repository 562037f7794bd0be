"""One in-process cache type for the web app: bounded, expiring, thread-safe.

The web app keeps a few results in memory between requests (the plan, the
plan's JSON per user scope, the user behind a token or cookie). Each of them
needs the same four things, and written once per use they drifted apart (one
cleared everything when full, one grew until a hard limit): a bound on the
number of entries (least recently used go first), an age after which an
entry is not served (a safety net for changes this process cannot see),
explicit invalidation (a change this process makes is visible at once), and
a lock, since FastAPI serves requests from a thread pool.

:meth:`Cache.get_or_build` also builds a missing value once when several
threads ask for it at the same time: the plan takes tens of milliseconds to
build, and a burst of requests after a change would otherwise build it once
per request.

Freshness across processes is the caller's business: it puts a data version
into the key (:mod:`api.planning`), so an entry of older data is simply never
asked for again and ages out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from agent.clock import SYSTEM, Clock

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Cache(Generic[K, V]):
    """At most ``max_entries`` values, each served for ``ttl_s`` seconds after it was stored.

    ``clock`` gives the time (a :class:`agent.clock.ManualClock` in tests, so
    expiry is tested without sleeping). Values are never None: :meth:`get`
    answers None for a miss.
    """

    def __init__(self, max_entries: int, ttl_s: float, clock: Clock = SYSTEM) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self.clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._building: dict[K, threading.Lock] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: K, now: float | None = None) -> V | None:
        """The fresh value of ``key``, or None (missing or older than ``ttl_s``).

        ``now`` is a reading of monotonic time when the caller keeps time by
        another clock than the cache's (the web app's, which a test moves); an
        entry stored later than ``now`` by that clock is not served either.
        """
        if now is None:
            now = self.clock.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            if not 0 <= now - hit[0] < self.ttl_s:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return hit[1]

    def put(self, key: K, value: V, stored_at: float | None = None) -> None:
        """Store ``value``; the least recently used entry goes when the cache is full.

        ``stored_at`` (a reading of the clock's monotonic time) dates the entry
        from when its data was read rather than from now, for values that took
        long to build.
        """
        if value is None:
            raise ValueError("a cached value cannot be None (get() answers None for a miss)")
        at = self.clock.monotonic() if stored_at is None else stored_at
        with self._lock:
            self._entries[key] = (at, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def get_or_build(self, key: K, build: Callable[[], V]) -> V:
        """The fresh value of ``key``, else ``build()``, stored; concurrent misses build once.

        A thread that finds another one building the same key waits for it and
        takes its value. If ``build`` raises, nothing is stored and the next
        caller tries again.
        """
        hit = self.get(key)
        if hit is not None:
            return hit
        with self._lock:
            gate = self._building.setdefault(key, threading.Lock())
        try:
            with gate:
                hit = self.get(key)
                if hit is not None:
                    return hit
                started = self.clock.monotonic()
                value = build()
                self.put(key, value, stored_at=started)
                return value
        finally:
            with self._lock:
                self._building.pop(key, None)

    def discard(self, key: K) -> None:
        """Forget ``key`` (nothing happens if it is not cached)."""
        with self._lock:
            self._entries.pop(key, None)

    def discard_where(self, stale: Callable[[K, V], bool]) -> int:
        """Forget every entry for which ``stale(key, value)`` is true; return how many."""
        with self._lock:
            keys = [k for k, (_, v) in self._entries.items() if stale(k, v)]
            for key in keys:
                del self._entries[key]
            return len(keys)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()

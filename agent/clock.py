"""Time as a dependency.

Code that compares with "now", measures a pause or waits takes a
:class:`Clock` (default :data:`SYSTEM`), so a test moves time forward with
:class:`ManualClock` instead of sleeping until a heartbeat goes stale or a
rate-limit window ends. Tests that need real threads racing each other keep
real time; everything that only *reads* the time uses a clock.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, overload


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """``value`` as an aware UTC time: SQLite hands back naive datetimes even for
    ``timezone=True`` columns, and what it stores is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class Clock(Protocol):
    """The three readings of time the product uses."""

    def now(self) -> datetime:
        """The current time, timezone-aware in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for durations and deadlines)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


#: The clock every component uses unless it is given another.
SYSTEM: Clock = SystemClock()


class ManualClock:
    """A clock that moves only when told to: :meth:`advance`, or :meth:`sleep` (which advances).

    Thread-safe, so a background thread may read it while a test advances it.
    """

    def __init__(self, start: datetime | None = None, monotonic_start: float = 1000.0) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._monotonic = monotonic_start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._monotonic

    def advance(self, seconds: float) -> None:
        """Move both readings ``seconds`` forward."""
        if seconds < 0:
            raise ValueError("time does not go back")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._monotonic += seconds

    def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))

"""The injectable clock: the system clock reads real time, the manual one moves only when told."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from agent.clock import SYSTEM, ManualClock


def test_the_system_clock_reads_aware_utc_and_a_monotonic_second() -> None:
    before = datetime.now(UTC)
    assert SYSTEM.now().tzinfo is not None
    assert before <= SYSTEM.now() <= datetime.now(UTC)
    assert abs(SYSTEM.monotonic() - time.monotonic()) < 1.0


def test_a_manual_clock_moves_only_when_advanced_or_slept() -> None:
    clock = ManualClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    start, mono = clock.now(), clock.monotonic()
    assert clock.now() == start
    clock.advance(90)
    clock.sleep(30)
    assert (clock.now() - start).total_seconds() == 120
    assert clock.monotonic() - mono == 120


def test_a_manual_clock_refuses_naive_starts_and_going_back() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 3, 1, 12, 0))
    with pytest.raises(ValueError, match="back"):
        ManualClock().advance(-1)


def test_as_utc_reads_naive_database_times_as_utc_and_keeps_aware_ones() -> None:
    from datetime import timedelta, timezone

    from agent.clock import as_utc

    assert as_utc(datetime(2026, 3, 1, 12, 0)) == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    berlin = datetime(2026, 3, 1, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    assert as_utc(berlin) is berlin
    assert as_utc(None) is None

"""The runner's retry of job-state transactions after a dropped database connection."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from agent.clock import ManualClock
from agent.jobs.runner import DB_RETRY_DELAYS_S, db_retry


def dropped() -> OperationalError:
    return OperationalError("UPDATE pipeline_jobs", {}, Exception("server closed the connection"))


def test_a_dropped_connection_costs_a_pause_not_the_transaction() -> None:
    clock = ManualClock()
    started = clock.monotonic()
    tries: list[int] = []

    def transaction() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise dropped()
        return "committed"

    assert db_retry("finish", transaction, clock) == "committed"
    assert len(tries) == 3
    assert clock.monotonic() - started == pytest.approx(sum(DB_RETRY_DELAYS_S[:2]))


def test_the_last_error_is_raised_when_the_database_stays_away() -> None:
    clock = ManualClock()
    tries: list[int] = []

    def transaction() -> str:
        tries.append(1)
        raise dropped()

    with pytest.raises(OperationalError):
        db_retry("finish", transaction, clock)
    assert len(tries) == len(DB_RETRY_DELAYS_S) + 1


def test_other_errors_are_not_retried() -> None:
    tries: list[int] = []

    def transaction() -> str:
        tries.append(1)
        raise ValueError("a bug, not an outage")

    with pytest.raises(ValueError):
        db_retry("finish", transaction, ManualClock())
    assert tries == [1]

"""The compare-and-set that claims a job row, the same for every kind of job.

Two workers may hold a message for the same job (a duplicate after a
recovery sweep). Each reads the row, then moves it to its next attempt only
where status and attempt count are still what it read: the database lets
exactly one of them succeed, and the other one leaves the job alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from agent.crm.models import BriefJob, PipelineJob

#: The tables of job rows (one per kind of job).
JobRow = PipelineJob | BriefJob


def take_next_attempt(session: Session, row: JobRow, now: datetime, **values: Any) -> int | None:
    """Start the next attempt of ``row`` at ``now`` with ``values``; its number, or None if lost.

    ``values`` are the kind's own columns of a running job (its status, a
    heartbeat, cleared errors). None means another worker claimed the row
    after ``row`` was read.
    """
    table = type(row)
    attempt = row.attempts + 1
    result = cast(
        CursorResult[Any],
        session.execute(
            update(table)
            .where(
                table.id == row.id,
                table.status == row.status,
                table.attempts == row.attempts,
            )
            .values(attempts=attempt, started_at=now, finished_at=None, **values)
            .execution_options(synchronize_session=False)
        ),
    )
    return attempt if result.rowcount == 1 else None

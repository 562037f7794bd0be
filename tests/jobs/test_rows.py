"""The claim's compare-and-set: of two workers that read the same job row, one wins."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from agent.crm.db import Store
from agent.crm.models import BriefJob, BriefJobStatus
from agent.jobs.rows import take_next_attempt
from tests import factories as make

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _read(store: Store) -> BriefJob:
    """The job row as a worker reads it before claiming (detached from its session)."""
    with store.session() as s:
        row = s.scalars(select(BriefJob)).one()
        s.expunge(row)
    return row


def test_two_workers_read_the_same_row_and_only_the_first_takes_it(store: Store) -> None:
    with store.session() as s:
        tenant = make.tenant(s)
        account = make.account(s, tenant, "K-1", name="Bäckerei Korn")
        s.add(BriefJob(tenant_id=tenant.id, account_id=account.id, as_of=date(2026, 3, 2),
                       status=BriefJobStatus.queued, attempts=0, created_at=NOW,
                       error="an earlier failure"))  # fmt: skip
    mine, theirs = _read(store), _read(store)
    assert (mine.attempts, theirs.attempts) == (0, 0)
    with store.session() as s:
        assert take_next_attempt(s, mine, NOW, status=BriefJobStatus.running, error=None) == 1
    with store.session() as s:
        assert take_next_attempt(s, theirs, NOW, status=BriefJobStatus.running) is None
    row = _read(store)
    assert (row.status, row.attempts, row.error) == (BriefJobStatus.running, 1, None)
    assert row.finished_at is None and row.started_at is not None

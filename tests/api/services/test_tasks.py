"""The task service: the tasks a user may see; a state change takes the time of the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.auth import Principal
from agent.clock import ManualClock
from agent.crm.models import AuditEvent, TaskStatus
from agent.errors import NotFoundError, PermissionDeniedError
from api.services.tasks import list_tasks, set_task_status
from tests.api.world import World


def test_a_rep_lists_the_tasks_of_their_own_accounts_and_a_manager_the_tenants(
    session: Session, world: World, as_user: Callable[[str], Principal]
) -> None:
    own = list_tasks(session, as_user("rep1"), None, 100)
    assert [t.id for t in own] == [world.objects["rep1"].task]
    assert own[0].account is not None and own[0].status == "open"
    team = {t.id for t in list_tasks(session, as_user("boss"), None, 100)}
    assert team == {world.objects["rep1"].task, world.objects["rep2"].task}
    assert list_tasks(session, as_user("boss"), TaskStatus.done, 100) == []


def test_done_takes_the_clocks_time_and_is_audited_open_again_clears_it(
    session: Session, world: World, as_user: Callable[[str], Principal]
) -> None:
    clock = ManualClock(datetime(2026, 11, 4, 15, 30, tzinfo=UTC))
    task_id = world.objects["rep1"].task
    done = set_task_status(session, as_user("rep1"), task_id, TaskStatus.done, clock)
    assert (done.status, done.completed_at) == ("done", "2026-11-04T15:30:00+00:00")
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "task.status")).one()
    assert (event.before, event.after) == ({"status": "open"}, {"status": "done"})
    reopened = set_task_status(session, as_user("rep1"), task_id, TaskStatus.open, clock)
    assert (reopened.status, reopened.completed_at) == ("open", None)


def test_another_reps_task_is_refused_and_another_tenants_is_not_found(
    session: Session, world: World, as_user: Callable[[str], Principal]
) -> None:
    with pytest.raises(PermissionDeniedError):
        set_task_status(session, as_user("rep2"), world.objects["rep1"].task, TaskStatus.done)
    with pytest.raises(NotFoundError):
        set_task_status(session, as_user("boss"), world.objects["orep"].task, TaskStatus.done)

"""Tasks: listing the tasks a user may see and setting a task's state (audited)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.analysis.notes import audit
from agent.auth import Principal
from agent.clock import SYSTEM, Clock
from agent.crm.models import Account, Task, TaskStatus, User
from api.access import get_owned, scoped
from api.planning import forget_plans
from api.schemas.tasks import TaskOut


def task_out(task: Task, account: Account | None) -> TaskOut:
    """A task with its account's name."""
    return TaskOut(
        id=task.id,
        account_id=task.account_id,
        account=account.name if account else None,
        call_note_id=task.call_note_id,
        type=task.type.value,
        description=task.description,
        owner_id=task.owner_id,
        due_date=task.due_date.isoformat() if task.due_date else None,
        status=task.status.value,
        completed_at=task.completed_at.isoformat() if task.completed_at else None,
    )


def list_tasks(
    session: Session, user: Principal, status: TaskStatus | None, limit: int
) -> list[TaskOut]:
    """Tasks the user may see (a rep: on their accounts), by due date."""
    query = scoped(select(Task), user, Task)
    if status is not None:
        query = query.where(Task.status == status)
    rows = session.scalars(query.order_by(Task.due_date, Task.id).limit(limit)).all()
    return [task_out(t, session.get(Account, t.account_id)) for t in rows]


def set_task_status(
    session: Session, user: Principal, task_id: int, status: TaskStatus, clock: Clock = SYSTEM
) -> TaskOut:
    """Mark a task done, cancelled or open again, with an audit event.

    The cached plans are dropped: an open agreed call holds its account back
    in the plan, so closing or reopening one changes who is called.
    """
    task = get_owned(session, user, Task, task_id)
    before = {"status": task.status.value}
    task.status = status
    task.completed_at = clock.now() if status == TaskStatus.done else None
    audit(session, user.tenant_id, session.get(User, user.user_id), "task.status", "task",
          task.id, before, {"status": status.value})  # fmt: skip
    forget_plans()
    return task_out(task, session.get(Account, task.account_id))

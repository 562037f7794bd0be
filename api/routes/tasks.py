"""Tasks (next steps from approved notes): list and complete."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.analysis.notes import audit
from agent.auth import Principal
from agent.crm.models import Account, Task, TaskStatus, User
from api.access import get_owned, scoped
from api.deps import CurrentUser, IdPath, SessionDep

router = APIRouter(prefix="/api/tasks", tags=["tasks"])


class TaskStatusIn(BaseModel):
    """The new state of a task."""

    status: TaskStatus

    model_config = {"json_schema_extra": {"examples": [{"status": "done"}]}}


def task_out(task: Task, account: Account | None) -> dict[str, Any]:
    """A task as JSON."""
    return {
        "id": task.id,
        "account_id": task.account_id,
        "account": account.name if account else None,
        "call_note_id": task.call_note_id,
        "type": task.type.value,
        "description": task.description,
        "owner_id": task.owner_id,
        "due_date": task.due_date.isoformat() if task.due_date else None,
        "status": task.status.value,
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
    }


def list_tasks(
    session: Session, user: Principal, status: TaskStatus | None, limit: int
) -> list[dict[str, Any]]:
    """Tasks the user may see, by due date."""
    query = scoped(select(Task), user, Task)
    if status is not None:
        query = query.where(Task.status == status)
    rows = session.scalars(query.order_by(Task.due_date, Task.id).limit(limit)).all()
    return [task_out(t, session.get(Account, t.account_id)) for t in rows]


@router.get("", summary="List tasks")
def get_tasks(
    session: SessionDep,
    user: CurrentUser,
    status: TaskStatus | None = Query(None),
    limit: int = Query(200, ge=1, le=1000),
) -> list[dict[str, Any]]:
    """Tasks on the caller's accounts (managers and admins: the tenant's), by due date."""
    return list_tasks(session, user, status, limit)


@router.patch("/{task_id}", summary="Set a task's state")
def patch_task(
    task_id: IdPath, body: TaskStatusIn, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    """Mark a task done, cancelled or open again (audited)."""
    task = get_owned(session, user, Task, task_id)
    before = {"status": task.status.value}
    task.status = body.status
    task.completed_at = datetime.now(UTC) if body.status == TaskStatus.done else None
    audit(session, user.tenant_id, session.get(User, user.user_id), "task.status", "task",
          task.id, before, {"status": body.status.value})  # fmt: skip
    from api.planning import forget_plans

    forget_plans()  # an open agreed call holds its account back in the plan
    return task_out(task, session.get(Account, task.account_id))

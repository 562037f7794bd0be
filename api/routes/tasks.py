"""``/api/tasks``: the next steps of approved notes; list them and set their state."""

from __future__ import annotations

from fastapi import APIRouter, Query

from agent.crm.models import TaskStatus
from api.deps import CurrentUser, IdPath, SessionDep
from api.schemas.tasks import TaskOut, TaskStatusIn
from api.services.tasks import list_tasks, set_task_status

router = APIRouter(prefix="/api/tasks", tags=["tasks"])


@router.get("", summary="List tasks", response_model=list[TaskOut])
def get_tasks(
    session: SessionDep,
    user: CurrentUser,
    status: TaskStatus | None = Query(None),
    limit: int = Query(200, ge=1, le=1000),
) -> list[TaskOut]:
    """Tasks on the caller's accounts (managers and admins: the tenant's), by due date."""
    return list_tasks(session, user, status, limit)


@router.patch("/{task_id}", summary="Set a task's state", response_model=TaskOut)
def patch_task(
    task_id: IdPath, body: TaskStatusIn, session: SessionDep, user: CurrentUser
) -> TaskOut:
    """Mark a task done, cancelled or open again (audited)."""
    return set_task_status(session, user, task_id, body.status)

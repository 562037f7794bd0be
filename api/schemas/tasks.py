"""Tasks: the next steps of approved notes, and their state."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agent.crm.models import TaskStatus


class TaskStatusIn(BaseModel):
    """The new state of a task."""

    status: TaskStatus

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "done"}]})


class TaskOut(BaseModel):
    """A task on an account."""

    id: int
    account_id: int
    account: str | None = Field(description="The account's name.")
    call_note_id: int | None = Field(description="The approved note the task came from.")
    type: str = Field(description="The next step: send_offer, schedule_call, …")
    description: str
    owner_id: int | None
    due_date: str | None
    status: str = Field(description="open, done or cancelled.")
    completed_at: str | None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    "account_id": 17,
                    "account": "Müller Maschinenbau GmbH",
                    "call_note_id": 88,
                    "type": "send_offer",
                    "description": "Angebot Schleifmittel senden",
                    "owner_id": 3,
                    "due_date": "2026-11-10",
                    "status": "open",
                    "completed_at": None,
                }
            ]
        }
    )

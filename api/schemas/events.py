"""The event feed a CRM pulls: approvals, rejections and edits of notes, tasks, account changes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, JsonValue


class EventOut(BaseModel):
    """One audited change; ``note`` only on events of a call note (the note as it is now)."""

    id: int
    at: str = Field(description="When it happened (ISO 8601, UTC).")
    action: str = Field(examples=["call_note.approve"])
    actor: str | None = Field(description="Who did it (username, or the CLI's label).")
    object_type: str
    object_id: str
    before: dict[str, JsonValue] | None = Field(description="The changed fields before.")
    after: dict[str, JsonValue] | None = Field(description="The changed fields after.")
    note: dict[str, JsonValue] | None = Field(
        default=None,
        description="Present on call-note events: the note as GET /api/notes/{id} shows it "
        "(summary, outcome, churn reasons with evidence, next steps).",
    )


class EventsOut(BaseModel):
    """A page of the feed; ask again with ``after=next_after``."""

    events: list[EventOut]
    next_after: int = Field(description="The id to pass as ``after`` next time.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "events": [
                        {
                            "id": 512,
                            "at": "2026-11-03T14:05:12+00:00",
                            "action": "call_note.approve",
                            "actor": "t.schaefer",
                            "object_type": "call_note",
                            "object_id": "88",
                            "before": {"status": "pending_review"},
                            "after": {"status": "approved"},
                            "note": {
                                "id": 88,
                                "account": "K-10017",
                                "status": "approved",
                                "call_date": "2026-11-03",
                                "summary": "Kunde prüft ein neues Angebot bis Monatsende.",
                                "outcome": "follow_up",
                            },
                        }
                    ],
                    "next_after": 512,
                }
            ]
        }
    )

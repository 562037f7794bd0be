"""Request and response models of the call-note endpoints: list, read, edit, approve, reject."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from api.schemas.recordings import TRANSCRIPT_EXAMPLE, TranscriptOut

_REASON: dict[str, JsonValue] = {
    "code": "delivery_reliability", "evidence": "die Lieferungen kamen ständig zu spät",
    "confidence": 0.91, "turn": 3,
}  # fmt: skip
_STEP: dict[str, JsonValue] = {
    "type": "send_offer", "description": "Angebot für Ersatzteile schicken", "owner": "rep",
    "due_date": "2026-11-27", "due_phrase": "bis Ende nächster Woche", "confidence": 0.84,
    "turn": 7,
}  # fmt: skip
_NOTE: dict[str, JsonValue] = {
    "id": 42, "account": "K-10017", "status": "pending_review", "call_date": "2026-11-20",
    "language": "de", "summary": "Kunde kaufte wegen verspäteter Lieferungen woanders.",
    "outcome": "follow_up", "outcome_confidence": 0.78,
    "outcome_evidence": "schicken Sie mir ein Angebot", "uncertain": [],
    "churn_reasons": [_REASON], "next_steps": [_STEP], "expectations": None,
    "sentiment": "neutral", "warnings": [],
    "field_sources": {"summary": "ai", "outcome": "ai", "churn_reasons": "ai"},
    "model": "learned-v3", "failure_reason": None, "review_comment": None, "reviewed_at": None,
    "account_id": 17,
}  # fmt: skip


class ReasonOut(BaseModel):
    """A churn reason of a note with the customer's own words as evidence."""

    code: str
    evidence: str | None
    confidence: float | None = Field(description="Calibrated probability; 1 when a person chose.")
    turn: int | None = Field(description="The transcript turn the evidence was said in.")

    model_config = ConfigDict(json_schema_extra={"examples": [_REASON]})


class StepOut(BaseModel):
    """An agreed next step with owner and (when one was said or set) a due date."""

    type: str
    description: str
    owner: str = Field(description="rep or customer.")
    due_date: str | None = Field(description="ISO 8601 day.")
    due_phrase: str | None = Field(description="The spoken time words the date comes from.")
    confidence: float | None
    turn: int | None

    model_config = ConfigDict(json_schema_extra={"examples": [_STEP]})


class CandidateOut(BaseModel):
    """A value the reviewer may choose for an uncertain field, with the words behind it."""

    code: str
    probability: float
    evidence: str | None
    turn: int | None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"code": "price_terms", "probability": 0.46,
                          "evidence": "der Preis war am Ende zu hoch", "turn": 5}]
        }
    )  # fmt: skip


class UncertainOut(BaseModel):
    """A field the analysis was not sure of ("unsicher – bitte prüfen"), with its candidates."""

    field: str = Field(description="churn_reasons, outcome or next_steps.")
    candidates: list[CandidateOut]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "field": "outcome",
                    "candidates": [
                        {"code": "follow_up", "probability": 0.48, "evidence": None, "turn": None},
                        {"code": "not_now", "probability": 0.41, "evidence": None, "turn": None},
                    ],
                }
            ]  # fmt: skip
        }
    )


class NoteOut(BaseModel):
    """A call note as the list shows it (``winback notes show --json`` plus its account_id)."""

    id: int
    account: str | int = Field(description="The account's external id (its id when it has none).")
    status: str = Field(description="pending_review, approved, rejected or failed.")
    call_date: str | None = Field(description="ISO 8601 day.")
    language: str | None
    summary: str | None
    outcome: str | None
    outcome_confidence: float | None
    outcome_evidence: str | None
    uncertain: list[UncertainOut]
    churn_reasons: list[ReasonOut]
    next_steps: list[StepOut]
    expectations: str | None
    sentiment: str | None
    warnings: list[str]
    field_sources: dict[str, str] = Field(description='Per field "ai" or "edited".')
    model: str | None
    failure_reason: str | None
    review_comment: str | None
    reviewed_at: str | None = Field(description="ISO 8601.")
    account_id: int

    model_config = ConfigDict(json_schema_extra={"examples": [_NOTE]})


class NoteDetail(NoteOut):
    """A call note with its account, the fields still as the analysis wrote them, the transcript."""

    account_name: str | None
    recording_id: str | None
    created_at: str | None = Field(description="ISO 8601.")
    ai_generated: list[str] = Field(
        description="Fields as the analysis wrote them (the page marks them); edited ones are not."
    )
    transcript: TranscriptOut | None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_NOTE,
                    "account_name": "Müller Metallbau GmbH",
                    "recording_id": "3f9a0c2e5b7d4e1f8a6b0c9d2e4f6a8b",
                    "created_at": "2026-11-20T10:26:41",
                    "ai_generated": ["summary", "churn_reasons", "outcome", "next_steps"],
                    "transcript": TRANSCRIPT_EXAMPLE,
                }
            ]  # fmt: skip
        }
    )


class ApproveIn(BaseModel):
    """Optional comment of the approving manager."""

    comment: str | None = Field(None, max_length=2000, examples=["Passt, Angebot ist raus."])


class RejectIn(BaseModel):
    """Why the draft is rejected."""

    reason: str = Field(min_length=1, max_length=2000, examples=["Falscher Kunde zugeordnet."])


class EditIn(BaseModel):
    """New values for fields of the draft (shape of the analysis)."""

    summary: str | None = Field(None, max_length=4000)
    outcome: (
        Literal["reactivated", "follow_up", "not_now", "lost", "disqualified", "not_reached"] | None
    ) = None
    churn_reasons: list[dict[str, Any]] | None = Field(None, max_length=11)
    next_steps: list[dict[str, Any]] | None = Field(None, max_length=10)
    expectations: str | None = Field(None, max_length=2000)
    sentiment: str | None = Field(None, max_length=16)

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "outcome": "follow_up",
                    "churn_reasons": [
                        {
                            "code": "delivery_reliability",
                            "evidence": "die Lieferungen kamen ständig zu spät",
                            "confidence": 0.9,
                        }
                    ],
                }  # fmt: skip
            ]
        },
    }


class TaskCreated(BaseModel):
    """A task an approval created from a next step (or as a follow-up reminder)."""

    id: int
    type: str
    due_date: date | None
    description: str = Field(description="The step's name in the call's language, never a quote.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"id": 7, "type": "send_offer", "due_date": "2026-11-27",
                          "description": "Angebot schicken"}]
        }
    )  # fmt: skip


class StatusChange(BaseModel):
    """How an approval changed the account's status, and the reason it gives."""

    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    reason: str | None = None

    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "examples": [{"from": "active", "to": "lost", "reason": "Ergebnis: verloren"}]
        },
    )


class ApprovalOut(BaseModel):
    """What an approval wrote into the CRM record."""

    note: int
    labels: list[str] = Field(description="Churn reason codes added to the account's history.")
    tasks: list[TaskCreated]
    account_status: StatusChange | None = Field(
        description="The account's status change, or null when the outcome changes none."
    )
    learning_examples: int = Field(description="Sentences the tenant's analysis learns from.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "note": 42,
                    "labels": ["delivery_reliability"],
                    "tasks": [
                        {
                            "id": 7,
                            "type": "send_offer",
                            "due_date": "2026-11-27",
                            "description": "Angebot schicken",
                        }
                    ],
                    "account_status": {
                        "from": "active",
                        "to": "lost",
                        "reason": "Ergebnis: verloren",
                    },
                    "learning_examples": 3,
                }
            ]  # fmt: skip
        }
    )

"""Accounts: the list form, the detail with the win-back history, the owner assignment."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

ACCOUNT_EXAMPLE: JsonDict = {
    "id": 17,
    "external_id": "K-10017",
    "name": "Müller Maschinenbau GmbH",
    "city": "Augsburg",
    "country": "DE",
    "language": "de",
    "status": "active",
    "owner": "a.keller",
    "relationship_ease": 4,
}


class AccountOut(BaseModel):
    """An account as listed."""

    id: int
    external_id: str
    name: str
    city: str | None
    country: str | None
    language: str
    status: str
    owner: str | None = Field(description="Username of the rep who owns the account.")
    relationship_ease: int | None

    model_config = ConfigDict(json_schema_extra={"examples": [ACCOUNT_EXAMPLE]})


class OwnerIn(BaseModel):
    """New owner of an account: a rep's username, or null to unassign."""

    owner: str | None = Field(max_length=120, examples=["a.keller"])


class CallOut(BaseModel):
    """One call of the account's win-back history: its note, or its recording's stage."""

    note_id: int | None = Field(description="The call note, once the analysis wrote one.")
    recording_id: str | None
    stage: str = Field(
        description="The note's status (pending_review, approved, rejected, failed), or "
        "the recording's while no note exists (queued, processing, transcribed, failed)."
    )
    call_date: str | None
    outcome: str | None = None
    summary: str | None = None


class ReasonFound(BaseModel):
    """A churn reason an approved call found, with the customer's words."""

    code: str
    evidence: str | None
    call_note_id: int
    call_date: str | None
    source: str = Field(description="'ai' as the analysis found it, 'edited' by the reviewer.")


class OrderYearOut(BaseModel):
    """The account's orders of one calendar year (cancellations not counted)."""

    year: int
    orders: int
    revenue: float


class AccountNoteOut(BaseModel):
    """A CRM note of the account (the body cut at 2,000 characters)."""

    id: int
    kind: str
    occurred_at: str | None
    subject: str | None
    body: str | None


class AccountCallNoteOut(BaseModel):
    """A call note of the account, in short."""

    id: int
    status: str
    call_date: str | None
    outcome: str | None
    summary: str | None
    recording_id: str | None


class AccountRecordingOut(BaseModel):
    """One of the account's last 20 call recordings and its pipeline state."""

    id: str
    status: str
    created_at: str | None


class AccountTaskOut(BaseModel):
    """A task on the account (a next step of an approved note)."""

    id: int
    type: str
    description: str
    due_date: str | None
    status: str
    call_note_id: int | None


class AccountBriefOut(BaseModel):
    """A stored version of the account's pre-call brief."""

    id: int
    version: int
    created_at: str | None
    model: str | None


class AccountDetailOut(AccountOut):
    """An account with its history: orders per year, notes, calls, tasks, reasons, briefs."""

    industry: str | None
    status_reason: str | None
    last_order_date: str | None = Field(description="The last order, cancellations included.")
    orders_by_year: list[OrderYearOut]
    notes: list[AccountNoteOut] = Field(description="The 20 newest CRM notes.")
    call_notes: list[AccountCallNoteOut]
    recordings: list[AccountRecordingOut]
    tasks: list[AccountTaskOut]
    calls: list[CallOut] = Field(
        description="Every call, newest first: recordings still in the pipeline, then notes."
    )
    reasons: list[ReasonFound] = Field(description="The 50 newest churn reasons found.")
    briefs: list[AccountBriefOut]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **ACCOUNT_EXAMPLE,
                    "industry": "Maschinenbau",
                    "status_reason": None,
                    "last_order_date": "2025-06-30",
                    "orders_by_year": [{"year": 2024, "orders": 7, "revenue": 18450.0}],
                    "notes": [
                        {
                            "id": 301,
                            "kind": "visit",
                            "occurred_at": "2025-05-12T10:00:00",
                            "subject": "Jahresgespräch",
                            "body": "Preise für Schleifmittel zu hoch, Wettbewerber günstiger.",
                        }
                    ],
                    "call_notes": [
                        {
                            "id": 88,
                            "status": "approved",
                            "call_date": "2026-11-03",
                            "outcome": "follow_up",
                            "summary": "Kunde prüft ein neues Angebot bis Monatsende.",
                            "recording_id": "9f1c2b7e4a5d4c3b8a7f6e5d4c3b2a19",
                        }
                    ],
                    "recordings": [
                        {
                            "id": "9f1c2b7e4a5d4c3b8a7f6e5d4c3b2a19",
                            "status": "analyzed",
                            "created_at": "2026-11-03T09:42:10+00:00",
                        }
                    ],
                    "tasks": [
                        {
                            "id": 12,
                            "type": "send_offer",
                            "description": "Angebot Schleifmittel senden",
                            "due_date": "2026-11-10",
                            "status": "open",
                            "call_note_id": 88,
                        }
                    ],
                    "calls": [
                        {
                            "note_id": 88,
                            "recording_id": "9f1c2b7e4a5d4c3b8a7f6e5d4c3b2a19",
                            "stage": "approved",
                            "call_date": "2026-11-03",
                            "outcome": "follow_up",
                            "summary": "Kunde prüft ein neues Angebot bis Monatsende.",
                        }
                    ],
                    "reasons": [
                        {
                            "code": "price_terms",
                            "evidence": "Ihr Preis war uns zuletzt einfach zu hoch.",
                            "call_note_id": 88,
                            "call_date": "2026-11-03",
                            "source": "ai",
                        }
                    ],
                    "briefs": [
                        {
                            "id": 5,
                            "version": 2,
                            "created_at": "2026-11-02T16:00:00+00:00",
                            "model": "qwen2.5-1.5b-instruct",
                        }
                    ],
                }
            ]
        }
    )

"""Response models of the brief endpoints: a generation job, a stored version, the version list."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, JsonValue

_CONTENT_EXAMPLE: dict[str, JsonValue] = {
    "schema_version": 1,
    "account_external_id": "K-10017",
    "account_name": "Müller Metallbau GmbH",
    "language": "de",
    "as_of": "2026-11-02",
    "should_call": True,
    "situation": [{"text": "Letzte Bestellung am 3. Mai 2025.", "sources": ["order:79"]}],
    "opening_question": {"text": "Wie läuft es mit den Lieferungen?", "sources": ["note:12"]},
    "objections": [{"objection": "Zu teuer.", "answer": "Staffelpreise anbieten."}],
    "authored": {"situation": "code", "talking_points": "code", "opening_question": "model"},
}


class BriefJobOut(BaseModel):
    """A brief generation job."""

    id: str
    account_id: int
    status: str = Field(description="queued, running, done or failed.")
    brief_id: int | None
    error: str | None
    message: str | None = Field(
        None, description="A failed job's reason in the caller's language, for the web app."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5f0c…",
                    "account_id": 17,
                    "status": "done",
                    "brief_id": 3,
                    "error": None,
                    "message": None,
                }
            ]  # fmt: skip
        }
    )


class BriefVersion(BaseModel):
    """One stored version of an account's brief, without its content."""

    id: int
    version: int
    language: str
    model: str | None = Field(description="The model that wrote it, or the rules' name.")
    created_at: str | None = Field(description="When it was stored (ISO 8601).")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "version": 2,
                    "language": "de",
                    "model": "qwen2.5-1.5b-instruct",
                    "created_at": "2026-11-02T08:15:00",
                }
            ]  # fmt: skip
        }
    )


class BriefOut(BaseModel):
    """A stored brief version with its content (:class:`agent.brief.schema.Brief`) and Markdown."""

    id: int
    account_id: int
    version: int
    language: str
    model: str | None
    created_at: str | None = Field(description="When it was stored (ISO 8601).")
    ai_generated: list[str] = Field(
        description="The parts a language model wrote (agent/brief/authorship.py); "
        "empty when code wrote the whole brief."
    )
    content: dict[str, JsonValue] = Field(
        description="The brief as agent.brief.schema.Brief holds it: situation, key facts, "
        "churn hypotheses, opening question, talking points, objections, avoid, flags."
    )
    markdown: str

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "account_id": 17,
                    "version": 2,
                    "language": "de",
                    "model": "qwen2.5-1.5b-instruct",
                    "created_at": "2026-11-02T08:15:00",
                    "ai_generated": ["opening_question"],
                    "content": _CONTENT_EXAMPLE,
                    "markdown": "# Müller Metallbau GmbH\n…",
                }
            ]  # fmt: skip
        }
    )

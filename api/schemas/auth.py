"""Who the caller is, and their browser sessions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class MeOut(BaseModel):
    """The authenticated user; a browser session also gets its CSRF token."""

    username: str
    name: str
    role: str = Field(description="rep, manager, admin or council.")
    tenant: str = Field(description="The tenant's slug.")
    language: str = Field(description="The user's UI language (de or en).")
    csrf_token: str | None = Field(
        description="Send it as X-CSRF-Token on cookie-authenticated changes; null with a token."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "a.keller",
                    "name": "Anna Keller",
                    "role": "rep",
                    "tenant": "demo",
                    "language": "de",
                    "csrf_token": None,
                }
            ]
        }
    )


class SessionOut(BaseModel):
    """One browser session of the caller (the token itself is never shown)."""

    id: int
    created_at: datetime = Field(description="When the user logged in.")
    last_seen_at: datetime = Field(description="Last request, to the minute.")
    expires_at: datetime
    user_agent: str | None = Field(description="The browser, as it named itself.")
    client_ip: str | None
    current: bool = Field(description="True for the session this request came with.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 41,
                    "created_at": "2026-11-03T07:58:02Z",
                    "last_seen_at": "2026-11-03T11:20:00Z",
                    "expires_at": "2026-11-03T19:58:02Z",
                    "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/133.0",
                    "client_ip": "10.0.0.23",
                    "current": True,
                }
            ]
        }
    )


class EndedOut(BaseModel):
    """How many sessions were ended."""

    ended: int

    model_config = ConfigDict(json_schema_extra={"examples": [{"ended": 2}]})

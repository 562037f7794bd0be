"""``/api/me``: who the caller is (and the CSRF token for browser scripts), and their sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from agent.errors import NotFoundError
from agent.sessions import SessionInfo, end_all_sessions, end_session, list_sessions
from api.deps import AnyUser, IdPath, SessionDep, clock_of, forget_principals
from api.security import csrf_token

router = APIRouter(prefix="/api", tags=["auth"])


class SessionOut(BaseModel):
    """One browser session of the caller (the token itself is never shown)."""

    id: int
    created_at: datetime = Field(description="When the user logged in.")
    last_seen_at: datetime = Field(description="Last request, to the minute.")
    expires_at: datetime
    user_agent: str | None = Field(description="The browser, as it named itself.")
    client_ip: str | None
    current: bool = Field(description="True for the session this request came with.")


class EndedOut(BaseModel):
    """How many sessions were ended."""

    ended: int


def session_out(info: SessionInfo, request: Request) -> SessionOut:
    """A session as JSON, marking the request's own."""
    data = getattr(request.state, "session_data", None)
    return SessionOut(
        id=info.id,
        created_at=info.created_at,
        last_seen_at=info.last_seen_at,
        expires_at=info.expires_at,
        user_agent=info.user_agent,
        client_ip=info.client_ip,
        current=data is not None and data.session_id == info.id,
    )


@router.get("/me", summary="The current user")
def get_me(request: Request, user: AnyUser) -> dict[str, Any]:
    """The authenticated user; a browser session also gets its CSRF token."""
    data = getattr(request.state, "session_data", None)
    return {
        "username": user.username,
        "name": user.name,
        "role": user.role.value,
        "tenant": user.tenant_slug,
        "language": user.language,
        "csrf_token": csrf_token(request.app.state.secret, data) if data else None,
    }


@router.get("/me/sessions", response_model=list[SessionOut], summary="My browser sessions")
def get_my_sessions(request: Request, session: SessionDep, user: AnyUser) -> list[SessionOut]:
    """The caller's browser sessions that have not expired, the most recently used first."""
    return [
        session_out(info, request)
        for info in list_sessions(session, user.user_id, clock_of(request))
    ]


@router.delete("/me/sessions", response_model=EndedOut, summary="Sign out everywhere")
def end_my_sessions(session: SessionDep, user: AnyUser) -> EndedOut:
    """End every browser session of the caller, this one included (API tokens stay valid)."""
    ended = end_all_sessions(session, user.user_id)
    session.commit()
    forget_principals(user.user_id)
    return EndedOut(ended=ended)


@router.delete(
    "/me/sessions/{session_id}", status_code=204, summary="End one of my sessions",
    responses={404: {"description": "No such session of the caller."}},
)  # fmt: skip
def end_my_session(session_id: IdPath, session: SessionDep, user: AnyUser) -> Response:
    """End one browser session of the caller (e.g. on a lost laptop)."""
    if not end_session(session, user.user_id, session_id):
        raise NotFoundError("Session not found (ended already, or not yours).")
    session.commit()
    forget_principals(user.user_id)
    return Response(status_code=204)

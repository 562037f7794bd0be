"""The caller and their browser sessions, for ``/api/me`` and the user's own page."""

from __future__ import annotations

from sqlalchemy.orm import Session

from agent.auth import Principal
from agent.clock import SYSTEM, Clock
from agent.errors import NotFoundError
from agent.sessions import SessionInfo, end_all_sessions, end_session, list_sessions
from api.schemas.auth import EndedOut, MeOut, SessionOut


def me(user: Principal, csrf_token: str | None) -> MeOut:
    """Who ``user`` is; ``csrf_token`` is the browser session's (None with an API token)."""
    return MeOut(
        username=user.username,
        name=user.name,
        role=user.role.value,
        tenant=user.tenant_slug,
        language=user.language,
        csrf_token=csrf_token,
    )


def session_out(info: SessionInfo, current_id: int | None) -> SessionOut:
    """A session, marked ``current`` when it is the one with id ``current_id``."""
    return SessionOut(
        id=info.id,
        created_at=info.created_at,
        last_seen_at=info.last_seen_at,
        expires_at=info.expires_at,
        user_agent=info.user_agent,
        client_ip=info.client_ip,
        current=current_id is not None and current_id == info.id,
    )


def my_sessions(
    session: Session, user: Principal, current_id: int | None, clock: Clock = SYSTEM
) -> list[SessionOut]:
    """The user's unexpired browser sessions by ``clock``, the most recently used first."""
    return [session_out(info, current_id) for info in list_sessions(session, user.user_id, clock)]


def end_my_sessions(session: Session, user: Principal) -> EndedOut:
    """End every browser session of the user (API tokens stay valid), committed at once.

    Committed here, not at the end of the request: the caller then forgets
    the user's cached sessions, and another request must not find the
    session still valid in the database in between.
    """
    ended = end_all_sessions(session, user.user_id)
    session.commit()
    return EndedOut(ended=ended)


def end_my_session(session: Session, user: Principal, session_id: int) -> None:
    """End one browser session of the user, committed at once; 404 if it is not theirs."""
    if not end_session(session, user.user_id, session_id):
        raise NotFoundError("Session not found (ended already, or not yours).")
    session.commit()

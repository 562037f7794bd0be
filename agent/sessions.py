"""Browser sessions held on the server, so that they can be ended.

A login creates a ``user_sessions`` row and hands the browser a random
256-bit token in the session cookie; the row stores only the token's
SHA-256 (like API tokens in :mod:`agent.auth`). Every request looks the
row up, so logout, "sign out everywhere", a password change and a
deactivation end a session at once: they delete its row. A signed cookie
without a row (the scheme before) could not be taken back until it expired.

A session lives ``session_hours`` from login. Ended sessions are deleted
rather than marked, and expired ones are purged by the worker's maintenance
sweep (:func:`purge_expired`), because device and address are personal data
that serve only the user's own session list.

The functions that compare with "now" take a :class:`agent.clock.Clock`
(the machine's by default), so a test lets a session expire by moving a
:class:`agent.clock.ManualClock` instead of waiting or editing rows.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from agent.clock import SYSTEM, Clock, as_utc
from agent.crm.db import Store
from agent.crm.models import User, UserSession

#: ``last_seen_at`` is written at most this often per session: reads stay cheap.
SEEN_EVERY_S = 60


def hash_session_token(token: str) -> str:
    """The stored form of a session token (hex SHA-256)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SessionInfo:
    """One session as the user and the operator see it (never the token)."""

    id: int
    user_id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str | None
    client_ip: str | None

    @classmethod
    def of(cls, row: UserSession) -> SessionInfo:
        return cls(
            id=row.id,
            user_id=row.user_id,
            created_at=as_utc(row.created_at),
            last_seen_at=as_utc(row.last_seen_at),
            expires_at=as_utc(row.expires_at),
            user_agent=row.user_agent,
            client_ip=row.client_ip,
        )


def start_session(
    session: Session,
    user_id: int,
    *,
    hours: float,
    user_agent: str | None = None,
    client_ip: str | None = None,
    clock: Clock = SYSTEM,
) -> tuple[str, SessionInfo]:
    """Create a session of ``user_id`` valid for ``hours``; return its token and description.

    The token goes into the cookie and is never stored or shown again.
    """
    token = secrets.token_urlsafe(32)
    now = clock.now()
    row = UserSession(
        user_id=user_id,
        token_hash=hash_session_token(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=hours),
        user_agent=(user_agent or "")[:200] or None,
        client_ip=(client_ip or "")[:64] or None,
    )
    session.add(row)
    session.flush()
    return token, SessionInfo.of(row)


def find_session(
    session: Session, token: str | None, clock: Clock = SYSTEM
) -> tuple[User, SessionInfo] | None:
    """The active user and session of a cookie token, or None (unknown, expired, inactive).

    Records when the session was last used, at most once a minute.
    """
    if not token or len(token) > 100:
        return None
    row = session.scalar(
        select(UserSession).where(UserSession.token_hash == hash_session_token(token))
    )
    if row is None:
        return None
    now = clock.now()
    if as_utc(row.expires_at) <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if (now - as_utc(row.last_seen_at)).total_seconds() > SEEN_EVERY_S:
        row.last_seen_at = now
    return user, SessionInfo.of(row)


def list_sessions(session: Session, user_id: int, clock: Clock = SYSTEM) -> list[SessionInfo]:
    """The user's sessions that have not expired, the most recently used first."""
    rows = session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.expires_at > clock.now())
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()
    return [SessionInfo.of(row) for row in rows]


def end_session(session: Session, user_id: int, session_id: int) -> bool:
    """End one session of ``user_id``; False when it is not theirs or already gone."""
    result = session.execute(
        delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def end_session_by_token(session: Session, token: str | None) -> int | None:
    """End the session of a cookie token (logout); return its user's id, or None."""
    if not token or len(token) > 100:
        return None
    row = session.scalar(
        select(UserSession).where(UserSession.token_hash == hash_session_token(token))
    )
    if row is None:
        return None
    user_id = row.user_id
    session.delete(row)
    return user_id


def end_all_sessions(session: Session, user_id: int) -> int:
    """End every session of ``user_id`` ("sign out everywhere"); return how many there were."""
    result = session.execute(delete(UserSession).where(UserSession.user_id == user_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_expired(store: Store, clock: Clock = SYSTEM) -> int:
    """Delete expired sessions (with their device and address); return how many."""
    with store.session() as session:
        result = session.execute(delete(UserSession).where(UserSession.expires_at <= clock.now()))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

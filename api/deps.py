"""Request dependencies: the database session, the current user, role checks.

Use them as ``Annotated`` types in route signatures (``session: SessionDep``,
``user: CurrentUser``), like the full-stack FastAPI template. The current
user comes from a Bearer API token or from the session cookie (a server-side
session, :mod:`agent.sessions`); a cookie-authenticated API request that
changes state must also send the session's CSRF token in ``X-CSRF-Token``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from agent.auth import Principal, principal_of, token_principal
from agent.clock import Clock
from agent.crm.db import Store
from agent.crm.models import Role
from agent.errors import PermissionDeniedError
from agent.sessions import end_session_by_token, find_session, hash_session_token
from agent.settings import Settings
from api.cache import Cache
from api.errors import CsrfError, NotAuthenticated
from api.security import COOKIE_NAME, SessionData, csrf_ok

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Dependencies that do no I/O are ``async def``: FastAPI runs a plain ``def`` dependency in
# the threadpool, and each such hop costs more CPU than the dependency itself.


async def get_settings_dep(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


def clock_of(request: Request) -> Clock:
    """The clock the app was created with (the machine's, unless a test gave another)."""
    return request.app.state.clock


async def get_store(request: Request) -> Store:
    """The app's opened, migrated store."""
    return request.app.state.store


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed on success, rolled back on any error."""
    store: Store = request.app.state.store
    with store.session() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StoreDep = Annotated[Store, Depends(get_store)]
# scope="function": the commit runs when the route returns, before the answer is sent.
# With the default request scope it ran after the answer was out, so a client following
# a redirect (the note page after "approve") could read the state before the write.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def resolve_principal(request: Request) -> Principal | None:
    """The user of the request (Bearer token first, then the session cookie), or None.

    The lookup runs in its own short transaction, committed at once, so the
    token's ``last_used_at`` write never holds a lock while the request
    works (a long upload would otherwise block other writers on SQLite).
    The result is cached on ``request.state``; ``request.state.via_cookie``
    tells whether the cookie was used (then CSRF rules apply).
    """
    if hasattr(request.state, "principal"):
        return request.state.principal
    key = _cache_key(request)
    started = clock_of(request).monotonic()
    hit = _recent.get(key, now=started) if key else None
    principal: Principal | None
    if hit is not None:
        principal, via_cookie, data = hit
        request.state.via_cookie, request.state.session_data = via_cookie, data
    else:
        store: Store = request.app.state.store
        with store.session() as session:
            principal = _lookup(request, session)
        if key and principal is not None:
            _recent.put(
                key,
                (principal, request.state.via_cookie, getattr(request.state, "session_data", None)),
                stored_at=started,
            )
    request.state.principal = principal
    return principal


#: A resolved user is reused for a few seconds: read endpoints then cost one database
#: session, not two. A revoked token, deactivated user or changed password takes effect
#: after at most this delay; a session ended through this process (logout, "sign out
#: everywhere") is dropped from the cache at once (:func:`forget_principals`).
PRINCIPAL_TTL_S = 5.0
#: Key: the hashed Bearer token or the session cookie; value: (user, via cookie, session data).
_recent: Cache[str, tuple[Principal, bool, object]] = Cache(10_000, PRINCIPAL_TTL_S)


def forget_principals(user_id: int | None = None) -> None:
    """Drop cached users: all of them, or those of ``user_id`` (whose sessions just ended)."""
    if user_id is None:
        _recent.clear()
        return
    _recent.discard_where(lambda _, hit: hit[0].user_id == user_id)


def _cache_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return "b:" + hashlib.sha256(auth[7:].strip().encode()).hexdigest()
    cookie = request.cookies.get(COOKIE_NAME)
    return "c:" + cookie if cookie else None


def _lookup(request: Request, session: Session) -> Principal | None:
    principal: Principal | None = None
    request.state.via_cookie = False
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        principal = token_principal(session, auth[7:].strip())
        if principal is None:
            raise NotAuthenticated("The API token is unknown, expired or revoked.")
    else:
        found = find_session(session, request.cookies.get(COOKIE_NAME), clock_of(request))
        if found is not None:
            user, info = found
            principal = principal_of(session, user)
            request.state.via_cookie = True
            request.state.session_data = SessionData(
                info.id, user.id, hash_session_token(request.cookies[COOKIE_NAME])
            )
    return principal


def end_current_session(request: Request) -> None:
    """End the session of the request's cookie on the server (logout) and forget it here."""
    store: Store = request.app.state.store
    with store.session() as session:
        user_id = end_session_by_token(session, request.cookies.get(COOKIE_NAME))
    if user_id is not None:
        forget_principals(user_id)


def check_csrf(request: Request, token: str | None) -> None:
    """Refuse a cookie-authenticated state change without the session's CSRF token."""
    if request.method in SAFE_METHODS or not getattr(request.state, "via_cookie", False):
        return
    if not csrf_ok(request.app.state.secret, request.state.session_data, token):
        raise CsrfError("The form has expired or lacks its CSRF token; reload the page.")


async def authenticated_user(request: Request) -> Principal:
    """The authenticated user of any role, or 401; cookie-based API changes need ``X-CSRF-Token``.

    Async on purpose: a recently seen user comes from the cache without a
    thread hop; only a cache miss runs the database lookup in the threadpool.
    """
    key = _cache_key(request)
    if key and _recent.get(key, now=clock_of(request).monotonic()) is not None:
        principal = resolve_principal(request)  # served from the cache, no I/O
    else:
        principal = await run_in_threadpool(resolve_principal, request)
    if principal is None:
        raise NotAuthenticated("Log in or send an API token (Authorization: Bearer ...).")
    if request.url.path.startswith("/api/"):
        check_csrf(request, request.headers.get("x-csrf-token"))
    return principal


#: Any logged-in user, the works council included: only for routes that show no business data
#: (``/api/me``, the start page redirect) and the team overview.
AnyUser = Annotated[Principal, Depends(authenticated_user)]


async def current_user(user: AnyUser) -> Principal:
    """A logged-in rep, manager or admin; a works council account gets 403.

    Async, like :func:`authenticated_user`, so it costs no thread hop. Deny by
    default: every route that uses ``CurrentUser`` (or a role check
    built on it) is closed to the ``council`` role, which may open only the
    team overview (:data:`TeamViewer`).
    """
    if user.role == Role.council:
        raise PermissionDeniedError(
            "A works council account may open only the team overview (/team)."
        )
    return user


CurrentUser = Annotated[Principal, Depends(current_user)]


async def team_user(user: CurrentUser) -> Principal:
    """Managers and admins (who see the whole tenant); reps get 403."""
    if not user.sees_team:
        raise PermissionDeniedError("Only managers and admins may do this.")
    return user


async def manager_user(user: CurrentUser) -> Principal:
    """Managers only (approving, editing and rejecting notes)."""
    if user.role != Role.manager:
        raise PermissionDeniedError("Only a manager may review call notes.")
    return user


async def team_viewer(user: AnyUser) -> Principal:
    """Managers, admins and the works council (team totals, no per-rep figures); reps get 403."""
    if user.role not in (Role.manager, Role.admin, Role.council):
        raise PermissionDeniedError(
            "Only managers, admins and the works council may see the team overview."
        )
    return user


TeamUser = Annotated[Principal, Depends(team_user)]
ManagerUser = Annotated[Principal, Depends(manager_user)]
TeamViewer = Annotated[Principal, Depends(team_viewer)]


#: Database ids in paths: positive and within PostgreSQL's INTEGER range (no 5xx on huge ids).
IdPath = Annotated[int, Path(ge=1, le=2_147_483_647)]

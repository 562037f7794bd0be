"""``/api/me``: who the caller is (and the CSRF token for browser scripts), and their sessions."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.deps import AnyUser, IdPath, SessionDep, clock_of, forget_principals
from api.schemas.auth import EndedOut, MeOut, SessionOut
from api.security import SessionData, csrf_token
from api.services import auth as service

router = APIRouter(prefix="/api", tags=["auth"])


def _session_data(request: Request) -> SessionData | None:
    return getattr(request.state, "session_data", None)


@router.get("/me", summary="The current user", response_model=MeOut)
def get_me(request: Request, user: AnyUser) -> MeOut:
    """The authenticated user; a browser session also gets its CSRF token."""
    data = _session_data(request)
    return service.me(user, csrf_token(request.app.state.secret, data) if data else None)


@router.get("/me/sessions", response_model=list[SessionOut], summary="My browser sessions")
def get_my_sessions(request: Request, session: SessionDep, user: AnyUser) -> list[SessionOut]:
    """The caller's browser sessions that have not expired, the most recently used first."""
    data = _session_data(request)
    return service.my_sessions(session, user, data.session_id if data else None, clock_of(request))


@router.delete("/me/sessions", response_model=EndedOut, summary="Sign out everywhere")
def end_my_sessions(session: SessionDep, user: AnyUser) -> EndedOut:
    """End every browser session of the caller, this one included (API tokens stay valid)."""
    ended = service.end_my_sessions(session, user)
    forget_principals(user.user_id)
    return ended


@router.delete(
    "/me/sessions/{session_id}", status_code=204, summary="End one of my sessions",
    response_class=Response,
    responses={
        204: {"description": "The session is ended."},
        404: {"description": "No such session of the caller."},
    },
)  # fmt: skip
def end_my_session(session_id: IdPath, session: SessionDep, user: AnyUser) -> Response:
    """End one browser session of the caller (e.g. on a lost laptop)."""
    service.end_my_session(session, user, session_id)
    forget_principals(user.user_id)
    return Response(status_code=204)

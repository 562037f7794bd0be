"""Login, logout, the language switch, and the user's own page with their sessions."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.auth import authenticate, list_tokens
from agent.crm.models import Role, Tenant, User
from agent.errors import NotFoundError, PermissionDeniedError, RateLimitedError
from agent.sessions import end_all_sessions, end_session, start_session
from api.deps import (
    AnyUser,
    IdPath,
    SessionDep,
    StoreDep,
    check_csrf,
    clock_of,
    end_current_session,
    forget_principals,
    resolve_principal,
)
from api.i18n import LANGUAGES
from api.ratelimit import client_ip, limiter_of
from api.security import COOKIE_NAME, LANG_COOKIE
from api.services.auth import my_sessions
from api.views import read_form, render

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only same-site paths are allowed as a redirect target (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def secure_cookie(request: Request) -> bool:
    """Whether cookies get the Secure flag (settings, else: request came over https)."""
    mode = request.app.state.settings.cookie_secure
    if mode == "always":
        return True
    if mode == "never":
        return False
    # The scheme of the connection, or of a trusted proxy's X-Forwarded-Proto (applied by the
    # app, see trusted_proxies); the header of anyone else is not believed.
    return request.url.scheme == "https"


def _same_origin(request: Request) -> bool:
    # Login has no session yet, so no CSRF token: check Origin (or Referer) instead.
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def infer_tenant(session: Session, username: str, fallback: str) -> tuple[str, bool]:
    """The tenant of a login whose tenant field was left empty, and whether it is ambiguous.

    One tenant on the instance: that one. Else the tenant in which an active
    user of that name exists, if there is exactly one; with several the person
    must say which (``True``); with none, ``fallback`` (the configured tenant),
    which the failure message then names.
    """
    slugs = list(session.scalars(select(Tenant.slug).limit(2)))
    if len(slugs) == 1:
        return slugs[0], False
    found = list(
        session.scalars(
            select(Tenant.slug)
            .join(User, User.tenant_id == Tenant.id)
            .where(func.lower(User.username) == username.strip().lower(), User.active.is_(True))
            .limit(2)
        )
    )
    if len(found) == 1:
        return found[0], False
    return fallback, len(found) > 1


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:  # noqa: A002 - form field
    """The login form."""
    return render(request, "login.html", next=safe_next(next), error=None, tenant="", username="",
                  retry_after=None)  # fmt: skip


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the password and set the session cookie (HttpOnly, SameSite=Lax, Secure on https)."""
    if not _same_origin(request):
        raise PermissionDeniedError("Login from another site is not allowed.")
    form = await read_form(request)
    typed_tenant = form.get("tenant", "").strip()[:64]
    username = form.get("username", "")[:120]
    password = form.get("password", "")[:200]
    target = safe_next(form.get("next"))
    store = request.app.state.store

    def find_tenant() -> tuple[str, bool]:
        with store.session() as session:
            return infer_tenant(session, username, request.app.state.settings.tenant)

    tenant, ambiguous = (
        (typed_tenant, False) if typed_tenant else await run_in_threadpool(find_tenant)
    )
    if ambiguous:
        return render(request, "login.html", status_code=401, next=target, tenant="",
                      username=username, error="login_tenant_ambiguous")  # fmt: skip

    def check():  # type: ignore[no-untyped-def]
        with store.session() as session:
            return authenticate(session, tenant, username, password)

    limiter = limiter_of(request.app)
    try:
        attempt = await run_in_threadpool(
            limiter.login_attempt, client_ip(request), tenant, username
        )
    except RateLimitedError as exc:
        # The password of a refused attempt is not checked: the answer reveals nothing.
        long_wait = exc.retry_after > 120
        page = render(request, "login.html", status_code=429, next=target, tenant=tenant,
                      username=username,
                      error="login_rate_limited_long" if long_wait else "login_rate_limited",
                      retry_after=exc.retry_after)  # fmt: skip
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    principal = await run_in_threadpool(check)
    if principal is None:
        # Name the tenant that was tried: a login into the wrong one is the usual cause.
        return render(request, "login.html", status_code=401, next=target, tenant=tenant,
                      username=username, error="login_failed_tenant")  # fmt: skip
    await run_in_threadpool(limiter.login_succeeded, attempt)
    if principal.role == Role.council and not target.startswith("/team"):
        target = "/team"  # the works council view is the only page a council member may open
    settings = request.app.state.settings

    def open_session() -> str:
        with store.session() as session:
            token, _ = start_session(
                session, principal.user_id, hours=settings.session_hours,
                user_agent=request.headers.get("user-agent"), client_ip=client_ip(request),
                clock=clock_of(request),
            )  # fmt: skip
            return token

    cookie = await run_in_threadpool(open_session)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE_NAME, cookie, max_age=int(settings.session_hours * 3600), httponly=True,
        samesite="lax", secure=secure_cookie(request), path="/",
    )  # fmt: skip
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the browser session on the server (needs the CSRF token: no site can log a user out).

    The session's row is deleted, so a copy of the cookie is worthless from now on.
    """
    form = await read_form(request)
    principal = await run_in_threadpool(resolve_principal, request)
    if principal is not None:
        check_csrf(request, form.get("csrf"))
        await run_in_threadpool(end_current_session, request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


@router.get("/lang/{code}")
def set_language(code: str, request: Request, next: str = "/") -> Response:  # noqa: A002
    """Switch the UI language (de or en) and go back."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax",
                            secure=secure_cookie(request), httponly=True)  # fmt: skip
    return response


@router.get("/me")
def my_page(request: Request, session: SessionDep, user: AnyUser) -> Response:
    """The user's own page: where they are signed in (with "sign out everywhere"), their tokens."""
    data = getattr(request.state, "session_data", None)
    sessions = my_sessions(session, user, data.session_id if data else None, clock_of(request))
    tokens = list_tokens(session, user.user_id)
    return render(request, "me.html", sessions=sessions, tokens=tokens)


@router.post("/me/sessions/end-all")
async def end_all(request: Request, store: StoreDep, user: AnyUser) -> Response:
    """Sign out everywhere, this browser included; back to the login page."""
    form = await read_form(request)
    check_csrf(request, form.get("csrf"))

    def end() -> None:
        with store.session() as session:
            end_all_sessions(session, user.user_id)

    await run_in_threadpool(end)
    forget_principals(user.user_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


@router.post("/me/sessions/{session_id}/end")
async def end_one(session_id: IdPath, request: Request, store: StoreDep, user: AnyUser) -> Response:
    """End one other session of the user (a lost laptop, a shared computer)."""
    form = await read_form(request)
    check_csrf(request, form.get("csrf"))

    def end() -> bool:
        with store.session() as session:
            return end_session(session, user.user_id, session_id)

    if not await run_in_threadpool(end):
        raise NotFoundError("Session not found (ended already, or not yours).")
    forget_principals(user.user_id)
    return RedirectResponse("/me", status_code=303)

"""Login, logout and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from agent.auth import authenticate
from agent.crm.models import Role
from agent.errors import PermissionDeniedError, RateLimitedError
from api.deps import check_csrf, resolve_principal
from api.i18n import LANGUAGES
from api.ratelimit import client_ip, limiter_of
from api.security import COOKIE_NAME, LANG_COOKIE, make_session_cookie
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
    tenant = form.get("tenant", "").strip()[:64] or request.app.state.settings.tenant
    username = form.get("username", "")[:120]
    password = form.get("password", "")[:200]
    target = safe_next(form.get("next"))
    store = request.app.state.store

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
        return render(request, "login.html", status_code=401, next=target, tenant=tenant,
                      username=username, error="login_failed")  # fmt: skip
    await run_in_threadpool(limiter.login_succeeded, attempt)
    if principal.role == Role.council and not target.startswith("/team"):
        target = "/team"  # the works council view is the only page a council member may open
    settings = request.app.state.settings
    cookie = make_session_cookie(
        request.app.state.secret, principal.user_id, principal.tenant_id,
        principal.password_hash, settings.session_hours,
    )  # fmt: skip
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE_NAME, cookie, max_age=int(settings.session_hours * 3600), httponly=True,
        samesite="lax", secure=secure_cookie(request), path="/",
    )  # fmt: skip
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the browser session (needs the CSRF token, so no site can log a user out)."""
    form = await read_form(request)
    if resolve_principal(request) is not None:
        check_csrf(request, form.get("csrf"))
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

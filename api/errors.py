"""The one place where errors become HTTP responses.

* our own exceptions (:mod:`agent.errors`) use their ``http_status``;
* request validation errors are 422 with one entry per bad field;
* anything else is logged and answered with a generic 500 that reveals no
  internals (tests and the schemathesis run treat any 5xx as a bug).

API clients (``/api/...`` or ``Accept: application/json``) get JSON
``{"detail": ..., "errors": [...]}``; browsers get a small HTML page, and an
unauthenticated browser is sent to the login page. Every error of ours
carries ``message``, the reason in the user's language
(:mod:`api.error_messages`), which the web app shows; a 429 also
``retry_after``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from agent.errors import (
    FieldErrors,
    ImportRowError,
    QuotaExceededError,
    RateLimitedError,
    WinbackError,
)

log = logging.getLogger(__name__)


class NotAuthenticated(WinbackError):
    """No valid session cookie or API token."""

    http_status = 401


class CsrfError(WinbackError):
    """A state-changing browser request without the session's CSRF token."""

    http_status = 403


def wants_json(request: Request) -> bool:
    """True for API clients: ``/api/`` paths or an explicit JSON Accept header."""
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        errors.append(
            {"field": ".".join(loc), "message": err.get("msg", ""), "type": err.get("type")}
        )
    return errors


def _respond(
    request: Request, status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if wants_json(request):
        return JSONResponse({"detail": detail, **extra}, status_code=status, headers=headers)
    if status == 401:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    from api.views import render_error

    page = render_error(request, status, detail)
    page.headers.update(headers)
    return page


async def winback_error(request: Request, exc: Exception) -> Response:
    """Map our exception types to their HTTP status with the readable message."""
    assert isinstance(exc, WinbackError)
    status = exc.http_status
    if status >= 500:
        log.error("request %s failed: %s", request.url.path, exc)
    extra: dict[str, Any] = {}
    if isinstance(exc, FieldErrors):
        extra["errors"] = [
            {"field": field, "code": code, "message": message}
            for field, code, message in exc.problems
        ]
    if isinstance(exc, ImportRowError):
        extra["errors"] = [
            {"line": line, "field": field, "message": reason}
            for line, field, reason in exc.problems
        ]
    headers = {}
    detail = str(exc)
    # The web app shows ``message``: the reason in the user's language (German first); a
    # browser page shows only that, an API client keeps the English detail as well.
    from api.error_messages import error_message
    from api.i18n import text
    from api.views import page_language

    language = page_language(request)
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(exc.retry_after)
        extra["retry_after"] = exc.retry_after
        if isinstance(exc, QuotaExceededError):
            message = text(exc.code, language, **exc.values)
        else:
            message = text("rate_limited", language, seconds=exc.retry_after)
    else:
        message = error_message(exc, language)
    extra["message"] = message
    if not wants_json(request):
        detail = message
    return _respond(request, status, detail, headers, **extra)


async def validation_error(request: Request, exc: Exception) -> Response:
    """Malformed parameters or JSON bodies: 422 with every bad field."""
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    first = errors[0] if errors else {"field": "request", "message": "invalid"}
    from api.error_messages import invalid_field_message
    from api.views import page_language

    message = invalid_field_message(str(first["field"]), page_language(request))
    detail = f"Invalid {first['field']}: {first['message']}"
    return _respond(request, 422, detail if wants_json(request) else message, errors=errors,
                    message=message)  # fmt: skip


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown path, wrong method) in our format."""
    assert isinstance(exc, StarletteHTTPException)
    return _respond(request, exc.status_code, str(exc.detail))


async def unexpected_error(request: Request, exc: Exception) -> Response:
    """Last line of defence: log the traceback, answer 500 without internals."""
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return _respond(request, 500, "Internal error; the details are in the server log.")


def install_error_handlers(app: FastAPI) -> None:
    """Register every handler above on ``app``."""
    app.add_exception_handler(WinbackError, winback_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)

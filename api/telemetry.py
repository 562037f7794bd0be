"""Request ids, the access log and the HTTP metrics of every request.

The middleware installed by :func:`install_telemetry` is the app's
outermost: it gives each request an id (the caller's ``X-Request-ID`` when
that is a sane token, else a new one), binds it to the log context so every
log line of the request carries it, returns it as ``X-Request-ID``, and at
the end writes one access log line and observes the HTTP metrics, both
labelled with the route *template* (``/api/notes/{note_id}``), never the raw
path. The access line names the user id, never cookies, tokens or passwords.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from starlette.datastructures import MutableHeaders
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.logs import log_context
from agent.metrics import UNMATCHED_ROUTE, observe_request
from agent.settings import Settings

access_log = logging.getLogger("winback.http")

#: Accepted incoming request ids: short, printable, no spaces (they go into logs and audit rows).
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
HEADER = "X-Request-ID"
#: Probes and scrapes come every few seconds: their access lines are DEBUG, not INFO.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


def request_id_from(value: str | None) -> str:
    """The caller's request id if it is a sane token, else a fresh random one."""
    if value and REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def route_template(scope: MutableMapping[str, Any], mounts: tuple[str, ...] = ()) -> str:
    """The matched route's path template, or :data:`UNMATCHED_ROUTE`.

    FastAPI records the matched route in the scope; a mounted app (the
    static files) is not recorded there, so ``mounts`` (their path
    prefixes) are matched by hand.
    """
    route = scope.get("route")
    if isinstance(route, Mount):
        return f"{route.path}/{{path}}"
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if template:
        return str(template)
    path = str(scope.get("path", ""))
    for prefix in mounts:
        if path.startswith(prefix + "/"):
            return f"{prefix}/{{path}}"
    return UNMATCHED_ROUTE


def _user_id(request: Request) -> int | None:
    principal = getattr(request.state, "principal", None)
    return getattr(principal, "user_id", None)


def install_telemetry(app: FastAPI, settings: Settings) -> None:
    """Add the request id / access log / metrics middleware; call it last, so it wraps all."""
    mounts = tuple(route.path for route in app.routes if isinstance(route, Mount))
    app.add_middleware(Telemetry, metrics_on=settings.metrics_enabled, mounts=mounts)


class Telemetry:
    """Request id, access log line and HTTP metrics of every request (a plain ASGI middleware).

    Plain ASGI rather than ``@app.middleware("http")``, which runs the app in a
    second task with memory streams and cost more CPU than a cached read.
    """

    def __init__(self, app: ASGIApp, metrics_on: bool, mounts: tuple[str, ...]) -> None:
        self.app, self.metrics_on, self.mounts = app, metrics_on, mounts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        request_id = request_id_from(request.headers.get(HEADER))
        request.state.request_id = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        with log_context(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route = route_template(scope, self.mounts)
                _finish(request, route, status, time.perf_counter() - started, self.metrics_on)


def _finish(request: Request, route: str, status: int, elapsed_s: float, metrics_on: bool) -> None:
    if metrics_on:
        observe_request(request.method, route, status, elapsed_s)
    duration_ms = round(elapsed_s * 1000, 1)
    access_log.log(
        logging.DEBUG if route in QUIET_ROUTES else logging.INFO,
        "%s %s %s %.1fms",
        request.method,
        route,
        status,
        duration_ms,
        extra={
            "method": request.method,
            "route": route,
            "status": status,
            "duration_ms": duration_ms,
            "user_id": _user_id(request),
        },
    )

"""The FastAPI application: JSON API for integrations and the web app for reps and managers.

``create_app(settings)`` opens (and migrates) the store, loads the cookie
signing key, installs the error mapping and the security headers, mounts
the static files and includes one router per resource. ``winback serve``
runs it with uvicorn.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from agent.clock import SYSTEM, Clock
from agent.crm.db import open_store
from agent.leftovers import sweep_temp_dirs
from agent.metrics import watch_queue
from agent.settings import Settings, get_settings
from api.body_limit import BodyLimit
from api.errors import install_error_handlers
from api.security import SECURITY_HEADERS, load_secret_key
from api.telemetry import install_telemetry

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PREFIX = "/static/"

DESCRIPTION = """
Winback's API for integrations and its web app.

**Authentication**: send `Authorization: Bearer wbt_...` (create a token with
`winback users token USERNAME --name crm`), or use the browser session
cookie; cookie-based requests that change data must send `X-CSRF-Token`
(see `GET /api/me`).

**Authorization**: a rep sees and changes only objects on accounts they own;
managers and admins see their whole tenant; only managers review notes; the
read-only `council` role (works council) sees team totals only
(`GET /api/analytics/team`). Objects of another tenant are always 404.

**Errors**: `{"detail": "...", "errors": [{"field", "message"}]}` with 401,
403, 404, 409, 413, 415 or 422; 429 with `Retry-After` when a login or
upload rate limit or a user's quota (waiting briefs, audio minutes a day) is
reached. Request bodies are limited to `max_body_mb` (default 1 MB; 413
before login), except the recording upload.

**Operations**: `GET /healthz` (liveness), `GET /readyz` (dependencies),
`GET /metrics` (Prometheus).

**CRM sync**: poll `GET /api/events?after=ID` for approved notes.
"""


class SecurityHeaders:
    """Add :data:`SECURITY_HEADERS`, ``Cache-Control`` and HSTS to every HTTP response.

    Every answer but a static asset may carry personal data (accounts, notes,
    transcripts, even a 403 names what was refused), so all of them get
    ``Cache-Control: no-store`` unless a route set its own: no browser cache,
    shared proxy or back button keeps a copy. HSTS goes only on HTTPS answers
    (the scheme of the connection, or of a trusted proxy's
    ``X-Forwarded-Proto``): over plain HTTP browsers ignore it. A plain ASGI
    middleware: Starlette's ``@app.middleware("http")`` runs the app in a
    second task with memory streams, which cost more CPU than a cached read.
    """

    def __init__(self, app: ASGIApp, hsts_max_age_s: int = 0) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_max_age_s}" if hsts_max_age_s > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if not scope["path"].startswith(STATIC_PREFIX):
                    headers.setdefault("Cache-Control", "no-store")
                if self.hsts and scope.get("scheme") == "https":
                    headers.setdefault("Strict-Transport-Security", self.hsts)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings | None = None, clock: Clock = SYSTEM) -> FastAPI:
    """Build the app for ``settings`` (default: the settings in effect).

    ``clock`` is the time the app's sessions, cached logins and rate-limit
    windows read; a test passes a :class:`agent.clock.ManualClock` to move it.
    """
    settings = settings or get_settings()

    app = FastAPI(
        title="Winback",
        version="0.1.0",
        description=DESCRIPTION,
        # Swagger UI and ReDoc load their assets from a CDN: offline product, so only the
        # schema is served (open it in any OpenAPI viewer).
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.store = open_store(settings.db_url)
    app.state.secret = load_secret_key(settings)
    # Upload bodies a killed web process left half-spooled (this machine may run no worker).
    sweep_temp_dirs(settings)
    install_error_handlers(app)

    from api.routes.recordings import UPLOAD_PATH

    # Innermost first: the body cap's 413 still gets the security headers and telemetry.
    app.add_middleware(
        BodyLimit,
        limit_bytes=int(settings.max_body_mb * 1_000_000),
        exempt=[("POST", UPLOAD_PATH)],
    )
    app.add_middleware(SecurityHeaders, hsts_max_age_s=settings.hsts_max_age_s)

    from api.pages import auth as auth_pages
    from api.pages import coaching, manager, rep
    from api.routes import (
        accounts,
        analytics,
        auth,
        briefs,
        events,
        health,
        notes,
        plan,
        recordings,
        tasks,
    )
    from api.routes import metrics as metrics_route

    for module in (auth, accounts, plan, briefs, recordings, notes, tasks, analytics, events):
        app.include_router(module.router)
    app.include_router(health.router)
    if settings.metrics_enabled:
        watch_queue(settings)
        app.include_router(metrics_route.router)
    for module in (auth_pages, rep, manager, coaching):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Then: request id, access log, HTTP metrics.
    install_telemetry(app, settings)
    if settings.trusted_proxies:
        # Outermost (added last): everything inside sees the client and scheme the trusted
        # proxy named. X-Forwarded-For is read from the right, up to the first untrusted hop.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app

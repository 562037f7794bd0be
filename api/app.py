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

from agent.crm.db import open_store
from agent.leftovers import sweep_temp_dirs
from agent.metrics import watch_queue
from agent.settings import Settings, get_settings
from api.errors import install_error_handlers
from api.security import SECURITY_HEADERS, load_secret_key
from api.telemetry import install_telemetry

STATIC_DIR = Path(__file__).parent / "static"

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
upload rate limit is reached.

**Operations**: `GET /healthz` (liveness), `GET /readyz` (dependencies),
`GET /metrics` (Prometheus).

**CRM sync**: poll `GET /api/events?after=ID` for approved notes.
"""


class SecurityHeaders:
    """Add :data:`SECURITY_HEADERS` (and ``no-store`` on HTML) to every HTTP response.

    A plain ASGI middleware: Starlette's ``@app.middleware("http")`` runs the app in
    a second task with memory streams, which cost more CPU than a cached read.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if "text/html" in headers.get("content-type", ""):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (default: the settings in effect)."""
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
    app.state.store = open_store(settings.db_url)
    app.state.secret = load_secret_key(settings)
    # Upload bodies a killed web process left half-spooled (this machine may run no worker).
    sweep_temp_dirs(settings)
    install_error_handlers(app)

    app.add_middleware(SecurityHeaders)

    from api.pages import auth as auth_pages
    from api.pages import manager, rep
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
    for module in (auth_pages, rep, manager):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Outermost middleware (added last): request id, access log, HTTP metrics.
    install_telemetry(app, settings)
    return app

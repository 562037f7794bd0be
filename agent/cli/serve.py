"""``winback serve``: the web app and API under uvicorn, with an embedded queue worker.

By default one queue consumer runs in threads of the server process, so a
single command is a complete installation (upload → transcript → draft
note). With ``--no-worker`` the server only enqueues, for setups that run
``winback worker`` processes separately (e.g. on the Redis queue).

``--workers N`` runs the web app in N uvicorn processes (one per core, for
more requests/s). The embedded queue consumer then runs once, in the
supervising process, never in the N web processes; the web processes get
their settings from the environment (``--db`` / ``--tenant`` are passed on
as ``WINBACK_DATABASE_URL`` / ``WINBACK_TENANT``).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agent.cli.common import DbOption, TenantOption, console, settings_for
from agent.logs import configure_logging

if TYPE_CHECKING:
    from fastapi import FastAPI

    from agent.settings import Settings

log = logging.getLogger(__name__)


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Run a queue worker in this process.")
    ] = True,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=16, help="Web app processes (uvicorn workers).")
    ] = 1,
    queue_threads: Annotated[
        int, typer.Option("--queue-threads", min=1, max=16, help="Threads of the queue worker.")
    ] = 1,
    db: DbOption = None,
    tenant: TenantOption = None,
) -> None:
    """Serve the web app and the API (login at http://HOST:PORT/login)."""
    import uvicorn

    from agent.metrics import is_loopback
    from api.app import create_app

    settings = settings_for(db, tenant)
    configure_logging(settings, "service")
    app: FastAPI | str
    if workers == 1:
        app = create_app(settings)
        url = str(app.state.store.url)
    else:
        app, url = _prepare_processes(settings, db, tenant)
    stack = contextlib.ExitStack()
    if worker:
        from agent.jobs.worker import embedded_worker

        stack.enter_context(embedded_worker(settings, workers=queue_threads, sweep=True))
        console.print(
            f"Queue worker: {queue_threads} thread(s) on the {settings.queue_backend} queue"
            + (" (in the supervising process)." if workers > 1 else ".")
        )
    else:
        console.print("No queue worker here: run 'winback worker' to process recordings.")
    if settings.metrics_enabled and settings.metrics_token is None and not is_loopback(host):
        console.print(
            f"Note: {host} is not loopback and no metrics_token is set, so /metrics answers "
            "only scrapes from this machine (set WINBACK_METRICS_TOKEN for a remote Prometheus)."
        )
    processes = f", {workers} web processes" if workers > 1 else ""
    console.print(f"Winback on http://{host}:{port}/ (database {url}{processes})")
    freeze_startup_heap()
    with stack:
        uvicorn.run(app, **uvicorn_options(settings, host=host, port=port, workers=workers))


def uvicorn_options(
    settings: Settings, *, host: str, port: int, workers: int = 1
) -> dict[str, Any]:
    """The options ``winback serve`` runs uvicorn with (tests start a server with the same).

    Uvicorn's loggers go through ours (text or JSON, agent/logs.py); its access
    log is replaced by the app's, which knows the route template and the user.
    """
    return {
        "host": host,
        "port": port,
        "workers": workers,
        "factory": workers > 1,
        "log_config": None,
        "access_log": False,
        # The app applies X-Forwarded-* itself, from trusted_proxies only: uvicorn's own
        # handling would believe any loopback peer (FORWARDED_ALLOW_IPS=127.0.0.1).
        "proxy_headers": False,
        # No "server: uvicorn" banner: it tells an attacker which exploits to try.
        "server_header": False,
    }


def _prepare_processes(settings: Settings, db: str | None, tenant: str | None) -> tuple[str, str]:
    """Get ready for N web processes; return the app factory's import string and the DB URL.

    The database is migrated and the cookie key file created here, once, so the
    processes do not race for them; ``--db`` / ``--tenant`` go into the environment
    the processes inherit.
    """
    from agent.crm.db import open_store
    from api.security import load_secret_key

    if db:
        os.environ["WINBACK_DATABASE_URL"] = db
    if tenant:
        os.environ["WINBACK_TENANT"] = tenant
    store = open_store(settings.db_url)
    load_secret_key(settings)
    return f"{__name__}:app_factory", store.url


def app_factory() -> FastAPI:
    """The app of one ``winback serve --workers N`` process (settings from the environment)."""
    from agent.settings import get_settings
    from api.app import create_app

    settings = get_settings()
    configure_logging(settings, "service")
    app = create_app(settings)
    freeze_startup_heap()
    return app


def freeze_startup_heap() -> None:
    """Leave the objects created at start-up out of the garbage collector's full passes.

    The app holds ~230,000 long-lived objects once imported (FastAPI, SQLAlchemy,
    LangChain, ...). A full collection walked them all: 120 ms on the 2-core test
    machine, 400 ms under load, and those pauses were the slowest requests of
    benchmarks/bench_api.py. After ``gc.freeze()`` a full pass scans only newer objects.
    """
    gc.collect()
    gc.freeze()


def register(app: typer.Typer) -> None:
    """Add ``winback serve`` to the CLI."""
    app.command("serve")(serve)

"""``winback serve``: the web app and API under uvicorn, with an embedded queue worker.

By default one queue consumer runs in threads of the server process, so a
single command is a complete installation (upload → transcript → draft
note). With ``--no-worker`` the server only enqueues, for setups that run
``winback worker`` processes separately (e.g. on the Redis queue).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Annotated

import typer

from agent.cli.common import DbOption, TenantOption, console, settings_for
from agent.logs import configure_logging

log = logging.getLogger(__name__)


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Run a queue worker in this process.")
    ] = True,
    workers: Annotated[int, typer.Option("--workers", min=1, max=16, help="Worker threads.")] = 1,
    db: DbOption = None,
    tenant: TenantOption = None,
) -> None:
    """Serve the web app and the API (login at http://HOST:PORT/login)."""
    import uvicorn

    from api.app import create_app

    settings = settings_for(db, tenant)
    configure_logging(settings, "service")
    app = create_app(settings)
    stack = contextlib.ExitStack()
    if worker:
        from agent.analysis.hook import install
        from agent.calls.queue import embedded_worker

        install(settings)
        stack.enter_context(embedded_worker(settings, workers=workers))
        console.print(f"Queue worker: {workers} thread(s) on the {settings.queue_backend} queue.")
    else:
        console.print("No queue worker here: run 'winback worker' to process recordings.")
    console.print(f"Winback on http://{host}:{port}/ (database {app.state.store.url})")
    with stack:
        # Uvicorn's loggers go through ours (text or JSON, agent/logs.py); its access
        # log is replaced by the app's, which knows the route template and the user.
        uvicorn.run(
            app, host=host, port=port, log_config=None, access_log=False, proxy_headers=True
        )


def register(app: typer.Typer) -> None:
    """Add ``winback serve`` to the CLI."""
    app.command("serve")(serve)

"""``winback worker``: run the pipeline's queue consumer (SQLite or Redis queue).

Besides Huey's consumer, the worker runs a small maintenance thread: at
start and every ``recover_interval_s`` it clears the files a killed process
left behind (:mod:`agent.leftovers`), re-enqueues steps whose message was
lost with a killed worker (see :func:`agent.jobs.runner.recover`),
applies the audio retention policy and purges expired login sessions; the
lifecycle is :func:`agent.jobs.worker.run_worker`.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from agent.cli.common import DbOption, console, settings_for
from agent.errors import ConfigError, ValidationError
from agent.logs import configure_logging

log = logging.getLogger(__name__)


def worker(
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, max=64, help="Parallel workers.")
    ] = None,
    queue: Annotated[
        str | None, typer.Option("--queue", help="Queue backend: sqlite or redis.")
    ] = None,
    worker_type: Annotated[
        str | None, typer.Option("--worker-type", help="thread or process.")
    ] = None,
    db: DbOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each task.")] = False,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            min=1,
            max=65535,
            help="Serve this worker's Prometheus /metrics on this port (WINBACK_METRICS_PORT).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Process queued recordings until stopped (Ctrl-C or SIGTERM)."""
    from agent.crm.db import open_store
    from agent.jobs.worker import run_worker

    if queue not in (None, "sqlite", "redis"):
        raise ValidationError(f"--queue {queue!r}: use sqlite or redis.")
    if worker_type not in (None, "thread", "process"):
        raise ValidationError(f"--worker-type {worker_type!r}: use thread or process.")
    settings = settings_for(
        db,
        None,
        queue_backend=queue,
        worker_count=workers,
        worker_type=worker_type,
        metrics_port=metrics_port,
    )
    configure_logging(settings, "service")
    if verbose:  # Huey's line per task, and our debug lines
        logging.getLogger("huey").setLevel(logging.INFO)
        logging.getLogger("agent").setLevel(logging.DEBUG)
    open_store(settings.db_url)  # migrate once, before workers start
    metrics_server = None
    if settings.metrics_enabled and settings.metrics_port:
        from agent.metrics import bind_metrics_server

        try:
            metrics_server = bind_metrics_server(settings, settings.metrics_port)
        except OSError as exc:
            raise ConfigError(
                f"Cannot serve metrics on {settings.metrics_host}:{settings.metrics_port}: {exc}"
            ) from exc
    console.print(
        f"Worker: {settings.worker_count} {settings.worker_type}(s) on the "
        f"{settings.queue_backend} queue; Ctrl-C to stop.",
        highlight=False,
    )

    def started() -> None:
        if metrics_server is None:
            return
        from agent.metrics import start_metrics_server

        start_metrics_server(metrics_server)  # bound above; its thread only after the fork
        console.print(
            f"Metrics on http://{settings.metrics_host}:{settings.metrics_port}/metrics",
            highlight=False,
        )

    try:
        run_worker(settings, started=started)
    finally:
        if metrics_server is not None:
            metrics_server.shutdown()
            metrics_server.server_close()


def register(app: typer.Typer) -> None:
    """Add the ``worker`` command to the ``winback`` app."""
    app.command("worker")(worker)

"""The worker lifecycle: consumer options, the maintenance sweep and the embedded worker.

``winback worker`` (a process of its own), ``winback serve`` (a consumer in
threads of the web process) and ``winback calls upload --wait`` (a consumer
for one upload) all run the queue through this module, so they agree on
the consumer's tuning and on the recovery sweep. This module is the job
layer's composition root: :func:`load_kinds` imports every kind of job, so
a worker can run whatever a producer sent; the queue and the runner below
it know no kind.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from huey.consumer import Consumer

from agent.jobs.queue import get_queue
from agent.jobs.runner import recover
from agent.settings import Settings

log = logging.getLogger(__name__)


def load_kinds() -> None:
    """Import every kind of job, which registers it (the recording steps, brief generation)."""
    import agent.brief.jobs
    import agent.calls.pipeline  # noqa: F401


class _EmbeddedConsumer(Consumer):
    """A Huey consumer that runs inside another program (tests, ``upload --wait``).

    Huey's consumer installs SIGTERM/SIGINT/SIGHUP handlers meant for a
    dedicated process; inside a host program those belong to the host.
    """

    def _set_signal_handlers(self) -> None:  # noqa: D401 - Huey hook
        return None


def consumer_options(settings: Settings, workers: int, worker_type: str) -> dict[str, Any]:
    """Consumer tuning shared by ``winback worker`` and the embedded worker."""
    return {
        "workers": workers,
        "worker_type": worker_type,
        "periodic": False,
        # SQLite is polled: start fast and back off to at most 0.5 s, which keeps
        # the queue overhead of a job well under the 100 ms target while busy.
        "initial_delay": 0.02,
        "backoff": 1.5,
        "max_delay": 0.5,
        "scheduler_interval": 1,
        "check_worker_health": True,
        "health_check_interval": 5,
    }


def maintenance_loop(stop: threading.Event, interval_s: float) -> None:
    """Until ``stop`` is set: clear crash leftovers, re-queue lost work, purge what is due.

    Purged are: what retention says is due, and expired login sessions.

    Run by every ``winback worker`` and by the embedded worker of ``winback
    serve``, so a job lost with a killed process is picked up again within
    ``recover_interval_s`` wherever the queue runs.
    """
    from agent.crm.db import open_store
    from agent.leftovers import ORPHAN_INTERVAL_S, sweep_leftovers
    from agent.privacy.retention import purge_due
    from agent.sessions import purge_expired
    from agent.settings import get_settings

    load_kinds()
    orphans_at = 0.0
    while True:
        settings = get_settings()
        try:
            store = open_store(settings.db_url)
            # Crash leftovers first: a staged upload whose row exists is moved into place
            # before recover() hands its decode step to a worker.
            due = time.monotonic() >= orphans_at
            sweep_leftovers(settings, store, orphans=due)
            if due:
                orphans_at = time.monotonic() + ORPHAN_INTERVAL_S
            requeued = recover(settings)
            if requeued:
                log.warning("recovered %d lost jobs", requeued)
            # Audio every sweep, transcripts/notes retention at most hourly (docs/privacy.md).
            purge_due(store, settings)
            purge_expired(store)
        except Exception:  # noqa: BLE001 - keep sweeping; the next round may succeed
            log.exception("maintenance sweep failed")
        if stop.wait(interval_s):
            return


def run_worker(settings: Settings, *, started: Callable[[], None] | None = None) -> None:
    """Run the queue consumer in the foreground until it is stopped (``winback worker``).

    Huey's ``Consumer.run()``, with the maintenance thread started only after
    the workers were forked (forking a process with running threads is
    unsafe); ``started`` runs right after the fork, for threads of the host
    (a metrics server). Forked workers must not inherit open database
    connections: all are dropped first, and every process (and the sweep)
    opens its own on first use. Returns on SIGTERM or Ctrl-C.
    """
    from huey.consumer import ConsumerStopped

    from agent.crm.db import close_all

    load_kinds()  # the recording steps and brief generation, before the queue is made
    huey = get_queue(settings)
    consumer = huey.create_consumer(
        **consumer_options(settings, settings.worker_count, settings.worker_type)
    )
    close_all()
    consumer.start()
    if started is not None:
        started()
    stop = threading.Event()
    # Forked workers would each load their own model: only threads warm it up.
    _start_sweeping(settings, stop, warm_up=settings.worker_type == "thread")
    health = time.monotonic()
    try:
        while True:
            try:
                health = consumer.loop(health)
            except ConsumerStopped:
                break
    finally:
        stop.set()
        huey.notify_interrupted_tasks()


def _start_sweeping(settings: Settings, stop: threading.Event, *, warm_up: bool) -> None:
    """Start the maintenance sweep until ``stop``; with ``warm_up`` also load the brief model.

    A long-running host warms the model up so it is ready before the first rep asks.
    """
    threading.Thread(
        target=maintenance_loop,
        args=(stop, settings.recover_interval_s),
        name="winback-maintenance",
        daemon=True,
    ).start()
    if warm_up:
        from agent.brief.generator import start_warm_up

        start_warm_up(settings)


@contextlib.contextmanager
def embedded_worker(
    settings: Settings, workers: int = 1, *, sweep: bool = False
) -> Iterator[Consumer]:
    """Run a consumer in threads of this process for the duration of the block.

    Used by ``winback serve``, ``winback calls upload --wait`` and tests; a
    crashed job still goes through the same claim/retry logic as in
    ``winback worker``. Lost work is re-queued at start, and with ``sweep``
    (long-running hosts such as ``serve``) every ``recover_interval_s``.
    """
    load_kinds()
    huey = get_queue(settings)
    consumer = _EmbeddedConsumer(huey, **consumer_options(settings, workers, "thread"))
    recover(settings)
    consumer.start()
    stop = threading.Event()
    if sweep:
        _start_sweeping(settings, stop, warm_up=True)
    try:
        yield consumer
    finally:
        stop.set()
        consumer.stop(graceful=True)

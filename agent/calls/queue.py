"""The durable task queue: Huey on SQLite (embedded) or on Redis (scale-out).

Huey carries the messages; the ``pipeline_jobs`` table is the source of
truth about what is done. Huey forgets a task once a worker has taken it,
so a worker killed mid-task would lose it: :func:`recover` (run when a
worker starts and every ``recover_interval_s``) re-enqueues every step
that is ``running`` with a stale heartbeat, or ``pending`` with no message
in the queue or schedule. Steps are idempotent, so a message too many is
harmless; a message too few is repaired by the next sweep.

One Huey object exists per queue configuration and process; the pipeline
steps are registered on it by :func:`get_queue`, under stable names, so a
producer and a ``winback worker`` with the same settings agree on them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from huey import PriorityRedisHuey, SqliteHuey
from huey.api import Huey
from huey.consumer import Consumer

from agent.errors import ConfigError, StorageError
from agent.settings import Settings

log = logging.getLogger(__name__)

_queues: dict[tuple[str, str, str], Huey] = {}
_lock = threading.Lock()


#: Suffix of the Redis queue's name. Priorities need a sorted set where plain Huey keeps a
#: list, so the priority queue lives under a key of its own; messages left in an old list are
#: re-queued here by :func:`agent.calls.pipeline.recover` from the jobs tables.
REDIS_PRIORITY_SUFFIX = ".prio"


def _queue_key(settings: Settings) -> tuple[str, str, str]:
    if settings.queue_backend == "redis":
        return ("redis", settings.queue_name, settings.redis_url)
    return ("sqlite", settings.queue_name, str(settings.queue_path))


def get_queue(settings: Settings) -> Huey:
    """The Huey instance for ``settings``, with the pipeline and brief tasks registered on it."""
    key = _queue_key(settings)
    with _lock:
        huey = _queues.get(key)
        if huey is None:
            huey = _make_huey(settings)
            # Imported here: the pipeline imports this module for enqueueing.
            from agent.brief import jobs as brief_jobs
            from agent.calls.pipeline import register_tasks

            register_tasks(huey)
            brief_jobs.register_tasks(huey)  # brief generations run on the same workers
            _queues[key] = huey
        return huey


def _make_huey(settings: Settings) -> Huey:
    # Results are not used (state lives in pipeline_jobs); storing them would
    # only grow the queue database. Both storages honour message priorities (a brief a rep
    # asked for goes first, agent.brief.jobs.PRIORITY): SQLite orders by a priority column,
    # Redis (>= 5) needs Huey's sorted-set storage.
    if settings.queue_backend == "redis":
        try:
            return PriorityRedisHuey(
                settings.queue_name + REDIS_PRIORITY_SUFFIX, url=settings.redis_url, results=False
            )
        except Exception as exc:  # noqa: BLE001 - bad URL formats raise various types
            raise ConfigError(f"Invalid redis_url {settings.redis_url!r}: {exc}") from exc
    path = settings.queue_path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"Cannot create the queue directory {path.parent}: {exc}") from exc
    return SqliteHuey(
        settings.queue_name, filename=str(path), results=False, timeout=30, fsync=True
    )


def forget_queues() -> None:
    """Drop the cached Huey objects (tests switch queue configurations)."""
    with _lock:
        _queues.clear()


def enqueue_step(settings: Settings, step: str, recording_id: str, delay: float = 0) -> None:
    """Put the task of ``step`` for ``recording_id`` on the queue (after ``delay`` seconds).

    Raises :class:`StorageError` when the queue backend cannot be reached,
    so callers can undo what they did or leave the work to :func:`recover`.
    """
    from agent.calls.pipeline import task_for

    send(settings, task_for(get_queue(settings), step), recording_id, delay)


def send(
    settings: Settings, task: Any, argument: str, delay: float = 0, priority: int | None = None
) -> None:
    """Call the Huey ``task`` with ``argument`` now, or schedule it ``delay`` seconds ahead.

    A message with a ``priority`` is taken before waiting messages without one.
    Raises :class:`StorageError` when the queue backend cannot be reached.
    """
    try:
        if delay > 0:
            task.schedule(args=(argument,), delay=delay, priority=priority)
        else:
            task(argument, priority=priority)
    except Exception as exc:  # noqa: BLE001 - redis/sqlite errors have no common base
        raise StorageError(
            f"The job queue ({settings.queue_backend}) is not reachable: {exc}"
        ) from exc


def queued_work(settings: Settings) -> set[tuple[str, str]]:
    """``(task name, recording id)`` of every message waiting in the queue or schedule."""
    huey = get_queue(settings)
    found: set[tuple[str, str]] = set()
    for task in [*huey.pending(), *huey.scheduled()]:
        args = task.args or ()
        if args:
            found.add((type(task).__name__, str(args[0])))
    return found


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
    from agent.calls.pipeline import recover
    from agent.crm.db import open_store
    from agent.leftovers import ORPHAN_INTERVAL_S, sweep_leftovers
    from agent.privacy.retention import purge_due
    from agent.sessions import purge_expired
    from agent.settings import get_settings

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


@contextlib.contextmanager
def embedded_worker(
    settings: Settings, workers: int = 1, *, sweep: bool = False
) -> Iterator[Consumer]:
    """Run a consumer in threads of this process for the duration of the block.

    Used by ``winback serve``, ``winback calls upload --wait`` and tests; a
    crashed step still goes through the same claim/retry logic as in
    ``winback worker``. Lost work is re-queued at start, and with ``sweep``
    (long-running hosts such as ``serve``) every ``recover_interval_s``.
    """
    huey = get_queue(settings)
    consumer = _EmbeddedConsumer(huey, **consumer_options(settings, workers, "thread"))
    from agent.calls.pipeline import recover

    recover(settings)
    consumer.start()
    stop = threading.Event()
    if sweep:
        threading.Thread(
            target=maintenance_loop,
            args=(stop, settings.recover_interval_s),
            name="winback-maintenance",
            daemon=True,
        ).start()
        # A long-running host: have the brief model ready before the first rep asks.
        from agent.brief.generator import start_warm_up

        start_warm_up(settings)
    try:
        yield consumer
    finally:
        stop.set()
        consumer.stop(graceful=True)

"""The durable task queue: Huey on SQLite (embedded) or on Redis (scale-out).

Huey carries the messages; each kind's table (``pipeline_jobs``,
``brief_jobs``) is the source of truth about what is done. Huey forgets a
task once a worker has taken it, so a worker killed mid-task would lose it:
:func:`agent.jobs.runner.recover` (run when a worker starts and every
``recover_interval_s``) re-enqueues every job whose kind reports it lost.
Jobs are idempotent, so a message too many is harmless; a message too few
is repaired by the next sweep.

One Huey object exists per queue configuration and process. The tasks on
it are those of the kinds in :mod:`agent.jobs.registry`, under their stable
names, so a producer and a ``winback worker`` with the same settings agree
on them; this module knows no kind itself.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from huey import PriorityRedisHuey, SqliteHuey
from huey.api import Huey, TaskWrapper

from agent.errors import ConfigError, StorageError
from agent.jobs import registry
from agent.settings import Settings

_queues: dict[tuple[str, str, str], Huey] = {}
_tasks: dict[int, dict[str, TaskWrapper]] = {}
_lock = threading.Lock()

#: Suffix of the Redis queue's name. Priorities need a sorted set where plain Huey keeps a
#: list, so the priority queue lives under a key of its own; messages left in an old list are
#: re-queued here by the recovery sweep from the jobs tables.
REDIS_PRIORITY_SUFFIX = ".prio"
#: The queue's own no-op task (benchmarks measure the queue's overhead with it).
PING_TASK = "winback_ping"


def ping(sent_at: float) -> float:
    """A no-op task: returns the seconds between enqueue and execution (benchmarks)."""
    return time.time() - sent_at


def _queue_key(settings: Settings) -> tuple[str, str, str]:
    if settings.queue_backend == "redis":
        return ("redis", settings.queue_name, settings.redis_url)
    return ("sqlite", settings.queue_name, str(settings.queue_path))


def get_queue(settings: Settings) -> Huey:
    """The Huey instance for ``settings``, with the task of every registered kind on it."""
    key = _queue_key(settings)
    with _lock:
        huey = _queues.get(key)
        if huey is None:
            huey = _make_huey(settings)
            _queues[key] = huey
            _tasks[id(huey)] = {PING_TASK: huey.task(name=PING_TASK)(ping)}
        tasks = _tasks[id(huey)]
        # A kind imported after the queue was made is added on the next call.
        for entry in registry.entries():
            if entry.kind.task_name not in tasks:
                tasks[entry.kind.task_name] = huey.task(name=entry.kind.task_name)(entry.task)
        return huey


def task_for(huey: Huey, task_name: str) -> TaskWrapper:
    """The task registered as ``task_name`` on ``huey`` (made by :func:`get_queue`)."""
    with _lock:
        found = _tasks.get(id(huey), {}).get(task_name)
    if found is None:
        registry.entry(task_name)  # raises, listing the known names
        raise ConfigError(f"Task {task_name!r} is not on this queue; call get_queue() first.")
    return found


def _make_huey(settings: Settings) -> Huey:
    # Results are not used (state lives in the jobs tables); storing them would
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
        _tasks.clear()


def send(
    settings: Settings,
    task_name: str,
    argument: Any,
    delay: float = 0,
    priority: int | None = None,
) -> None:
    """Call the task ``task_name`` with ``argument`` now, or schedule it ``delay`` seconds ahead.

    A message with a ``priority`` is taken before waiting messages without one.
    Raises :class:`StorageError` when the queue backend cannot be reached.
    """
    task = task_for(get_queue(settings), task_name)
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
    """``(task name, argument)`` of every message waiting in the queue or schedule."""
    huey = get_queue(settings)
    found: set[tuple[str, str]] = set()
    for task in [*huey.pending(), *huey.scheduled()]:
        args = task.args or ()
        if args:
            found.add((type(task).__name__, str(args[0])))
    return found

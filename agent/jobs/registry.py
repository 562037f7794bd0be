"""The kinds of job this process knows, by task name.

A kind's module registers it when imported (through
:func:`agent.jobs.runner.register`), so a producer that imports the kind
can enqueue it; a worker imports every kind at start
(:func:`agent.jobs.worker.load_kinds`), so it can run whatever a producer
sent. The queue reads this registry and so never imports its callers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent.errors import ConfigError
from agent.jobs.kind import JobKind

#: A Huey task body: runs the job named by its one argument.
Task = Callable[[str], None]


@dataclass(frozen=True)
class Entry:
    """A registered kind and the task body that runs it."""

    kind: JobKind[Any, Any]
    task: Task


_entries: dict[str, Entry] = {}
_lock = threading.Lock()


def add(kind: JobKind[Any, Any], task: Task) -> None:
    """Register ``kind`` under its task name (again with the same kind: no change)."""
    with _lock:
        known = _entries.get(kind.task_name)
        if known is not None and known.kind is not kind:
            raise ConfigError(f"Two job kinds claim the task name {kind.task_name!r}.")
        if known is None:
            _entries[kind.task_name] = Entry(kind, task)


def entries() -> list[Entry]:
    """Every registered kind, in registration order."""
    with _lock:
        return list(_entries.values())


def entry(task_name: str) -> Entry:
    """The kind registered as ``task_name``."""
    with _lock:
        found = _entries.get(task_name)
    if found is None:
        raise ConfigError(
            f"No job kind is registered as {task_name!r}; known: {', '.join(sorted(_entries))}."
        )
    return found

"""What a kind of job tells the runner: its task name and how its table is claimed and ended.

A kind is one Huey task (``winback_calls_decode``, ``winback.brief``, …)
whose argument names a row in the kind's own table. The runner
(:mod:`agent.jobs.runner`) owns the sequence every job goes through:
claim by compare-and-set, work under a heartbeat, finish or fail or
release for a retry, recovery of lost work. The kind owns only what
differs: which row, what the work is, what "finished" writes, which errors
a retry cannot fix and what follows a finished job.

Every state change receives ``now`` from the runner's clock, so a test can
make a heartbeat stale by moving a :class:`agent.clock.ManualClock`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Final, Literal, Protocol, TypeVar

from agent.crm.db import Store
from agent.settings import Settings

#: Returned by :meth:`JobKind.claim` when the job is done already (a duplicate message).
ALREADY_DONE: Final = "done"
AlreadyDone = Literal["done"]


class Claim(Protocol):
    """A job this worker owns: at least the attempt number its claim set."""

    @property
    def attempt(self) -> int: ...


C = TypeVar("C", bound=Claim)
R = TypeVar("R")


class JobKind(Protocol[C, R]):
    """One kind of durable job: a Huey task over the rows of one table.

    ``C`` is the kind's claim (what a worker holds while it runs the job),
    ``R`` the result of the work that :meth:`finish` writes.
    """

    #: The Huey task name; stable, since producers and workers must agree on it.
    task_name: str
    #: The ``job`` label of ``winback_job_duration_seconds`` (:mod:`agent.metrics`).
    label: str
    #: What log lines call the job ("step decode", "brief job").
    title: str
    #: The logger the job's lines go to.
    log: logging.Logger

    def context(self, argument: str) -> dict[str, Any]:
        """Log fields that identify the job named by ``argument``."""
        ...

    def claimed_context(self, claim: C) -> dict[str, Any]:
        """Log fields known once the job is claimed."""
        ...

    def claim(
        self, store: Store, argument: str, *, stale_s: float, max_attempts: int, now: datetime
    ) -> C | AlreadyDone | None:
        """Own the job if nobody else holds it (compare-and-set on status and attempts).

        ``None`` means there is nothing to do; a ``running`` job whose
        heartbeat is older than ``stale_s`` belonged to a dead worker and may
        be claimed again, unless that happened ``max_attempts`` times (then
        the kind fails it).
        """
        ...

    def beat(self, store: Store, claim: C, now: datetime) -> bool:
        """Stamp the heartbeat; ``False`` once the job is no longer this attempt's."""
        ...

    def work(self, settings: Settings, store: Store, claim: C) -> R:
        """Do the job's work, outside any job-state transaction (slow parts go here)."""
        ...

    def finish(
        self, store: Store, claim: C, result: R, *, duration_s: float, now: datetime
    ) -> bool:
        """Write ``result`` and mark the job done in one transaction, if still owned."""
        ...

    def fail(
        self, store: Store, claim: C, reason: str, *, duration_s: float, now: datetime
    ) -> bool:
        """Mark the job failed for good with ``reason``, if still owned."""
        ...

    def release(self, store: Store, claim: C, reason: str, *, retry_at: datetime) -> bool:
        """Hand the job back for a retry at ``retry_at`` after a transient error."""
        ...

    def permanent(self, exc: BaseException) -> str | None:
        """The reason to fail at once if no retry can fix ``exc``; ``None`` if it may pass."""
        ...

    def done(self, settings: Settings, store: Store, claim: C, result: R) -> None:
        """What follows a finished job (clean-up, the next step); must not raise."""
        ...

    def duplicate(self, settings: Settings, argument: str) -> None:
        """A message came for a job that is done already: make sure what follows was sent."""
        ...

    def ended(self, settings: Settings, store: Store, claim: C) -> None:
        """After every run of a claimed job, whatever its outcome; must not raise."""
        ...

    def lost(
        self, store: Store, queued: set[tuple[str, str]], *, stale_s: float, now: datetime
    ) -> list[str]:
        """Arguments of jobs no worker will pick up without a new message.

        ``queued`` holds the ``(task name, argument)`` of every message
        waiting in the queue or schedule. Lost are jobs ``running`` with a
        heartbeat older than ``stale_s`` (a dead worker) and waiting jobs
        without a message for longer than ``stale_s`` (a lost message).
        """
        ...

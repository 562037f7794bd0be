"""The one runner of durable jobs: claim, heartbeat, finish or retry, recover.

Every job of every kind (:class:`agent.jobs.kind.JobKind`) goes through
:func:`run`:

1. open the store and *claim* the job's row by compare-and-set, so two
   workers that got the same message never run it twice at once; while the
   database is unreachable (:data:`UNREACHABLE_DB`) nothing is claimed and
   the message is sent again after ``job_retry_delay_s``;
2. do the work while a heartbeat thread stamps the row every
   ``job_heartbeat_s``; a ``running`` row whose heartbeat is older than
   ``job_stale_s`` belongs to a dead worker and may be claimed again;
3. finish (results and ``done`` in one transaction, only while still
   owned), or fail at once when the kind says no retry can help, or release
   the job for a retry after ``job_retry_delay_s * 2**(attempt-1)`` seconds,
   up to ``job_retries`` times.

The job-state transactions are tried again on a fresh connection after a
dropped one (:func:`db_retry`), so a restarted database server costs a
moment, not the job's work. What cannot be recorded at all is left to
:func:`recover`, which every worker runs at start and every
``recover_interval_s``: it re-enqueues what each kind reports lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import InterfaceError, OperationalError

from agent.clock import SYSTEM, Clock
from agent.crm.db import Store, open_store
from agent.errors import ConfigError, WinbackError
from agent.jobs import queue, registry
from agent.jobs.heartbeat import Heartbeat
from agent.jobs.kind import ALREADY_DONE, Claim, JobKind
from agent.logs import bind, log_context
from agent.metrics import observe_job
from agent.settings import Settings, get_settings

log = logging.getLogger(__name__)

#: Database errors a new try on a fresh connection may not meet again: a
#: connection the server terminated or dropped, a restarting server, a busy
#: SQLite file. Job-state writes are retried after them (see :func:`db_retry`).
TRANSIENT_DB_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)
#: What opening the store and claiming raise while the database is unreachable:
#: :func:`agent.crm.db.open_store` reports a database it cannot reach (or migrate) as
#: ConfigError; the worker started with this database, so here that is an outage.
UNREACHABLE_DB: tuple[type[BaseException], ...] = (*TRANSIENT_DB_ERRORS, ConfigError)
#: Pauses between the tries of one job-state transaction.
DB_RETRY_DELAYS_S: tuple[float, ...] = (0.1, 0.5, 2.0)

T = TypeVar("T")
C = TypeVar("C", bound=Claim)
R = TypeVar("R")


def register(kind: JobKind[Any, Any]) -> None:
    """Make ``kind`` known to the queue: its task runs :func:`run` with the worker's settings."""

    def task(argument: str) -> None:
        run(get_settings(), kind, argument)

    task.__name__ = kind.task_name
    task.__doc__ = f"Run a {kind.title} job."
    registry.add(kind, task)


def enqueue(
    settings: Settings,
    kind: JobKind[Any, Any],
    argument: str,
    delay: float = 0,
    priority: int | None = None,
) -> None:
    """Send the message of ``kind``'s job ``argument`` (after ``delay`` seconds).

    Raises :class:`agent.errors.StorageError` when the queue cannot be
    reached, so callers can undo what they did or leave the work to
    :func:`recover`.
    """
    register(kind)
    queue.send(settings, kind.task_name, argument, delay, priority)


def db_retry(what: str, call: Callable[[], T], clock: Clock = SYSTEM) -> T:
    """Run one job-state transaction, trying again after a dropped database connection.

    Every try is a new transaction on a connection the pool checks before use
    (``pool_pre_ping``), so a connection the server terminated costs one try.
    The error of the last try is raised.
    """
    for delay in DB_RETRY_DELAYS_S:
        try:
            return call()
        except TRANSIENT_DB_ERRORS as exc:
            log.warning("%s: database error, trying again in %.1f s: %s", what, delay, exc)
            clock.sleep(delay)
    return call()


def run(settings: Settings, kind: JobKind[C, R], argument: str, clock: Clock = SYSTEM) -> str:
    """Run ``kind``'s job ``argument`` if it is this worker's to run; return the outcome.

    Outcomes: ``done``, ``skipped`` (done already, or owned elsewhere),
    ``retry`` (transient error, rescheduled) or ``failed`` (the reason is on
    the row). Log lines written meanwhile carry the kind's identifying
    fields; every run that was not skipped is observed in
    ``winback_job_duration_seconds`` (:mod:`agent.metrics`).
    """
    with log_context(**kind.context(argument)):
        started = clock.monotonic()
        outcome = _run(settings, kind, argument, clock)
        if outcome != "skipped":
            elapsed = clock.monotonic() - started
            observe_job(kind.label, outcome, elapsed)
            kind.log.info("%s %s in %.2f s", kind.title, outcome, elapsed)
        return outcome


def _run(settings: Settings, kind: JobKind[C, R], argument: str, clock: Clock) -> str:
    try:
        store = open_store(settings.db_url)
        claimed = db_retry(
            "claim",
            lambda: kind.claim(
                store,
                argument,
                stale_s=settings.job_stale_s,
                max_attempts=settings.job_retries + 1,
                now=clock.now(),
            ),
            clock,
        )
    except UNREACHABLE_DB as exc:
        # Nothing was claimed, and this message is used up: send another one
        # (if even that fails, recover() finds the job without a message).
        kind.log.warning("%s %s: cannot claim (%s); trying again later", kind.title, argument, exc)
        send_quietly(settings, kind, argument, settings.job_retry_delay_s)
        return "retry"
    if claimed == ALREADY_DONE:
        kind.duplicate(settings, argument)
        return "skipped"
    if claimed is None or isinstance(claimed, str):
        return "skipped"
    owned: C = claimed
    bind(**kind.claimed_context(owned))
    try:
        return _run_claimed(settings, store, kind, owned, argument, clock)
    finally:
        kind.ended(settings, store, owned)


def _run_claimed(
    settings: Settings, store: Store, kind: JobKind[C, R], owned: C, argument: str, clock: Clock
) -> str:
    started = clock.monotonic()

    def beat() -> bool:
        return kind.beat(store, owned, clock.now())

    try:
        with Heartbeat(beat, settings.job_heartbeat_s, f"heartbeat-{argument[:8]}"):
            result = kind.work(settings, store, owned)
    except Exception as exc:  # noqa: BLE001 - the kind tells a permanent error from the rest
        return _failed(
            settings, store, kind, owned, argument, exc, clock.monotonic() - started, clock
        )
    try:
        # The work is in memory: a dropped connection costs a new transaction, not a new run.
        finished = db_retry(
            "finish",
            lambda: kind.finish(
                store, owned, result, duration_s=clock.monotonic() - started, now=clock.now()
            ),
            clock,
        )
    except Exception as exc:  # noqa: BLE001 - as above
        return _failed(
            settings, store, kind, owned, argument, exc, clock.monotonic() - started, clock
        )
    if not finished:
        return "skipped"  # reclaimed by another worker meanwhile: its result wins
    kind.done(settings, store, owned, result)
    return "done"


def _failed(
    settings: Settings,
    store: Store,
    kind: JobKind[C, R],
    owned: C,
    argument: str,
    exc: Exception,
    elapsed: float,
    clock: Clock,
) -> str:
    """End a job whose work raised: for good if the kind says so, else after its retries."""
    reason = kind.permanent(exc)
    if reason is not None:
        # A WinbackError says what is wrong; anything else is a bug worth its traceback.
        kind.log.warning(
            "%s %s failed: %s", kind.title, argument, reason,
            exc_info=not isinstance(exc, WinbackError),
        )  # fmt: skip
        return _fail(store, kind, owned, argument, reason, elapsed, clock)
    reason = f"{type(exc).__name__}: {exc}"
    if owned.attempt > settings.job_retries:
        reason = f"gave up after {owned.attempt} attempts: {reason}"
        return _fail(store, kind, owned, argument, reason, elapsed, clock)
    delay = settings.job_retry_delay_s * 2 ** (owned.attempt - 1)
    kind.log.warning("%s %s: %s; retry in %.1f s", kind.title, argument, reason, delay)
    retry_at = clock.now() + timedelta(seconds=delay)
    try:
        if db_retry(
            "release", lambda: kind.release(store, owned, reason, retry_at=retry_at), clock
        ):
            # If scheduling fails the job stays waiting and recover() re-enqueues it.
            send_quietly(settings, kind, argument, delay)
    except TRANSIENT_DB_ERRORS:
        _left_to_recovery(kind, argument)
    return "retry"


def _fail(
    store: Store,
    kind: JobKind[C, R],
    owned: C,
    argument: str,
    reason: str,
    elapsed: float,
    clock: Clock,
) -> str:
    try:
        db_retry(
            "fail",
            lambda: kind.fail(store, owned, reason, duration_s=elapsed, now=clock.now()),
            clock,
        )
    except TRANSIENT_DB_ERRORS:
        _left_to_recovery(kind, argument)
    return "failed"


def _left_to_recovery(kind: JobKind[Any, Any], argument: str) -> None:
    # The row still says "running" under this attempt; once its heartbeat is
    # older than job_stale_s, recover() hands the job to the next worker.
    kind.log.error(
        "%s %s: the database is unreachable, its outcome is not recorded; "
        "the recovery sweep will retry it",
        kind.title,
        argument,
    )


def send_quietly(
    settings: Settings, kind: JobKind[Any, Any], argument: str, delay: float = 0
) -> None:
    """Send a message whose loss the recovery sweep repairs: a queue outage is only logged.

    For follow-ups (a retry, the next step, the next brief of a lane): the job
    row is written already, so :func:`recover` finds it without a message.
    """
    try:
        enqueue(settings, kind, argument, delay)
    except Exception as exc:  # noqa: BLE001 - recover() re-enqueues what is not on the queue
        kind.log.warning("%s %s left to the recovery sweep: %s", kind.title, argument, exc)


def recover(settings: Settings, clock: Clock = SYSTEM) -> int:
    """Re-enqueue every job of every registered kind whose message was lost.

    Returns how many jobs were enqueued again. Raises :class:`StorageError`
    when the queue cannot be reached (the next sweep tries again).
    """
    store = open_store(settings.db_url)
    queued = queue.queued_work(settings)
    count = 0
    for entry in registry.entries():
        kind = entry.kind
        for argument in kind.lost(store, queued, stale_s=settings.job_stale_s, now=clock.now()):
            kind.log.info("re-enqueueing %s %s", kind.title, argument)
            enqueue(settings, kind, argument)
            count += 1
    return count

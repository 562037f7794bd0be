"""Brief jobs: a brief generation as a durable row plus a message on the job queue.

A brief takes seconds to tens of seconds with the local model, too long for
a request. :func:`start_brief_job` writes a ``brief_jobs`` row (status
``queued``) and puts a ``winback.brief`` message on the same queue that
carries the recording pipeline; a queue worker (``winback worker``, or the
embedded worker of ``winback serve``) runs :func:`run_brief_job`. Any web
process can then read the row, so a job started through one uvicorn worker
can be polled through another, and the web process itself never needs to
load the chat model.

A brief job is a :class:`agent.jobs.kind.JobKind` (:data:`BRIEF`), run by
the job layer's runner (:mod:`agent.jobs.runner`) like a recording step:
the row is the source of truth and the message only says "look at this
row"; a worker *claims* the job with a compare-and-set on ``(status,
attempts)``, stamps ``heartbeat_at`` while it runs, and stores the brief and
the ``done`` status in one transaction, only if the job is still its own.
A job whose worker died (``running`` with a stale heartbeat) or whose
message was lost (``queued`` with no message for ``job_stale_s``) is
enqueued again by the recovery sweep. Every error fails the job with its
reason (a rep asks again; a retry minutes later would answer a question
nobody waits for): it ends ``done`` or ``failed``, it never just vanishes.

Fair order: each user's unfinished jobs form a lane, and only the lane's
head (its oldest job) is on the queue; when it ends, the next one is
enqueued. A rep who asks for twenty briefs at once therefore holds one
place in the queue, not twenty, and an upload queued meanwhile waits for
at most one brief per user. The head enqueued when a rep asks goes ahead
of waiting call steps (:data:`PRIORITY`): a brief is wanted before a call,
a draft note after it. How many may wait at all is bounded by the
``brief_queue_per_user`` quota (:mod:`agent.quotas`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError

from agent.clock import SYSTEM, Clock, as_utc
from agent.crm.db import Store
from agent.crm.models import BriefJob, BriefJobStatus, Tenant
from agent.errors import NotFoundError, StorageError, WinbackError
from agent.jobs import runner
from agent.jobs.rows import take_next_attempt
from agent.quotas import check_brief_queue
from agent.settings import Settings

log = logging.getLogger(__name__)

#: The Huey task name (stable: producers and workers must agree on it).
TASK_NAME = "winback.brief"
#: Queue priority of a brief a rep has just asked for: above every call-pipeline step (no
#: priority), so it never waits behind queued transcriptions and analyses. The rest of a
#: user's lane follows without it, in turn with the call steps (see "Fair order").
PRIORITY = 100
#: Job states in which a job still waits for, or is in, a worker.
UNFINISHED = (BriefJobStatus.queued, BriefJobStatus.running)
#: Longest error text stored on a job.
MAX_ERROR_CHARS = 2000


def now_utc() -> datetime:
    """Timezone-aware current time."""
    return datetime.now(UTC)


def is_stale(job: BriefJob, stale_s: float, now: datetime | None = None) -> bool:
    """Whether a ``running`` job has shown no sign of life for ``stale_s`` seconds."""
    beat = as_utc(job.heartbeat_at) or as_utc(job.started_at)
    return beat is None or (now or now_utc()) - beat > timedelta(seconds=stale_s)


def job_out(job: BriefJob) -> dict[str, Any]:
    """The API's JSON form of a job."""
    return {
        "id": job.id,
        "account_id": job.account_id,
        "status": job.status.value,
        "brief_id": job.brief_id,
        "error": job.error,
    }


# --- starting a job ---------------------------------------------------------


def start_brief_job(
    store: Store,
    settings: Settings,
    *,
    tenant_id: int,
    account_id: int,
    user_id: int | None,
    as_of: date,
) -> BriefJob:
    """Queue a brief of ``account_id`` as of ``as_of`` for ``user_id``; return the job row.

    The caller has authorised the user for the account. A job of the same
    user, account and day that has not finished yet is returned instead of a
    new one (a double click starts one generation); if that job looks lost
    (its worker died, or its message is gone) it is enqueued again, which is
    harmless because a worker claims a job only once. The row is committed
    before the message is sent, so a worker always finds it. Raises
    :class:`StorageError` when the queue is unreachable; the new job is then
    marked ``failed`` with that reason.
    """
    with store.session() as session:
        job = session.scalar(
            select(BriefJob)
            .where(
                BriefJob.tenant_id == tenant_id,
                BriefJob.account_id == account_id,
                BriefJob.user_id == user_id,
                BriefJob.as_of == as_of,
                BriefJob.status.in_(UNFINISHED),
            )
            .order_by(BriefJob.created_at.desc())
            .limit(1)
        )
        created = job is None
        if job is None:
            check_brief_queue(session, settings, user_id)
            job = BriefJob(
                tenant_id=tenant_id,
                account_id=account_id,
                user_id=user_id,
                as_of=as_of,
                status=BriefJobStatus.queued,
                attempts=0,
                created_at=now_utc(),
            )
            session.add(job)
            session.flush()
    if not created and not _looks_lost(job, settings.job_stale_s):
        return job
    if not _is_head(store, job):
        return job  # it waits for the user's earlier brief; that one's end enqueues it
    try:
        enqueue_brief_job(settings, job.id, priority=PRIORITY)
    except StorageError as exc:
        if created:
            with store.session() as session:
                row = session.get(BriefJob, job.id)
                if row is not None and row.status == BriefJobStatus.queued:
                    _end(row, BriefJobStatus.failed, str(exc))
        raise
    return job


# --- one lane per user: fair order on a shared queue --------------------------


def _lane(user_id: int | None) -> Select[Any]:
    """The unfinished jobs of ``user_id``, oldest first: the head runs, the rest wait."""
    return (
        select(BriefJob)
        .where(BriefJob.user_id == user_id, BriefJob.status.in_(UNFINISHED))
        .order_by(BriefJob.created_at, BriefJob.id)
    )


def _is_head(store: Store, job: BriefJob) -> bool:
    """Whether ``job`` is the one of its user's unfinished jobs that belongs on the queue."""
    if job.user_id is None:
        return True  # no user, no lane (the CLI runs its briefs in-process anyway)
    with store.session() as session:
        head = session.scalar(_lane(job.user_id).limit(1))
    return head is None or head.id == job.id


def _enqueue_next(settings: Settings, store: Store, user_id: int | None) -> None:
    """After a job of ``user_id`` ended: put the next one of their lane on the queue."""
    if user_id is None:
        return
    with store.session() as session:
        head = session.scalar(_lane(user_id).limit(1))
    if head is None or head.status != BriefJobStatus.queued:
        return
    try:
        enqueue_brief_job(settings, head.id)
    except StorageError:
        log.warning("brief job %s left to the recovery sweep", head.id)


def _looks_lost(job: BriefJob, stale_s: float, now: datetime | None = None) -> bool:
    """Whether a job would wait forever without a new message (dead worker or lost message)."""
    now = now or now_utc()
    if job.status == BriefJobStatus.running:
        return is_stale(job, stale_s, now)
    created = as_utc(job.created_at) or now
    return now - created > timedelta(seconds=stale_s)


def enqueue_brief_job(
    settings: Settings, job_id: str, delay: float = 0, priority: int | None = None
) -> None:
    """Put the message of job ``job_id`` on the queue (after ``delay`` seconds).

    With ``priority`` (:data:`PRIORITY`) a worker takes it before waiting call steps.
    Raises :class:`StorageError` when the queue backend cannot be reached.
    """
    runner.enqueue(settings, BRIEF, job_id, delay, priority)


# --- job state ------------------------------------------------------------------


@dataclass(frozen=True)
class BriefClaim:
    """A job this worker now owns, with the attempt number it set and what it needs."""

    job_id: str
    attempt: int
    tenant_id: int
    account_id: int
    user_id: int | None
    as_of: date


def claim(
    store: Store, job_id: str, *, stale_s: float, max_attempts: int, now: datetime | None = None
) -> BriefClaim | None:
    """Take ownership of job ``job_id`` if it is waiting, or running in a dead worker.

    Returns ``None`` when there is nothing to do: the job is unknown,
    finished, running in a live worker, or another worker won the race. A
    job whose worker died ``max_attempts`` times is failed instead.
    """
    now = now or now_utc()
    with store.session() as session:
        job = session.get(BriefJob, job_id)
        if job is None or job.status not in UNFINISHED:
            return None
        if job.status == BriefJobStatus.running:
            if not is_stale(job, stale_s, now):
                return None
            if job.attempts >= max_attempts:
                # The worker died in this job every time: a poison input, not bad luck.
                _end(
                    job, BriefJobStatus.failed, f"worker died {job.attempts} times on this job", now
                )
                return None
        attempt = take_next_attempt(
            session, job, now, status=BriefJobStatus.running, heartbeat_at=now, error=None
        )
        if attempt is None:  # another worker won the race
            return None
        return BriefClaim(
            job_id=job.id,
            attempt=attempt,
            tenant_id=job.tenant_id,
            account_id=job.account_id,
            user_id=job.user_id,
            as_of=job.as_of,
        )


def _owned(owned: BriefClaim) -> Select[Any]:
    """The query of the job row, locked, that finds it only while this attempt owns it."""
    return (
        select(BriefJob)
        .where(
            BriefJob.id == owned.job_id,
            BriefJob.status == BriefJobStatus.running,
            BriefJob.attempts == owned.attempt,
        )
        .with_for_update()
    )


def _end(
    job: BriefJob, status: BriefJobStatus, error: str | None = None, now: datetime | None = None
) -> None:
    job.status = status
    job.error = error[:MAX_ERROR_CHARS] if error else None
    job.finished_at = now or now_utc()


def finish(store: Store, owned: BriefClaim, brief: Any, now: datetime | None = None) -> bool:
    """Store ``brief`` and mark the job done in one transaction, if this attempt owns it.

    Returns ``False`` (and stores nothing) when the job was reclaimed by
    another worker meanwhile: then that worker's brief is the job's brief.
    """
    from agent.brief.store import save_brief

    with store.session() as session:
        job: BriefJob | None = session.scalar(_owned(owned))
        if job is None:
            return False
        row = save_brief(session, brief, created_by_id=owned.user_id)
        job.brief_id = row.id
        _end(job, BriefJobStatus.done, now=now)
    return True


def fail(store: Store, owned: BriefClaim, reason: str, now: datetime | None = None) -> bool:
    """Mark the job failed with ``reason``, if this attempt still owns it."""
    with store.session() as session:
        job: BriefJob | None = session.scalar(_owned(owned))
        if job is None:
            return False
        _end(job, BriefJobStatus.failed, reason, now)
    return True


def beat(store: Store, owned: BriefClaim, now: datetime | None = None) -> bool:
    """Stamp ``heartbeat_at`` of the owned job; ``False`` once it is not this attempt's."""
    with store.session() as session:
        result = session.execute(
            update(BriefJob)
            .where(
                BriefJob.id == owned.job_id,
                BriefJob.status == BriefJobStatus.running,
                BriefJob.attempts == owned.attempt,
            )
            .values(heartbeat_at=now or now_utc())
            .execution_options(synchronize_session=False)
        )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


# --- the job kind ---------------------------------------------------------------


class BriefKind:
    """Brief generation as a :class:`agent.jobs.kind.JobKind`; the argument is a job id."""

    task_name = TASK_NAME
    label = "brief"
    title = "brief job"
    log = log

    def context(self, argument: str) -> dict[str, Any]:
        return {"brief_job_id": argument}

    def claimed_context(self, claim: BriefClaim) -> dict[str, Any]:
        return {"attempt": claim.attempt, "account_id": claim.account_id}

    def claim(
        self, store: Store, argument: str, *, stale_s: float, max_attempts: int, now: datetime
    ) -> BriefClaim | None:
        return claim(store, argument, stale_s=stale_s, max_attempts=max_attempts, now=now)

    def beat(self, store: Store, claim: BriefClaim, now: datetime) -> bool:
        return beat(store, claim, now)

    def work(self, settings: Settings, store: Store, claim: BriefClaim) -> Any:
        return _generate(store, settings, claim)

    def finish(
        self, store: Store, claim: BriefClaim, result: Any, *, duration_s: float, now: datetime
    ) -> bool:
        # Two generations for one account may race for the next version number (unique
        # per account); a new transaction takes the next free one.
        for _ in range(2):
            try:
                return finish(store, claim, result, now)
            except IntegrityError as exc:
                log.warning("brief job %s: version taken, storing again: %s", claim.job_id, exc)
        return finish(store, claim, result, now)

    def fail(
        self, store: Store, claim: BriefClaim, reason: str, *, duration_s: float, now: datetime
    ) -> bool:
        return fail(store, claim, reason, now)

    def release(self, store: Store, claim: BriefClaim, reason: str, *, retry_at: datetime) -> bool:
        # permanent() fails every error today (see the module doc), so the runner does
        # not release a brief job; if it did, the job would wait queued for a worker.
        with store.session() as session:
            job: BriefJob | None = session.scalar(_owned(claim))
            if job is None:
                return False
            job.status = BriefJobStatus.queued
            job.error = reason[:MAX_ERROR_CHARS]
        return True

    def permanent(self, exc: BaseException) -> str:
        if isinstance(exc, WinbackError):
            return str(exc)
        return f"Internal error: {type(exc).__name__}"

    def done(self, settings: Settings, store: Store, claim: BriefClaim, result: Any) -> None:
        return None  # the next job of the lane follows every end: see ended()

    def duplicate(self, settings: Settings, argument: str) -> None:
        return None  # claim() reports a finished job as nothing to do

    def ended(self, settings: Settings, store: Store, claim: BriefClaim) -> None:
        _enqueue_next(settings, store, claim.user_id)

    def lost(
        self, store: Store, queued: set[tuple[str, str]], *, stale_s: float, now: datetime
    ) -> list[str]:
        return jobs_to_requeue(store, queued, stale_s=stale_s, now=now)


#: The brief job kind, registered with the job layer on import.
BRIEF = BriefKind()
runner.register(BRIEF)


def run_brief_job(settings: Settings, job_id: str, clock: Clock = SYSTEM) -> str:
    """Run brief job ``job_id`` if it is this worker's to run; return the outcome.

    Outcomes: ``done``, ``failed`` (the reason is on the row), ``skipped``
    (finished already, running elsewhere, or unknown) or ``retry`` (the
    database was unreachable; the message was sent again). Idempotent: a
    duplicate message for a finished job does nothing.
    """
    return runner.run(settings, BRIEF, job_id, clock)


def _generate(store: Store, settings: Settings, owned: BriefClaim) -> Any:
    """The brief of the claimed job (a :class:`agent.brief.Brief`), not yet stored."""
    from agent.brief.generator import generate_brief

    index = _index(store, settings, owned.tenant_id)
    with store.session() as session:
        slug = session.scalar(select(Tenant.slug).where(Tenant.id == owned.tenant_id))
        if slug is None:
            raise NotFoundError(f"Tenant {owned.tenant_id} no longer exists.")
        run = generate_brief(
            session, slug, owned.account_id, as_of=owned.as_of, index=index, settings=settings
        )
    return run.brief


def _index(store: Store, settings: Settings, tenant_id: int) -> Any:
    """The history index for semantic hits, built on first use; None when unavailable.

    A brief without semantic hits still has every CRM fact, so a missing
    embeddings model degrades the brief instead of failing it.
    """
    try:
        from agent.history.index import open_index
        from agent.history.sync import rebuild

        index = open_index(settings)
        if index.count(tenant_id) == 0:
            with store.session() as session:
                rebuild(session, index, tenant_id)
        return index
    except WinbackError as exc:
        log.warning("history index unavailable, brief without semantic hits: %s", exc)
        return None


# --- recovery -------------------------------------------------------------------


def jobs_to_requeue(
    store: Store, queued: set[tuple[str, str]], *, stale_s: float, now: datetime | None = None
) -> list[str]:
    """Ids of unfinished jobs whose message is lost and that must be enqueued again.

    Only the head of each user's lane is expected to have a message (the
    others wait their turn). A head is lost when it is
    ``running`` with a stale heartbeat (the worker died), or ``queued`` for
    more than ``stale_s`` seconds (the grace period covers a worker that
    took the message but has not claimed the row yet); either only when no
    message for it waits in ``queued`` (the queue's and schedule's
    ``(task name, argument)`` pairs).
    """
    now = now or now_utc()
    with store.session() as session:
        rows = session.scalars(
            select(BriefJob)
            .where(BriefJob.status.in_(UNFINISHED))
            .order_by(BriefJob.created_at, BriefJob.id)
        ).all()
    lost: list[str] = []
    heads: set[int] = set()
    for job in rows:
        if job.user_id is not None:
            if job.user_id in heads:
                continue  # waits behind its user's head job: it has no message on purpose
            heads.add(job.user_id)
        if (TASK_NAME, job.id) not in queued and _looks_lost(job, stale_s, now):
            lost.append(job.id)
    return lost

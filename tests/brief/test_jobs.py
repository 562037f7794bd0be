"""Brief jobs: durable rows run by real queue workers (SQLite queue and Redis queue).

The only fake is the chat model (scripted replies, optionally held at a gate
so a test can watch the job while it runs); the database (SQLite and
PostgreSQL), the Huey queue and its consumer, and the history index are real.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from agent.brief import jobs
from agent.brief.jobs import TASK_NAME, run_brief_job, start_brief_job
from agent.clock import ManualClock
from agent.crm.db import Store
from agent.crm.models import BriefJob, BriefJobStatus, StoredBrief, User
from agent.errors import StorageError
from agent.jobs import runner
from agent.jobs.queue import forget_queues, get_queue, queued_work
from agent.jobs.worker import embedded_worker
from agent.llm import chat
from agent.settings import Settings, configure
from agent.testing import FakeChatModel
from tests.brief.drafts import facts_of, good_draft
from tests.calls.conftest import redis_queue  # noqa: F401 - fixture
from tests.history.fixtures import AS_OF, Crm

GATE = threading.Event()


class GatedChat(FakeChatModel):
    """The scripted fake, held until :data:`GATE` opens (to watch a running job)."""

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
        assert GATE.wait(60), "the test never opened the gate"
        return super()._generate(messages, stop, run_manager, **kw)


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def queue_backend(request: pytest.FixtureRequest) -> str:
    """The queue the worker takes jobs from: SQLite file, or Redis under its own name."""
    if request.param == "redis":
        request.getfixturevalue("redis_queue")
    return str(request.param)


def make_settings(store: Store, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": store.engine.url.render_as_string(hide_password=False),
        "chat_backend": "fake",
        "embeddings_backend": "fake",
        "job_heartbeat_s": 0.1,
        "job_retries": 2,
        **overrides,
    }
    return configure(**values)


@pytest.fixture
def settings(store: Store, crm: Crm) -> Iterator[Settings]:
    forget_queues()
    yield make_settings(store)
    forget_queues()


@pytest.fixture
def scripted(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[GatedChat]:
    """Every chat model handed out replies with a good draft for K-100; returns them all."""
    GATE.set()
    draft = good_draft(facts_of(store, "acme", "K-100", "de"))
    made: list[GatedChat] = []

    def factory(settings: Settings, **overrides: Any) -> GatedChat:
        model = GatedChat(**overrides).enqueue(draft)
        made.append(model)
        return model

    monkeypatch.setitem(chat.CHAT_BACKENDS, "fake", factory)
    return made


def rep_id(store: Store) -> int:
    with store.session() as session:
        return session.scalar(select(User.id).where(User.username == "j.wagner"))  # type: ignore[return-value]


def start(store: Store, settings: Settings, crm: Crm, account: int | None = None) -> BriefJob:
    return start_brief_job(
        store,
        settings,
        tenant_id=crm.acme,
        account_id=account or crm.de_account,
        user_id=rep_id(store),
        as_of=AS_OF,
    )


def row(store: Store, job_id: str) -> BriefJob:
    with store.session() as session:
        job = session.get(BriefJob, job_id)
        assert job is not None
        return job


def wait_for(store: Store, job_id: str, *statuses: str, timeout: float = 60) -> BriefJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = row(store, job_id)
        if job.status.value in statuses:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} stayed {row(store, job_id).status}, wanted {statuses}")


def briefs(store: Store, account: int) -> int:
    with store.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(StoredBrief)
                .where(StoredBrief.account_id == account)
            )
            or 0
        )


def test_job_goes_queued_running_done_through_a_real_worker(
    store: Store, crm: Crm, queue_backend: str, scripted: list[GatedChat]
) -> None:
    forget_queues()
    settings = make_settings(store)
    assert settings.queue_backend == queue_backend
    GATE.clear()
    job = start(store, settings, crm)
    assert (job.status, job.attempts, job.brief_id) == (BriefJobStatus.queued, 0, None)
    assert (TASK_NAME, job.id) in queued_work(settings)  # the message is on the queue
    try:
        with embedded_worker(settings):
            running = wait_for(store, job.id, "running")
            assert running.attempts == 1 and running.started_at is not None
            first_beat = running.heartbeat_at
            # The heartbeat is alive: it beats every 0.1 s; a busy CI machine may take longer.
            deadline = time.monotonic() + 10
            while row(store, job.id).heartbeat_at == first_beat and time.monotonic() < deadline:
                time.sleep(0.1)
            assert row(store, job.id).heartbeat_at != first_beat
            GATE.set()
            done = wait_for(store, job.id, "done", "failed")
    finally:
        GATE.set()
        forget_queues()
    assert done.status == BriefJobStatus.done, done.error
    assert done.error is None and done.finished_at is not None
    with store.session() as session:
        brief = session.get(StoredBrief, done.brief_id)
        assert brief is not None and brief.account_id == crm.de_account
        assert brief.created_by_id == rep_id(store) and brief.model == "fake-chat"
        assert brief.content["as_of"] == AS_OF.isoformat()
    assert len(scripted) == 1
    # A duplicate message for a finished job changes nothing.
    assert run_brief_job(settings, job.id) == "skipped"
    assert briefs(store, crm.de_account) == 1


def test_failing_generation_ends_failed_with_the_reason(store: Store, crm: Crm) -> None:
    forget_queues()
    settings = make_settings(store)  # the plain fake chat model has no reply queued
    job = start(store, settings, crm)
    with embedded_worker(settings):
        failed = wait_for(store, job.id, "done", "failed")
    forget_queues()
    assert failed.status == BriefJobStatus.failed
    assert failed.error and "no queued reply" in failed.error
    assert failed.brief_id is None and failed.finished_at is not None
    assert briefs(store, crm.de_account) == 0
    assert run_brief_job(settings, job.id) == "skipped"  # failed is final too


def test_unexpected_error_ends_failed_without_internals(
    store: Store, crm: Crm, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("secret internals")

    monkeypatch.setattr("agent.brief.generator.generate_brief", broken)
    job = start(store, settings, crm)
    assert run_brief_job(settings, job.id) == "failed"
    assert row(store, job.id).error == "Internal error: KeyError"


def test_rules_only_brief_needs_no_model(store: Store, crm: Crm, settings: Settings) -> None:
    # The insolvent account gets the short "don't call" brief written by code alone.
    job = start(store, settings, crm, account=crm.insolvent_account)
    assert run_brief_job(settings, job.id) == "done"
    done = row(store, job.id)
    with store.session() as session:
        brief = session.get(StoredBrief, done.brief_id)
        assert brief is not None and brief.content["should_call"] is False


def test_an_unfinished_job_is_reused_a_finished_one_is_not(
    store: Store, crm: Crm, settings: Settings, scripted: list[GatedChat]
) -> None:
    first = start(store, settings, crm)
    assert start(store, settings, crm).id == first.id  # double click: one generation
    other_day = start_brief_job(
        store,
        settings,
        tenant_id=crm.acme,
        account_id=crm.de_account,
        user_id=rep_id(store),
        as_of=date(2026, 11, 3),
    )
    assert other_day.id != first.id
    assert run_brief_job(settings, first.id) == "done"
    again = start(store, settings, crm)
    assert again.id != first.id and again.status == BriefJobStatus.queued


def age(store: Store, job_id: str, seconds: float, **values: Any) -> None:
    """Move the job's clocks ``seconds`` into the past (and set ``values``)."""
    past = datetime.now(UTC) - timedelta(seconds=seconds)
    with store.session() as session:
        session.execute(
            update(BriefJob)
            .where(BriefJob.id == job_id)
            .values(created_at=past, started_at=past, heartbeat_at=past, **values)
        )


def test_stale_running_job_is_recovered_and_finishes_exactly_once(
    store: Store, crm: Crm, queue_backend: str, scripted: list[GatedChat]
) -> None:
    forget_queues()
    settings = make_settings(store, job_stale_s=5)
    job = start(store, settings, crm)
    # A worker took the message and claimed the job, then died: no message, a stale row.
    get_queue(settings).flush()
    dead = jobs.claim(store, job.id, stale_s=5, max_attempts=3)
    assert dead is not None and dead.attempt == 1
    assert runner.recover(settings) == 0  # heartbeat still fresh: the worker may live
    age(store, job.id, 60)
    try:
        # The worker's start-up sweep (runner.recover) re-enqueues the job.
        with embedded_worker(settings):
            done = wait_for(store, job.id, "done", "failed")
            assert done.status == BriefJobStatus.done, done.error
            assert runner.recover(settings) == 0  # nothing left to recover
    finally:
        forget_queues()
    assert done.attempts == 2
    # The dead worker wakes up with its brief: it no longer owns the job, nothing is stored.
    late = FakeChatModel().enqueue(good_draft(facts_of(store, "acme", "K-100", "de")))
    with store.session() as session:
        from agent.brief.generator import generate_brief

        brief = generate_brief(session, "acme", crm.de_account, as_of=AS_OF, model=late).brief
    assert jobs.finish(store, dead, brief) is False
    assert jobs.fail(store, dead, "late") is False
    assert briefs(store, crm.de_account) == 1
    assert row(store, job.id).brief_id == done.brief_id


def test_lost_message_of_a_queued_job_is_sent_again(
    store: Store, crm: Crm, settings: Settings, scripted: list[GatedChat]
) -> None:
    job = start(store, settings, crm)
    clock = ManualClock(start=datetime.now(UTC))
    assert runner.recover(settings, clock) == 0  # its message is still queued
    get_queue(settings).flush()
    assert runner.recover(settings, clock) == 0  # within the grace period
    clock.advance(settings.job_stale_s + 5)
    assert runner.recover(settings, clock) == 1
    assert runner.recover(settings, clock) == 0  # the new message is queued now
    with embedded_worker(settings):
        done = wait_for(store, job.id, "done", "failed")
    assert done.status == BriefJobStatus.done and done.attempts == 1
    assert briefs(store, crm.de_account) == 1


def test_asking_again_for_a_lost_job_sends_its_message_again(
    store: Store, crm: Crm, settings: Settings
) -> None:
    job = start(store, settings, crm)
    get_queue(settings).flush()
    assert start(store, settings, crm).id == job.id
    assert (TASK_NAME, job.id) not in queued_work(settings)  # young: its worker may be busy
    age(store, job.id, settings.job_stale_s + 5)
    assert start(store, settings, crm).id == job.id
    assert (TASK_NAME, job.id) in queued_work(settings)


def test_a_job_its_worker_died_on_every_time_fails(
    store: Store, crm: Crm, settings: Settings
) -> None:
    job = start(store, settings, crm)
    age(store, job.id, 600, status=BriefJobStatus.running, attempts=settings.job_retries + 1)
    assert run_brief_job(settings, job.id) == "skipped"
    failed = row(store, job.id)
    assert failed.status == BriefJobStatus.failed
    assert failed.error == f"worker died {settings.job_retries + 1} times on this job"


def test_a_live_running_job_is_left_alone(store: Store, crm: Crm, settings: Settings) -> None:
    job = start(store, settings, crm)
    assert jobs.claim(store, job.id, stale_s=60, max_attempts=3) is not None
    assert jobs.claim(store, job.id, stale_s=60, max_attempts=3) is None  # owned, alive
    assert run_brief_job(settings, job.id) == "skipped"
    assert runner.recover(settings) == 0
    assert row(store, job.id).attempts == 1


def test_unreachable_queue_fails_the_new_job_with_the_reason(
    store: Store, crm: Crm, monkeypatch: pytest.MonkeyPatch
) -> None:
    forget_queues()
    monkeypatch.setenv("WINBACK_QUEUE_BACKEND", "redis")
    monkeypatch.setenv("WINBACK_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens
    settings = make_settings(store)
    with pytest.raises(StorageError, match="queue"):
        start(store, settings, crm)
    forget_queues()
    with store.session() as session:
        job = session.scalars(select(BriefJob)).one()
    assert job.status == BriefJobStatus.failed and "not reachable" in (job.error or "")

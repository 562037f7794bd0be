"""Fault tests: Redis restarts and forgets every queued message.

The queue runs on a private ``redis-server`` that keeps nothing on disk, so
a restart loses every message, as a crash of an unpersisted Redis would.
The database is the source of truth: the worker's recovery sweep finds the
steps that are pending with no message and enqueues them again, so every
accepted recording is processed, each step once.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from agent.calls.jobs import STEPS
from agent.crm.db import open_store
from agent.jobs.queue import queued_work
from agent.settings import configure
from tests.faults import openai_stub as replies
from tests.faults.harness import (
    WorkerProcess,
    assert_exactly_once,
    is_finished,
    jobs_of,
    pipeline_settings,
    seed_account,
    upload_tone,
    wait_until,
    worker_env,
)
from tests.faults.openai_stub import OpenAIStub
from tests.faults.redis_server import RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.allow_network_model]

QUESTIONS = 4  # of the decomposed analysis with outcome "follow_up"


def test_messages_lost_in_a_restart_are_requeued_from_the_database(
    db_url: str, redis_server: RedisServer, stub: OpenAIStub, tmp_path: Path
) -> None:
    values = pipeline_settings(
        database_url=db_url,
        queue_backend="redis",
        redis_url=redis_server.url,
        queue_name="faults",
        openai_base_url=stub.base_url,
    )
    settings = configure(**values)
    store = open_store(db_url)
    seed_account(store)
    ids = [upload_tone(store, settings, tmp_path / "calls", i) for i in range(3)]
    decode = "winback_calls_decode"
    assert queued_work(settings) == {(decode, r) for r in ids}

    redis_server.restart()  # no worker has run; every message is gone
    assert queued_work(settings) == set()

    worker = WorkerProcess(worker_env(values), tmp_path / "worker.log")
    try:
        wait_until(lambda: all(is_finished(store, r) for r in ids), 30, "three processed calls")
        assert worker.alive, worker.output()
    finally:
        worker.stop()
    for recording_id in ids:
        assert_exactly_once(store, recording_id)
        assert {s: j.attempts for s, j in jobs_of(store, recording_id).items()} == dict.fromkeys(
            STEPS, 1
        )
    assert len(stub.requests) == 3 * QUESTIONS


@pytest.mark.postgres
def test_a_restart_while_the_worker_runs_loses_no_recording(
    pg_url: str, redis_server: RedisServer, stub: OpenAIStub, tmp_path: Path
) -> None:
    values = pipeline_settings(
        database_url=pg_url,
        queue_backend="redis",
        redis_url=redis_server.url,
        queue_name="faults",
        openai_base_url=stub.base_url,
        openai_timeout_s=10.0,
    )
    settings = configure(**values)
    store = open_store(pg_url)
    seed_account(store)
    stub.enqueue(replies.hang(3.0))  # the first analysis holds the only worker thread
    worker = WorkerProcess(worker_env(values), tmp_path / "worker.log")
    try:
        ids = [upload_tone(store, settings, tmp_path / "calls", i) for i in range(3)]
        assert stub.wait_for_requests(1, timeout=30), worker.output()
        assert queued_work(settings)  # the other calls' next steps wait in Redis
        redis_server.stop()
        time.sleep(1.0)  # the worker polls a dead server meanwhile
        redis_server.start()  # empty
        wait_until(lambda: all(is_finished(store, r) for r in ids), 30, "three processed calls")
        assert worker.alive, worker.output()
    finally:
        worker.stop()
    for recording_id in ids:
        assert_exactly_once(store, recording_id)
        assert all(j.attempts == 1 for j in jobs_of(store, recording_id).values())
    assert len(stub.requests) == 3 * QUESTIONS
    assert "Unhandled exception in task" not in worker.output()

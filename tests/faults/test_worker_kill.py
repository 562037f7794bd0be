"""Fault tests: a worker dies (SIGKILL) in the middle of the ``analyze`` step.

The analysis is held in flight by the scripted chat server, which lets the
first request hang. The worker is a real ``winback worker`` process on a
private Redis queue and PostgreSQL; a second worker started afterwards must
recover the step once the dead worker's heartbeat is older than
``job_stale_s`` and finish it: one transcript, one note, recording analysed.

The companion test checks the other side of the heartbeat: an analysis that
is merely slow (longer than ``job_stale_s``) in a live worker must keep its
heartbeat going, so no sweep hands it to a second worker.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest

from agent.calls import pipeline
from agent.calls.jobs import STEPS
from agent.crm.db import open_store
from agent.jobs.runner import recover
from agent.settings import configure
from tests.faults import openai_stub as replies
from tests.faults.harness import (
    WorkerProcess,
    assert_exactly_once,
    is_finished,
    jobs_of,
    notes_of,
    pipeline_settings,
    seed_account,
    transcripts_of,
    upload_tone,
    wait_until,
    worker_env,
)
from tests.faults.openai_stub import OpenAIStub
from tests.faults.redis_server import RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.allow_network_model]

QUESTIONS = 4  # of the decomposed analysis with outcome "follow_up"


@pytest.mark.postgres
@pytest.mark.redis
def test_worker_killed_during_analysis_is_recovered_by_another_worker(
    pg_url: str, redis_server: RedisServer, stub: OpenAIStub, tmp_path: Path
) -> None:
    values = pipeline_settings(
        database_url=pg_url,
        queue_backend="redis",
        redis_url=redis_server.url,
        queue_name="faults",
        openai_base_url=stub.base_url,
        openai_timeout_s=30.0,  # the hang must outlast the kill, not end in a timeout
        openai_max_retries=0,
    )
    settings = configure(**values)
    store = open_store(pg_url)
    seed_account(store)
    stub.enqueue(replies.hang(60))
    recording_id = upload_tone(store, settings, tmp_path / "calls", 0)

    first = WorkerProcess(worker_env(values), tmp_path / "worker-1.log")
    try:
        wait_until(
            lambda: (
                bool(stub.requests)
                and jobs_of(store, recording_id)["analyze"].status.value == "running"
            ),
            30,
            "the analysis to be in flight",
        )
        assert first.alive, first.output()
    finally:
        code = first.stop(signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert transcripts_of(store, recording_id) == 1
    assert notes_of(store, recording_id) == []  # nothing half-written
    assert jobs_of(store, recording_id)["analyze"].status.value == "running"  # orphaned

    killed_at = time.monotonic()
    second = WorkerProcess(worker_env(values), tmp_path / "worker-2.log")
    try:
        wait_until(lambda: is_finished(store, recording_id), 30, "the recovered analysis")
        recovered_after = time.monotonic() - killed_at
    finally:
        second.stop()
    assert_exactly_once(store, recording_id)
    analyze = jobs_of(store, recording_id)["analyze"]
    assert analyze.attempts == 2
    assert analyze.details.get("reclaimed_from")  # taken over from the dead worker
    assert all(jobs_of(store, recording_id)[s].attempts == 1 for s in STEPS[:-1])
    assert len(stub.requests) == 1 + QUESTIONS  # the hung request, then one full analysis
    # Recovery waits for the last heartbeat to go stale, not much longer.
    assert settings.job_stale_s - 1.0 <= recovered_after < settings.job_stale_s + 10


def test_a_slow_analysis_keeps_its_heartbeat(db_url: str, stub: OpenAIStub, tmp_path: Path) -> None:
    settings = configure(
        **pipeline_settings(
            database_url=db_url,
            openai_base_url=stub.base_url,
            openai_timeout_s=20.0,
            openai_max_retries=0,
            job_stale_s=1.0,
            job_heartbeat_s=0.2,
        )
    )
    store = open_store(db_url)
    seed_account(store)
    recording_id = upload_tone(store, settings, tmp_path / "calls", 0)
    for step in STEPS[:-1]:
        assert pipeline.run_step(settings, recording_id, step) == "done"

    stub.enqueue(replies.hang(3.0))  # the first question takes 3 s, three times job_stale_s
    outcome: list[str] = []
    runner = threading.Thread(
        target=lambda: outcome.append(pipeline.run_step(settings, recording_id, "analyze"))
    )
    runner.start()
    try:
        assert stub.wait_for_requests(1, timeout=10)
        time.sleep(2 * settings.job_stale_s)
        # A sweep now must see a live job, not a dead worker's.
        assert recover(settings) == 0
    finally:
        runner.join(timeout=30)
    assert outcome == ["done"]
    assert_exactly_once(store, recording_id)
    assert jobs_of(store, recording_id)["analyze"].attempts == 1

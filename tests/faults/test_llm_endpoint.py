"""Fault tests: the OpenAI-compatible chat endpoint misbehaves during the ``analyze`` step.

The endpoint is :class:`tests.faults.openai_stub.OpenAIStub` on loopback,
reached through the real ``openai`` backend (``langchain-openai`` and the
``openai`` client). The pipeline runs in this process with the fake
transcriber on SQLite, step by step through :func:`agent.calls.pipeline.run_step`,
so an exception escaping the worker fails the test directly. Timers:
``openai_timeout_s=2``, ``openai_max_retries=1`` (the backend's retries, all
within 2 x 2 s), ``structured_max_retries=1`` (re-asks). An endpoint that
fails the request (no answer, 5xx) costs a question 2 requests and is not
re-asked; a rate limit or a bad answer is re-asked, so at most 2 x 2.

Every case ends with exactly one note for the recording: ``pending_review``
when a retry got a valid answer, ``failed`` with the reason otherwise.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.calls import pipeline
from agent.calls.jobs import STEPS
from agent.crm.db import Store, open_store
from agent.jobs.worker import embedded_worker
from agent.settings import Settings, configure
from tests.faults import openai_stub as replies
from tests.faults.harness import (
    assert_exactly_once,
    is_finished,
    notes_of,
    pipeline_settings,
    seed_account,
    upload_tone,
    wait_until,
)
from tests.faults.openai_stub import OpenAIStub

pytestmark = pytest.mark.allow_network_model  # the stub is a model endpoint on loopback

TIMEOUT_S = 2.0
#: Requests one question may cost: (client retries + 1) x (re-asks + 1).
MAX_REQUESTS_PER_QUESTION = 2 * 2
#: Requests when the endpoint fails the request: client retries + 1, no re-ask.
ENDPOINT_FAILURE_REQUESTS = 2
#: Questions of the decomposed analysis when the outcome is "follow_up".
QUESTIONS = 4


@dataclass
class Harness:
    settings: Settings
    store: Store
    stub: OpenAIStub
    folder: Path
    uploads: int = 0

    def analyse(self) -> tuple[str, float]:
        """Upload one call, run every step; return its id and the analyze step's seconds."""
        recording_id = upload_tone(self.store, self.settings, self.folder, self.uploads)
        self.uploads += 1
        for step in STEPS[:-1]:
            assert pipeline.run_step(self.settings, recording_id, step) == "done", step
        started = time.monotonic()
        outcome = pipeline.run_step(self.settings, recording_id, "analyze")
        elapsed = time.monotonic() - started
        assert outcome == "done"  # a model fault is a result (a note), not a step failure
        return recording_id, elapsed


@pytest.fixture
def harness(stub: OpenAIStub, sqlite_url: str, tmp_path: Path) -> Harness:
    settings = configure(
        **pipeline_settings(
            database_url=sqlite_url,
            openai_base_url=stub.base_url,
            openai_timeout_s=TIMEOUT_S,
        )
    )
    store = open_store(sqlite_url)
    seed_account(store)
    return Harness(settings, store, stub, tmp_path / "calls")


# --- transient faults: retried, then a normal draft ----------------------------------


@pytest.mark.slow
def test_rate_limit_is_retried_after_retry_after(harness: Harness) -> None:
    # Three 429s: the client retries the first after Retry-After, gives up on the
    # second (max_retries=1), the analysis re-asks - also only after Retry-After.
    harness.stub.enqueue(*[replies.rate_limited(retry_after=1)] * 3)
    recording_id, _ = harness.analyse()
    assert_exactly_once(harness.store, recording_id)
    assert [r.kind for r in harness.stub.requests[:4]] == ["status"] * 3 + ["valid"]
    gaps = harness.stub.gaps()[:3]
    assert all(gap >= 0.95 for gap in gaps), gaps  # Retry-After: 1 honoured every time
    assert len(harness.stub.requests) == 3 + QUESTIONS


def test_server_errors_are_retried(harness: Harness) -> None:
    # The backend retries server errors itself; the analysis does not re-ask after one,
    # so two 500s in a row need two retries.
    harness.settings = harness.settings.model_copy(update={"openai_max_retries": 2})
    harness.stub.enqueue(replies.server_error(), replies.server_error())
    recording_id, _ = harness.analyse()
    note = assert_exactly_once(harness.store, recording_id)
    assert note.summary
    assert len(harness.stub.requests) == 2 + QUESTIONS


@pytest.mark.slow
def test_a_hang_is_cut_at_the_timeout_and_retried(harness: Harness) -> None:
    harness.stub.enqueue(replies.hang(30))
    recording_id, _ = harness.analyse()
    assert_exactly_once(harness.store, recording_id)
    first_gap = harness.stub.gaps()[0]
    assert TIMEOUT_S - 0.1 <= first_gap < TIMEOUT_S + 1.5, first_gap


def test_one_invalid_answer_is_repaired_by_a_re_ask(harness: Harness) -> None:
    harness.stub.enqueue(replies.unknown_codes())
    recording_id, _ = harness.analyse()
    assert_exactly_once(harness.store, recording_id)
    second = str(harness.stub.requests[1].body["messages"])
    assert "Invalid answer" in second and "maybe_later" in second  # the error went back


# --- persistent faults: bounded retries, then a failed note with the reason -----------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fault", "reason", "max_s", "requests"),
    [
        (replies.server_error(), "answered HTTP 500", 6.0, ENDPOINT_FAILURE_REQUESTS),
        (replies.rate_limited(retry_after=1), "rate limiting (HTTP 429)", 8.0, 2 * 2),
        # A dead endpoint gives up within twice the timeout (plus a generous margin).
        (
            replies.hang(30),
            f"did not answer within {TIMEOUT_S:g} s",
            2 * TIMEOUT_S + 2.0,
            ENDPOINT_FAILURE_REQUESTS,
        ),
    ],
    ids=["500", "429", "hang"],
)
def test_an_endpoint_that_keeps_failing_gives_a_failed_note(
    harness: Harness, fault: replies.Reply, reason: str, max_s: float, requests: int
) -> None:
    harness.stub.default = fault
    recording_id, elapsed = harness.analyse()
    note = assert_exactly_once(harness.store, recording_id, note_status="failed")
    assert reason in (note.failure_reason or ""), note.failure_reason
    assert "after 2 attempts" in (note.failure_reason or "")
    assert len(harness.stub.requests) == requests <= MAX_REQUESTS_PER_QUESTION  # then stop
    assert elapsed < max_s
    # A duplicate message for the step changes nothing.
    assert pipeline.run_step(harness.settings, recording_id, "analyze") == "skipped"
    assert len(notes_of(harness.store, recording_id)) == 1


@pytest.mark.parametrize(
    ("fault", "reason", "fed_back"),
    [
        (replies.not_json(), "Expecting", True),
        (replies.unknown_codes(), "validation error", True),
        (replies.refusal_text(), "Expecting value", True),
        (replies.refusal(), "refused to answer: I'm sorry", False),
        (replies.cut_at_length(), "cut off at the token limit", False),
    ],
    ids=["invalid-json", "unknown-codes", "refusal-text", "refusal-field", "cut-at-length"],
)
def test_bad_answers_are_re_asked_then_the_note_fails_with_the_reason(
    harness: Harness, fault: replies.Reply, reason: str, fed_back: bool
) -> None:
    harness.stub.default = fault
    recording_id, _ = harness.analyse()
    note = assert_exactly_once(harness.store, recording_id, note_status="failed")
    assert reason in (note.failure_reason or ""), note.failure_reason
    assert len(harness.stub.requests) == 2  # one answer and one re-ask, no more
    assert ("Invalid answer" in str(harness.stub.requests[1].body["messages"])) is fed_back
    if fault.kind == "text":  # what the model said is kept for the reviewer
        assert fault.content[:20] in note.analysis.get("last_output", "")


# --- the queue worker ---------------------------------------------------------------


@pytest.mark.slow
def test_the_queue_worker_survives_a_mix_of_faults(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.stub.enqueue(
        replies.rate_limited(retry_after=1),
        replies.server_error(),
        replies.not_json(),
        replies.refusal(),
        replies.hang(30),
        replies.unknown_codes(),
        replies.cut_at_length(),
        *[replies.not_json()] * 4,
    )
    ids = [upload_tone(harness.store, harness.settings, harness.folder, i) for i in range(3)]
    with caplog.at_level(logging.WARNING), embedded_worker(harness.settings, workers=2):
        wait_until(
            lambda: all(is_finished(harness.store, r) for r in ids), 60, "three analysed calls"
        )
    for recording_id in ids:
        notes = notes_of(harness.store, recording_id)
        assert len(notes) == 1
        assert_exactly_once(harness.store, recording_id, note_status=notes[0].status.value)
    escaped = [r for r in caplog.records if r.name.startswith("huey") and r.levelno >= 40]
    assert escaped == [], [r.getMessage() for r in escaped]

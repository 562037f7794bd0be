"""The queue's order: a brief a rep asks for never waits behind call steps (SQLite, Redis).

The queue is real (Huey on SQLite, Huey on Redis); nothing runs the tasks:
the test takes messages off the queue the way a free worker does and looks
at which comes first.
"""

from __future__ import annotations

import pytest

from agent.brief.jobs import PRIORITY, TASK_NAME, enqueue_brief_job
from agent.calls.pipeline import enqueue_step
from agent.jobs.queue import forget_queues, get_queue
from agent.settings import Settings, configure
from tests.calls.conftest import redis_queue  # noqa: F401 - fixture


def next_messages(settings: Settings, count: int) -> list[tuple[str, str]]:
    """``(task name, argument)`` of the next ``count`` messages a free worker takes."""
    huey = get_queue(settings)
    taken = []
    for _ in range(count):
        task = huey.dequeue()
        assert task is not None, "the queue ran dry early"
        taken.append((type(task).__name__, str(task.args[0])))
    return taken


def brief_jumps_the_queue(settings: Settings) -> None:
    get_queue(settings).flush()
    enqueue_step(settings, "transcribe", "rec-1")
    enqueue_step(settings, "analyze", "rec-2")
    enqueue_step(settings, "decode", "rec-3")
    enqueue_brief_job(settings, "brief-1", priority=PRIORITY)  # a rep asked for it
    enqueue_brief_job(settings, "brief-2")  # the next of a lane: in turn
    taken = next_messages(settings, 5)
    assert taken[0] == (TASK_NAME, "brief-1")
    # The call steps and the lane's next brief keep their first-in, first-out order.
    assert [argument for _, argument in taken[1:]] == ["rec-1", "rec-2", "rec-3", "brief-2"]


def test_a_brief_is_taken_before_waiting_call_steps_on_sqlite(settings: Settings) -> None:
    assert settings.queue_backend == "sqlite"
    brief_jumps_the_queue(settings)


@pytest.mark.redis
def test_a_brief_is_taken_before_waiting_call_steps_on_redis(redis_queue: str) -> None:  # noqa: F811
    forget_queues()
    settings = configure()
    assert settings.queue_backend == "redis" and settings.queue_name == redis_queue
    try:
        brief_jumps_the_queue(settings)
    finally:
        forget_queues()

"""The queue carries the tasks of the registered kinds and knows none of them itself."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import pytest

from agent.crm.db import Store
from agent.errors import ConfigError
from agent.jobs import registry, runner
from agent.jobs.queue import PING_TASK, forget_queues, get_queue, queued_work, send, task_for
from agent.settings import Settings, get_settings


@pytest.fixture
def settings(store: Store) -> Settings:
    """The settings in effect for the test (database set by ``store``)."""
    return get_settings()


class Unused:
    """A kind whose jobs never run here: the test only sends its messages."""

    def __init__(self, task_name: str) -> None:
        self.task_name = task_name
        self.label = task_name
        self.title = task_name
        self.log = logging.getLogger(__name__)

    def lost(
        self, store: Any, queued: set[tuple[str, str]], *, stale_s: float, now: datetime
    ) -> list[str]:
        return []


#: One object per name: registering the same kind again changes nothing.
LATE = Unused("winback_test_late")


def test_a_kind_registered_after_the_queue_was_made_is_added(settings: Settings) -> None:
    forget_queues()
    try:
        huey = get_queue(settings)
        assert task_for(huey, PING_TASK) is not None  # the queue's own no-op task
        runner.register(LATE)  # type: ignore[arg-type]
        send(settings, "winback_test_late", "row-1")
        assert ("winback_test_late", "row-1") in queued_work(settings)
    finally:
        get_queue(settings).flush()
        forget_queues()


def test_an_unknown_task_name_names_the_known_ones(settings: Settings) -> None:
    runner.register(LATE)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="winback_nobody.*known: .*winback_test_late"):
        send(settings, "winback_nobody", "row-1")


def test_two_kinds_cannot_share_a_task_name() -> None:
    runner.register(Unused("winback_test_twice"))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="winback_test_twice"):
        runner.register(Unused("winback_test_twice"))  # type: ignore[arg-type]
    assert registry.entry("winback_test_twice").kind.task_name == "winback_test_twice"

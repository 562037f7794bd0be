"""Fixtures of the fault tests: the scripted chat server, a private Redis, a fresh PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.jobs.queue import forget_queues
from tests.conftest import pg_database
from tests.faults.openai_stub import OpenAIStub
from tests.faults.redis_server import RedisServer


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    """The scripted OpenAI-compatible chat server on a loopback port."""
    with OpenAIStub() as server:
        yield server


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server (not the shared 6379): restarting it loses every message."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_admin: str) -> Iterator[str]:
    """A fresh PostgreSQL database (skipped without a server, except in CI)."""
    with pg_database(pg_admin) as url:
        yield url


@pytest.fixture(autouse=True)
def _clean_pipeline() -> Iterator[None]:
    """No cached queue leaks from one fault test into the next."""
    yield
    forget_queues()

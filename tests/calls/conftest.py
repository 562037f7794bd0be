"""Fixtures for the call pipeline: a tenant with an account, consent, queue settings."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.crm.db import Store, get_or_create_tenant
from agent.crm.models import Account
from agent.settings import Settings, get_settings

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def account(store: Store) -> str:
    """External id of an account of the default tenant."""
    with store.session() as session:
        tenant = get_or_create_tenant(session, "default")
        session.add(Account(tenant_id=tenant.id, external_id="K-1001", name="Bäckerei Huber"))
    return "K-1001"


@pytest.fixture
def consent() -> dict[str, Any]:
    """A valid consent record (given an hour ago)."""
    return {
        "given_by": "Herr Huber",
        "method": "verbal_at_call_start",
        "given_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "text_version": "de-2025.1",
    }


@pytest.fixture
def settings(store: Store) -> Settings:
    """The settings in effect for the test (database set by ``store``)."""
    return get_settings()


def redis_available() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"Redis not reachable at {REDIS_URL}: {exc}"


@pytest.fixture
def redis_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A Redis queue under a queue name (key prefix) of its own, flushed afterwards."""
    reason = redis_available()
    if reason:
        pytest.skip(reason)
    name = f"wbtest_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("WINBACK_QUEUE_BACKEND", "redis")
    monkeypatch.setenv("WINBACK_QUEUE_NAME", name)
    monkeypatch.setenv("WINBACK_REDIS_URL", REDIS_URL)
    yield name
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"*{name}*"):
        client.delete(key)


def stored_files(settings: Settings) -> list[Path]:
    root = settings.audio_path
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []

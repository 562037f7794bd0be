"""``winback doctor``: a table or JSON, exit status 1 on any failure, never a traceback."""

from __future__ import annotations

import json

import pytest

from agent.crm.db import open_store
from tests.conftest import Cli


@pytest.fixture
def fake_models(monkeypatch: pytest.MonkeyPatch) -> None:
    for role in ("CHAT", "EMBEDDINGS", "TRANSCRIBER"):
        monkeypatch.setenv(f"WINBACK_{role}_BACKEND", "fake")


def test_healthy_embedded_setup(sqlite_url: str, fake_models: None, cli: Cli) -> None:
    open_store(sqlite_url)
    code, out, err = cli(["doctor", "--db", sqlite_url])
    assert code == 0, out + err
    assert "All checks passed" in out and "database" in out


def test_broken_setup_fails_with_hints(
    sqlite_url: str,
    fake_models: None,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WINBACK_QUEUE_BACKEND", "redis")
    monkeypatch.setenv("WINBACK_REDIS_URL", "redis://127.0.0.1:1/0")
    pg = "postgresql://postgres@127.0.0.1:1/winback"
    code, out, err = cli(["doctor", "--json", "--db", pg])
    assert code == 1 and "Traceback" not in out + err
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    assert (
        checks["database"]["status"] == "fail" and "database server" in checks["database"]["hint"]
    )
    assert checks["queue"]["status"] == "fail" and "Redis" in checks["queue"]["hint"]

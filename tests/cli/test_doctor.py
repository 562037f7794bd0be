"""``winback doctor``: a table or JSON, exit status 1 on any failure, never a traceback."""

from __future__ import annotations

import json

import pytest

from agent.cli import main
from agent.crm.db import open_store


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def fake_models(monkeypatch: pytest.MonkeyPatch) -> None:
    for role in ("CHAT", "EMBEDDINGS", "TRANSCRIBER"):
        monkeypatch.setenv(f"WINBACK_{role}_BACKEND", "fake")


def test_healthy_embedded_setup(
    sqlite_url: str, fake_models: None, capsys: pytest.CaptureFixture[str]
) -> None:
    open_store(sqlite_url)
    code, out, err = run(["doctor", "--db", sqlite_url], capsys)
    assert code == 0, out + err
    assert "All checks passed" in out and "database" in out


def test_broken_setup_fails_with_hints(
    sqlite_url: str,
    fake_models: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WINBACK_QUEUE_BACKEND", "redis")
    monkeypatch.setenv("WINBACK_REDIS_URL", "redis://127.0.0.1:1/0")
    pg = "postgresql://postgres@127.0.0.1:1/winback"
    code, out, err = run(["doctor", "--json", "--db", pg], capsys)
    assert code == 1 and "Traceback" not in out + err
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    assert (
        checks["database"]["status"] == "fail" and "database server" in checks["database"]["hint"]
    )
    assert checks["queue"]["status"] == "fail" and "Redis" in checks["queue"]["hint"]

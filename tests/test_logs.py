"""Structured logs: JSON lines with request and job ids, one access line per request."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.calls import pipeline
from agent.calls.intake import upload_recording
from agent.crm.db import Store, open_store
from agent.jobs.queue import forget_queues
from agent.logs import (
    configure_cli_logging,
    configure_logging,
    current_context,
    log_context,
)
from agent.settings import Settings, configure
from api.app import create_app
from api.deps import forget_principals
from tests.api.world import World, build_world
from tests.calls import conftest as calls_fixtures
from tests.calls import media

log = logging.getLogger("tests.logs")

# The account and consent fixtures of the pipeline tests, reused here.
account = calls_fixtures.account
consent = calls_fixtures.consent


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def json_lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    """Every line written, parsed (a line that is not JSON fails the test)."""
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def capture(settings: Settings, role: str = "service") -> io.StringIO:
    buffer = io.StringIO()
    configure_logging(settings, role, stream=buffer)  # type: ignore[arg-type]
    return buffer


# --- formatters and context ------------------------------------------------------


def test_json_lines_carry_time_level_logger_message_and_context() -> None:
    buffer = capture(configure(log_format="json"))
    with log_context(job_id=7, recording_id="r-1"):
        log.info("step %s done", "decode", extra={"duration_ms": 12.5})
        try:
            raise ValueError("kaputt")
        except ValueError:
            log.exception("it broke")
    log.warning("outside")
    first, second, third = json_lines(buffer)
    assert first["level"] == "INFO" and first["logger"] == "tests.logs"
    assert first["message"] == "step decode done" and first["duration_ms"] == 12.5
    assert (first["job_id"], first["recording_id"]) == (7, "r-1")
    assert first["time"].endswith("Z") and "T" in first["time"]
    assert second["level"] == "ERROR" and "ValueError: kaputt" in second["exception"]
    assert "job_id" not in third and current_context() == {}


def test_text_lines_append_the_context_and_levels_filter() -> None:
    buffer = capture(configure(log_format="text", log_level="warning"))
    log.info("hidden")
    with log_context(request_id="abc"):
        log.warning("shown")
    text = buffer.getvalue()
    assert "hidden" not in text
    assert "WARNING tests.logs: shown [request_id=abc]" in text


def test_cli_logging_follows_the_settings_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WINBACK_LOG_FORMAT", "json")
    monkeypatch.setenv("WINBACK_LOG_LEVEL", "info")
    configure_cli_logging()
    log.info("from the cli")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["message"] == "from the cli" and line["level"] == "INFO"


def test_cli_logging_survives_broken_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WINBACK_LOG_FORMAT", "xml")
    configure_cli_logging()  # falls back to text; the command reports the bad setting
    log.warning("still logging")
    assert "WARNING tests.logs: still logging" in capsys.readouterr().err


# --- API requests ----------------------------------------------------------------------


@pytest.fixture
def api(sqlite_url: str) -> Iterator[tuple[TestClient, World, Settings]]:
    settings = configure(
        database_url=sqlite_url,
        chat_backend="fake",
        embeddings_backend="fake",
        transcriber_backend="fake",
        log_format="json",
    )
    world = build_world(open_store(settings.db_url))
    forget_principals()
    forget_queues()
    app = create_app(settings)

    @app.get("/test/log-inside")
    def log_inside() -> dict[str, str]:  # a sync route: runs in the threadpool
        log.warning("inside the request")
        return {"ok": "yes"}

    with TestClient(app) as client:
        yield client, world, settings


def test_request_lines_carry_the_request_id_and_the_access_line_the_user(
    api: tuple[TestClient, World, Settings],
) -> None:
    client, world, settings = api
    buffer = capture(settings)
    token = world.tokens["rep1"]
    response = client.get(
        "/test/log-inside",
        headers={"X-Request-ID": "req-42.a", "Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200 and response.headers["X-Request-ID"] == "req-42.a"
    note = client.get(
        "/api/notes/999999", headers={"Authorization": f"Bearer {token}", "Cookie": "x=y"}
    )
    assert note.status_code == 404
    lines = json_lines(buffer)
    inside = next(line for line in lines if line["message"] == "inside the request")
    assert inside["request_id"] == "req-42.a" and inside["level"] == "WARNING"
    access = [line for line in lines if line["logger"] == "winback.http"]
    assert [a["route"] for a in access] == ["/test/log-inside", "/api/notes/{note_id}"]
    first, second = access
    assert first["request_id"] == "req-42.a" and first["status"] == 200
    assert first["method"] == "GET" and isinstance(first["duration_ms"], float)
    assert second["user_id"] == world.users["rep1"] and second["status"] == 404
    assert second["request_id"] == note.headers["X-Request-ID"] != "req-42.a"
    text = buffer.getvalue()
    assert token not in text and "x=y" not in text and "Cookie" not in text


@pytest.mark.parametrize("given", ["x" * 65, "two words", "<script>", "-leading-dash"])
def test_an_unsafe_incoming_request_id_is_replaced(
    api: tuple[TestClient, World, Settings], given: str
) -> None:
    client, _, settings = api
    buffer = capture(settings)
    response = client.get("/healthz", headers={"X-Request-ID": given})
    issued = response.headers["X-Request-ID"]
    assert issued != given and len(issued) == 32
    assert given not in buffer.getvalue()


def test_probe_requests_log_at_debug_only(api: tuple[TestClient, World, Settings]) -> None:
    client, _, settings = api
    buffer = capture(settings)
    client.get("/healthz")
    client.get("/readyz")
    assert not [line for line in json_lines(buffer) if line["logger"] == "winback.http"]


# --- pipeline steps ----------------------------------------------------------------------


def test_pipeline_step_lines_carry_the_job_and_recording_id(
    store: Store, account: str, consent: dict[str, Any], tmp_path: Path
) -> None:
    settings = configure(
        database_url=store.engine.url.render_as_string(hide_password=False),
        transcriber_backend="fake",
        log_format="json",
    )
    path = media.write_audio(tmp_path / "call.wav", media.tone(1.0, channels=2))
    with path.open("rb") as fh:
        recording = upload_recording(store, settings, account, fh, consent)
    buffer = capture(settings)
    assert pipeline.run_step(settings, recording.id, "decode") == "done"
    assert pipeline.run_step(settings, recording.id, "decode") == "skipped"
    lines = [line for line in json_lines(buffer) if line["logger"] == "agent.calls.pipeline"]
    assert len(lines) == 1, lines  # a skipped duplicate writes nothing
    (line,) = lines
    assert line["recording_id"] == recording.id and line["step"] == "decode"
    assert isinstance(line["job_id"], int) and line["attempt"] == 1
    assert line["message"].startswith("step decode done in ")
    assert current_context() == {}

"""Prometheus metrics: HTTP by route template, queue depth, job durations, model usage."""

from __future__ import annotations

import re
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from agent.audio_store import get_audio_store
from agent.calls import pipeline
from agent.calls.intake import upload_recording
from agent.crm.db import Store, open_store
from agent.crm.models import CallRecording
from agent.jobs.queue import forget_queues
from agent.llm.usage import Usage, UsageLog, usage_log
from agent.metrics import bind_metrics_server, start_metrics_server
from agent.settings import Settings, configure
from api.app import create_app
from api.deps import forget_principals
from tests.api.world import World, build_world
from tests.calls import conftest as calls_fixtures
from tests.calls import media
from tests.conftest import Cli

# The account and consent fixtures of the pipeline tests, reused here.
account = calls_fixtures.account
consent = calls_fixtures.consent


def sample(name: str, **labels: str) -> float:
    """The current value of one sample in the process registry (0 when not there yet)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scraped(text: str, name: str, **labels: str) -> float | None:
    """The value of sample ``name`` with ``labels`` in an exposition text."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_client(db_url: str, *, world: bool = True, **overrides: Any) -> tuple[TestClient, World]:
    """A test client of the app on ``db_url`` (with the two-tenant world, unless told not to)."""
    values = {"chat_backend": "fake", "embeddings_backend": "fake", "transcriber_backend": "fake"}
    settings = configure(database_url=db_url, **{**values, **overrides})
    seeded = build_world(open_store(settings.db_url)) if world else World()
    forget_principals()
    forget_queues()
    # A scrape from this machine: without a metrics_token only those may read the metrics.
    local = TestClient(create_app(settings), base_url="http://127.0.0.1:8000",
                       client=("127.0.0.1", 50000))  # fmt: skip
    return local, seeded


@pytest.fixture
def api(sqlite_url: str) -> Iterator[tuple[TestClient, World]]:
    client, world = make_client(sqlite_url)
    with client:
        yield client, world


# --- HTTP ----------------------------------------------------------------------------


def test_request_counter_is_labelled_by_route_template(api: tuple[TestClient, World]) -> None:
    client, world = api
    auth = {"Authorization": f"Bearer {world.tokens['rep1']}"}
    labels = {"method": "GET", "route": "/api/notes/{note_id}", "status": "404"}
    before = scraped(client.get("/metrics").text, "winback_http_requests_total", **labels) or 0
    for note_id in (910001, 910002, 910003):
        assert client.get(f"/api/notes/{note_id}", headers=auth).status_code == 404
    text = client.get("/metrics").text
    assert scraped(text, "winback_http_requests_total", **labels) == before + 3
    assert scraped(text, "winback_http_request_duration_seconds_count", **labels) == before + 3
    assert not re.search(r'="[^"]*91000\d', text)  # raw paths never become label values
    client.get("/no/such/page/910004")
    assert scraped(client.get("/metrics").text, "winback_http_requests_total", route="<unmatched>")


def test_metrics_token_is_required_when_set(sqlite_url: str) -> None:
    client, _ = make_client(sqlite_url, metrics_token="scrape-me-please")
    with client:
        refused = client.get("/metrics")
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
        assert "winback_" not in refused.text
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-me-please"})
        assert ok.status_code == 200 and "winback_http_requests_total" in ok.text


def test_metrics_can_be_switched_off(sqlite_url: str) -> None:
    client, _ = make_client(sqlite_url, metrics_enabled=False)
    with client:
        assert client.get("/metrics", headers={"Accept": "application/json"}).status_code == 404


# --- pipeline: queue depth and job durations ----------------------------------------------


@pytest.fixture
def fake_settings(store: Store, account: str) -> Settings:
    return configure(
        database_url=store.engine.url.render_as_string(hide_password=False),
        transcriber_backend="fake",
    )


def upload(store: Store, settings: Settings, tmp_path: Path, consent: dict[str, Any]) -> str:
    path = media.write_audio(tmp_path / "call.wav", media.tone(2.0, channels=2))
    with path.open("rb") as fh:
        return upload_recording(store, settings, "K-1001", fh, consent).id


def test_steps_observe_durations_and_the_queue_depth_follows(
    store: Store, fake_settings: Settings, consent: dict[str, Any], tmp_path: Path
) -> None:
    client, _ = make_client(fake_settings.db_url, world=False)
    recording_id = upload(store, fake_settings, tmp_path, consent)
    done = {"step": "decode", "result": "done"}
    count_before = sample("winback_job_duration_seconds_count", **done)
    whisper_before = sample(
        "winback_model_latency_seconds_count", model="fake", kind="transcription"
    )
    with client:
        text = client.get("/metrics").text
        assert scraped(text, "winback_queue_jobs", step="decode", status="pending") == 1
        assert scraped(text, "winback_queue_jobs", step="analyze", status="pending") == 1
        for step in ("decode", "transcribe"):
            assert pipeline.run_step(fake_settings, recording_id, step) == "done"
        text = client.get("/metrics").text
        assert scraped(text, "winback_queue_jobs", step="decode", status="pending") == 0
        assert scraped(text, "winback_queue_jobs", step="store", status="pending") == 1
    assert sample("winback_job_duration_seconds_count", **done) == count_before + 1
    assert sample("winback_job_duration_seconds_sum", **done) > 0
    assert (
        sample("winback_model_latency_seconds_count", model="fake", kind="transcription")
        == whisper_before + 1
    )
    # A duplicate message is skipped and observes nothing.
    assert pipeline.run_step(fake_settings, recording_id, "decode") == "skipped"
    assert sample("winback_job_duration_seconds_count", **done) == count_before + 1


def test_a_failed_step_is_observed_as_failed(
    store: Store, fake_settings: Settings, consent: dict[str, Any], tmp_path: Path
) -> None:
    recording_id = upload(store, fake_settings, tmp_path, consent)
    with store.session() as session:
        key = session.get(CallRecording, recording_id).storage_key  # type: ignore[union-attr]
    # The stored file rots after upload: decoding fails for good.
    get_audio_store(fake_settings).path(key).write_bytes(b"\x00garbage" * 100)
    failed = {"step": "decode", "result": "failed"}
    before = sample("winback_job_duration_seconds_count", **failed)
    assert pipeline.run_step(fake_settings, recording_id, "decode") == "failed"
    assert sample("winback_job_duration_seconds_count", **failed) == before + 1
    # The failed recording's later steps stay pending in the table but are not queue depth.
    client, _ = make_client(fake_settings.db_url, world=False)
    with client:
        text = client.get("/metrics").text
    assert scraped(text, "winback_queue_jobs", step="transcribe", status="pending") == 0


# --- model usage --------------------------------------------------------------------------


def test_recorded_chat_usage_feeds_latency_and_token_metrics() -> None:
    labels = {"model": "test-model-x"}
    prompt = sample("winback_model_tokens_total", kind="prompt", **labels)
    completion = sample("winback_model_tokens_total", kind="completion", **labels)
    calls = sample("winback_model_latency_seconds_count", kind="chat", **labels)
    usage_log.record(Usage("test-model-x", prompt_tokens=120, completion_tokens=30, latency_s=1.5))
    UsageLog().record(Usage("test-model-x", prompt_tokens=999))  # private logs are not metrics
    assert sample("winback_model_tokens_total", kind="prompt", **labels) == prompt + 120
    assert sample("winback_model_tokens_total", kind="completion", **labels) == completion + 30
    assert sample("winback_model_latency_seconds_count", kind="chat", **labels) == calls + 1


# --- the worker's own endpoint --------------------------------------------------------------


def test_worker_metrics_server_refuses_without_the_token(sqlite_url: str) -> None:
    settings = configure(database_url=sqlite_url, metrics_token="worker-token")
    open_store(settings.db_url)
    server = bind_metrics_server(settings, free_port(), host="127.0.0.1")
    start_metrics_server(server)
    url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=5)
        assert refused.value.code == 401
        request = urllib.request.Request(url, headers={"Authorization": "Bearer worker-token"})
        with urllib.request.urlopen(request, timeout=5) as response:
            text = response.read().decode()
        assert response.status == 200
        assert scraped(text, "winback_queue_jobs", step="decode", status="pending") == 0
        assert scraped(text, "winback_queue_depth_up") == 1
    finally:
        server.shutdown()
        server.server_close()


def test_worker_refuses_a_taken_metrics_port(sqlite_url: str, cli: Cli) -> None:
    configure(database_url=sqlite_url)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = cli(["worker", "--metrics-port", str(port)])
    assert code == 78
    assert f"Cannot serve metrics on 127.0.0.1:{port}" in err

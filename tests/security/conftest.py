"""Fixtures of the attack tests: the two-tenant world, an ASGI driver and a real uvicorn server."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from agent.clock import ManualClock
from agent.crm.db import open_store
from agent.jobs.queue import forget_queues
from agent.settings import Settings
from api.app import create_app
from api.deps import forget_principals
from api.planning import forget_plans
from tests.api.conftest import make_settings
from tests.api.world import World, build_world


@pytest.fixture
def app_settings(sqlite_url: str) -> Settings:
    """The API test settings on SQLite (tests of HTTP behaviour, not of the database)."""
    return make_settings(sqlite_url)


@pytest.fixture
def world(app_settings: Settings) -> World:
    forget_plans()
    forget_principals()
    forget_queues()
    return build_world(open_store(app_settings.db_url))


@pytest.fixture
def client(app_settings: Settings, world: World, clock: ManualClock) -> Iterator[TestClient]:
    """The app on a manual clock: no login-limit window ends in the middle of a test."""
    with TestClient(create_app(app_settings, clock)) as test_client:
        yield test_client
    forget_queues()


@dataclass
class Exchange:
    """What an app answered to one request driven at the ASGI level."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: Request body bytes the app pulled through ``receive`` before it answered.
    pulled: int = 0


def drive(
    app: FastAPI,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body_bytes: int = 0,
    chunk: int = 64 * 1024,
) -> Exchange:
    """Send a request with a body of ``body_bytes`` zeros, produced chunk by chunk on demand.

    The body is never held whole by the test: each ``receive`` call hands out
    one chunk, and :attr:`Exchange.pulled` tells how much of it the app read.
    That is how a test sees whether the app buffers a body it should refuse.
    """
    out = Exchange()
    piece = b"0" * chunk
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": raw, "client": ("203.0.113.9", 40000),
        "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        remaining = body_bytes - out.pulled
        if remaining <= 0:
            await done.wait()  # the app waits for a disconnect only after answering
            return {"type": "http.disconnect"}
        size = min(chunk, remaining)
        out.pulled += size
        return {"type": "http.request", "body": piece[:size], "more_body": out.pulled < body_bytes}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out.status = message["status"]
            out.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            out.body += message.get("body", b"")
            if not message.get("more_body"):
                done.set()

    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    return out


@dataclass
class LiveServer:
    """A real uvicorn server on a loopback port, configured like ``winback serve``."""

    host: str
    port: int

    def raw(self, request: bytes, *, read_timeout: float = 5.0) -> bytes:
        """Send raw bytes and return what the server answers until it closes or goes quiet."""
        with socket.create_connection((self.host, self.port), timeout=read_timeout) as sock:
            sock.sendall(request)
            answer = b""
            try:
                while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
                    data = sock.recv(65536)
                    if not data:
                        break
                    answer += data
            except TimeoutError:
                pass
            return answer


@pytest.fixture
def live_server(client: TestClient, app_settings: Settings) -> Iterator[LiveServer]:
    """The app of ``client`` behind a real uvicorn server with ``winback serve``'s options."""
    import uvicorn

    from agent.cli.serve import uvicorn_options

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    options = uvicorn_options(app_settings, host="127.0.0.1", port=sock.getsockname()[1])
    # The TestClient already ran the app's start-up; the server must not run it twice.
    server = uvicorn.Server(uvicorn.Config(client.app, lifespan="off", **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield LiveServer("127.0.0.1", sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

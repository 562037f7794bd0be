"""Request bodies are capped before parsing and before login (the 300 MB PATCH of the probe).

An unauthenticated ``PATCH /api/notes/{id}`` with a 300 MB JSON body raised the
server's memory from 268 MB to 1.1 GB before the 401: FastAPI reads and
buffers a JSON body before it resolves the route's dependencies. Every route
but the upload now gets at most ``max_body_mb`` (default 1 MB): a declared
larger body is refused with 413 without reading a byte, an undeclared
(chunked) one as soon as it passes the cap. The tests drive the app at the
ASGI level with a body produced chunk by chunk, so they see how much of it
the app pulled, and once through a real uvicorn server.
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

from fastapi.testclient import TestClient

from agent.settings import Settings
from api.app import create_app
from tests.api.conftest import bearer
from tests.api.world import World
from tests.security.conftest import LiveServer, drive

JFK = Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "jfk.flac"
MB = 1_000_000


def test_declared_large_body_is_413_before_login_and_never_read(
    client: TestClient, world: World
) -> None:
    note = world.objects["rep1"].note
    answer = drive(
        client.app,  # type: ignore[arg-type]
        "PATCH",
        f"/api/notes/{note}",
        headers={"Content-Type": "application/json", "Content-Length": str(8 * MB)},
        body_bytes=8 * MB,
    )
    assert answer.status == 413, answer.body  # not 401: refused before authentication
    assert answer.pulled == 0  # not one byte of the body was read
    assert b"1 MB" in answer.body and answer.headers["content-type"].startswith("application/json")


def test_streamed_body_is_cut_off_at_the_cap_with_flat_memory(
    client: TestClient, world: World
) -> None:
    note = world.objects["rep1"].note
    tracemalloc.start()
    try:
        answer = drive(
            client.app,  # type: ignore[arg-type]
            "PATCH",
            f"/api/notes/{note}",
            headers={"Content-Type": "application/json"},  # no Content-Length: chunked
            body_bytes=32 * MB,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status == 413, answer.body
    assert answer.pulled <= 1 * MB + 64 * 1024  # stopped at the cap plus one chunk
    assert peak < 4 * MB, f"peak {peak / MB:.1f} MB while 32 MB were offered"


def test_cap_is_a_setting_and_small_bodies_pass(app_settings: Settings, world: World) -> None:
    settings = app_settings.model_copy(update={"max_body_mb": 0.01})
    note = world.objects["rep1"].note
    with TestClient(create_app(settings)) as client:
        big = client.patch(
            f"/api/notes/{note}", headers=bearer(world, "rep1"),
            json={"summary": "x" * 20_000},
        )  # fmt: skip
        assert big.status_code == 413 and "0.01 MB" in big.json()["detail"]
        small = client.patch(
            f"/api/notes/{note}", headers=bearer(world, "rep1"), json={"summary": "Kurz."}
        )
        assert small.status_code == 200, small.text


def test_the_upload_is_exempt_and_keeps_its_own_limit(client: TestClient, world: World) -> None:
    assert JFK.stat().st_size > 1 * MB  # larger than the cap of every other route
    response = client.post(
        f"/api/accounts/{world.objects['rep1'].account}/recordings",
        params={"given_by": "Frau Huber", "method": "written",
                "given_at": "2026-11-20T10:00:00+01:00", "text_version": "v1"},
        content=JFK.read_bytes(),
        headers={**bearer(world, "rep1"), "Content-Type": "audio/flac"},
    )  # fmt: skip
    assert response.status_code == 202, response.text


def test_real_server_refuses_a_declared_300_mb_body_at_once(
    live_server: LiveServer, world: World
) -> None:
    note = world.objects["rep1"].note
    head = (
        f"PATCH /api/notes/{note} HTTP/1.1\r\nHost: winback.test\r\n"
        "Content-Type: application/json\r\nContent-Length: 300000000\r\n\r\n"
    )
    started = time.monotonic()
    answer = live_server.raw(head.encode() + b'{"summary": "' + b"x" * 4096, read_timeout=3)
    elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert elapsed < 2.5  # answered without waiting for the 300 MB

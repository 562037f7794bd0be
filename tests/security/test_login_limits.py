"""Login limits that lock out no one else, proxies only when trusted, shared counters.

The probe found that five failed logins a minute from anyone locked a user
out everywhere, that ``X-Forwarded-For`` was believed from any loopback peer
(so a client behind a local proxy, or on the machine, picked its own address
for every guess), that two web processes without Redis counted separately,
and that failed uploads used up the upload allowance.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from agent.clock import ManualClock
from agent.settings import Settings
from api.app import create_app
from tests.api.conftest import bearer
from tests.api.world import PASSWORD, World
from tests.calls import media
from tests.security.conftest import LiveServer

SMALL = {
    "login_limit_per_ip": 10,
    "login_limit_per_username": 3,
    "login_limit_per_username_hour": 4,
    "login_limit_global_per_hour": 6,
}


def limited(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(update={**SMALL, **overrides})


def from_address(app: FastAPI, ip: str, **kwargs: Any) -> TestClient:
    """A client whose TCP peer address is ``ip``."""
    return TestClient(app, client=(ip, 40000), **kwargs)


def login(client: Any, username: str, password: str = "wrong password", **headers: str) -> Any:
    return client.post(
        "/login",
        data={"tenant": "acme", "username": username, "password": password},
        headers=headers,
        follow_redirects=False,
    )


def test_one_attacker_cannot_lock_a_user_out_elsewhere(
    app_settings: Settings, world: World, clock: ManualClock
) -> None:
    app = create_app(limited(app_settings), clock)
    attacker = from_address(app, "203.0.113.66")
    statuses = [login(attacker, "rep1").status_code for _ in range(30)]
    assert statuses[:3] == [401] * 3 and set(statuses[3:]) == {429}
    # The attacker's refused guesses count nowhere else: the user logs in from the office.
    office = from_address(app, "198.51.100.20")
    assert login(office, "rep1", PASSWORD).status_code == 303
    assert login(office, "rep1").status_code == 401  # and has their own allowance for typos


def test_distributed_guessing_meets_the_slower_global_backoff(
    app_settings: Settings, world: World, clock: ManualClock
) -> None:
    app = create_app(limited(app_settings), clock)
    bots = (from_address(app, f"203.0.113.{n}") for n in itertools.count(1))
    statuses = [login(next(bots), "rep2").status_code for _ in range(7)]
    assert statuses == [401] * 6 + [429]  # 6 failures an hour for one user, from anywhere
    refused = login(from_address(app, "198.51.100.20"), "rep2", PASSWORD)
    wait = int(refused.headers["Retry-After"])
    assert refused.status_code == 429 and 1 <= wait <= 3600  # until the hour's window ends
    assert ("Minuten" in refused.text) == (wait > 120)
    assert login(from_address(app, "198.51.100.20"), "rep1", PASSWORD).status_code == 303


def test_the_global_limit_must_be_out_of_one_clients_reach(app_settings: Settings) -> None:
    with pytest.raises(ValidationError, match="login_limit_global_per_hour"):
        Settings(**{**SMALL, "login_limit_global_per_hour": 4})


def test_ipv6_clients_count_by_their_64_network(
    app_settings: Settings, world: World, clock: ManualClock
) -> None:
    app = create_app(limited(app_settings, login_limit_per_ip=3), clock)
    statuses = [
        login(from_address(app, f"2001:db8:1:2::{n:x}"), f"guess{n}").status_code
        for n in range(1, 6)
    ]
    assert statuses == [401, 401, 401, 429, 429]  # one host may hold a whole /64


def test_forwarded_for_is_ignored_without_trusted_proxies(
    app_settings: Settings, world: World, clock: ManualClock
) -> None:
    app = create_app(limited(app_settings, login_limit_per_ip=3), clock)
    local = from_address(app, "127.0.0.1")
    statuses = [
        login(local, f"guess{n}", **{"X-Forwarded-For": f"192.0.2.{n}"}).status_code
        for n in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]  # the peer's address counts, not the header


def test_a_trusted_proxy_supplies_the_client_address_and_scheme(
    app_settings: Settings, world: World, clock: ManualClock
) -> None:
    app = create_app(limited(app_settings, trusted_proxies=["10.0.0.2"]), clock)
    proxy = from_address(app, "10.0.0.2")
    behind = [
        login(proxy, "rep1", **{"X-Forwarded-For": f"192.0.2.{n}"}).status_code for n in range(5)
    ]
    assert behind == [401] * 5  # five clients behind the proxy, one failure each
    https = {"X-Forwarded-For": "192.0.2.50", "X-Forwarded-Proto": "https"}
    ok = login(proxy, "boss", PASSWORD, **https)
    assert ok.status_code == 303 and "secure" in ok.headers["set-cookie"].lower()
    assert ok.headers["strict-transport-security"].startswith("max-age=")
    # The same headers from a peer that is not the proxy change nothing.
    spoofer = from_address(app, "10.0.0.3")
    plain = login(spoofer, "boss", PASSWORD, **https)
    assert "secure" not in plain.headers["set-cookie"].lower()
    assert "strict-transport-security" not in plain.headers
    assert [login(spoofer, "root", **{"X-Forwarded-For": "192.0.2.9"}).status_code
            for _ in range(4)] == [401, 401, 401, 429]  # fmt: skip


def test_trusted_proxies_accepts_a_list_or_commas_and_refuses_nonsense() -> None:
    assert Settings(trusted_proxies="10.0.0.2, 192.168.0.0/24").trusted_proxies == [
        "10.0.0.2", "192.168.0.0/24",
    ]  # fmt: skip
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings(trusted_proxies=["proxy.example.com"])


def test_real_server_does_not_trust_forwarded_for_from_loopback(
    live_server: LiveServer, world: World
) -> None:
    # The live server runs with the default limits: 10 failed logins a minute per address.
    # Twelve password checks (scrypt, slow on purpose) on a shared two-core machine: the
    # client waits longer than httpx's 5 s default for one answer, so load is not a failure.
    base_url = f"http://{live_server.host}:{live_server.port}"
    with httpx.Client(base_url=base_url, timeout=30.0) as http:
        statuses = [
            login(http, f"guess{n}", **{"X-Forwarded-For": f"192.0.2.{n}"}).status_code
            for n in range(12)
        ]
    assert statuses == [401] * 10 + [429] * 2


def test_counters_are_shared_by_web_processes_without_redis(
    app_settings: Settings, world: World, clock: ManualClock
) -> None:
    settings = limited(app_settings)
    assert settings.queue_backend == "sqlite"
    web1 = from_address(create_app(settings, clock), "203.0.113.5")
    web2 = from_address(create_app(settings, clock), "203.0.113.5")
    assert [login(web1, "rep1").status_code for _ in range(3)] == [401] * 3
    assert login(web2, "rep1").status_code == 429


@pytest.fixture
def distinct_calls(tmp_path: Path) -> Iterator[bytes]:
    """Valid, distinct recordings (no two the same content)."""

    def calls() -> Iterator[bytes]:
        for n in itertools.count():
            path = media.write_audio(tmp_path / f"c{n}.wav", media.tone(1.0, freq=300.0 + 7 * n))
            yield path.read_bytes()

    return calls()


def test_failed_uploads_do_not_count_toward_the_upload_limit(
    app_settings: Settings, world: World, distinct_calls: Iterator[bytes], clock: ManualClock
) -> None:
    app = create_app(app_settings.model_copy(update={"upload_limit_per_hour": 2}), clock)
    client = TestClient(app)
    url = f"/api/accounts/{world.objects['rep1'].account}/recordings"
    consent = {"given_by": "Frau Huber", "method": "written",
               "given_at": "2026-11-20T10:00:00+01:00", "text_version": "v1"}  # fmt: skip

    def upload(body: bytes, **params: str) -> int:
        headers = {**bearer(world, "rep1"), "Content-Type": "audio/wav"}
        response = client.post(url, params={**consent, **params}, content=body, headers=headers)
        return response.status_code

    assert [upload(b"not audio at all") for _ in range(4)] == [415] * 4
    assert upload(b"\0" * 3_000_000) == 413
    assert upload(next(distinct_calls), given_at="yesterday") == 422
    first = next(distinct_calls)
    assert upload(first) == 202
    assert upload(first) == 200  # the same recording again: nothing new, not counted
    assert upload(next(distinct_calls)) == 202
    assert upload(next(distinct_calls)) == 429  # only the two accepted recordings counted

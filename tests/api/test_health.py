"""Liveness and readiness: no login needed, real dependencies, 503 with reasons, no secrets."""

from __future__ import annotations

import socket

from fastapi.testclient import TestClient
from pydantic import SecretStr

from agent.settings import Settings
from api.services.health import readiness, redact
from tests.api.conftest import bearer
from tests.api.world import World

SCRAPER = SecretStr("scrape-token-for-tests")


def closed_port() -> int:
    """A loopback port nobody listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def use(client: TestClient, settings: Settings) -> None:
    """Point the running app at ``settings`` (a dependency that went away after start)."""
    client.app.state.settings = settings  # type: ignore[attr-defined]


def test_healthz_answers_without_login_or_dependencies(
    client: TestClient, api_settings: Settings
) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    dead = f"postgresql://winback:pw@127.0.0.1:{closed_port()}/winback"
    use(client, api_settings.model_copy(update={"database_url": dead}))
    response = client.get("/healthz")
    assert response.status_code == 200 and response.headers["X-Request-ID"]


def test_readyz_reports_every_check_when_ready(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["status"] == "ok" and "failing" not in report
    names = [c["name"] for c in report["checks"]]
    # Chroma is checked only when a server is configured; the embedded store is just files.
    assert names == ["database", "queue", "audio store"]
    assert all(c["status"] in ("ok", "warn") for c in report["checks"])


def test_readyz_is_503_when_the_database_is_unreachable(
    client: TestClient, api_settings: Settings
) -> None:
    dead = f"postgresql://winback:s3cret-pw@127.0.0.1:{closed_port()}/winback"
    # The details are for the scraper's token (or an admin); the database is down, so a
    # user could not even be looked up.
    use(client, api_settings.model_copy(update={"database_url": dead, "metrics_token": SCRAPER}))
    response = client.get(
        "/readyz", headers={"Authorization": f"Bearer {SCRAPER.get_secret_value()}"}
    )
    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "fail"
    assert [f["name"] for f in report["failing"]] == ["database"]
    assert "127.0.0.1" in report["failing"][0]["reason"]
    assert "s3cret-pw" not in response.text


def test_readyz_is_503_when_redis_is_down(
    client: TestClient, api_settings: Settings, world: World
) -> None:
    redis_url = f"redis://:hunter2-redis@127.0.0.1:{closed_port()}/0"
    use(client, api_settings.model_copy(update={"queue_backend": "redis", "redis_url": redis_url}))
    response = client.get("/readyz", headers=bearer(world, "root"))  # an admin sees the reasons
    assert response.status_code == 503
    failing = response.json()["failing"]
    assert [f["name"] for f in failing] == ["queue"]
    assert "redis" in failing[0]["reason"] and "***" in failing[0]["reason"]
    assert "hunter2-redis" not in response.text


def test_readyz_checks_a_configured_chroma_server(
    client: TestClient, api_settings: Settings
) -> None:
    chroma = f"http://admin:chroma-pw@127.0.0.1:{closed_port()}"
    use(client, api_settings.model_copy(update={"chroma_url": chroma}))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert [f["name"] for f in response.json()["failing"]] == ["chroma"]
    assert "chroma-pw" not in response.text


def test_readiness_with_everything_down_fails_each_check_once(api_settings: Settings) -> None:
    settings = api_settings.model_copy(
        update={
            "database_url": f"postgresql://u:p4ss@127.0.0.1:{closed_port()}/x",
            "queue_backend": "redis",
            "redis_url": f"redis://127.0.0.1:{closed_port()}/0",
        }
    )
    ready, report = readiness(settings)
    assert not ready
    assert {f["name"] for f in report["failing"]} == {"database", "queue"}
    assert all(c["ms"] >= 0 for c in report["checks"])


def test_redact_masks_url_passwords_and_configured_secrets(api_settings: Settings) -> None:
    settings = api_settings.model_copy(update={"redis_url": "redis://:topsecret@10.0.0.5:6379/0"})
    text = "failed: redis://:topsecret@10.0.0.5:6379/0 said topsecret; pg://bob:pw9@db/x"
    cleaned = redact(text, settings)
    assert "topsecret" not in cleaned and "pw9" not in cleaned
    assert "redis://:***@10.0.0.5:6379/0" in cleaned and "pg://bob:***@db/x" in cleaned

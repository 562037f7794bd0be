"""Headers and leaks: HSTS, the server banner, caching of personal data, /readyz and /metrics.

The probe found a ``server: uvicorn`` banner, no HSTS over HTTPS, JSON with
personal data that caches and proxies were free to keep, filesystem paths in
the unauthenticated ``/readyz`` and ``/metrics`` open to anyone whenever no
token was configured, whatever address the app listened on.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from pydantic import SecretStr

from agent.settings import Settings
from api.app import create_app
from tests.api.conftest import bearer
from tests.api.world import World
from tests.security.conftest import LiveServer

LOCAL = {"base_url": "http://127.0.0.1:8000", "client": ("127.0.0.1", 50000)}


def test_real_server_sends_no_server_banner(live_server: LiveServer) -> None:
    answer = live_server.raw(b"GET /healthz HTTP/1.1\r\nHost: winback.test\r\n\r\n")
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 200"), answer[:200]
    assert b"\r\nserver:" not in head


def test_hsts_only_over_https(app_settings: Settings, world: World) -> None:
    app = create_app(app_settings)
    with TestClient(app, base_url="https://winback.test") as https:
        sts = https.get("/login").headers.get("strict-transport-security", "")
        assert sts.startswith("max-age=") and int(sts.split("=")[1].split(";")[0]) >= 31_536_000
    with TestClient(app, base_url="http://winback.test") as http:
        # Over plain HTTP the header means nothing to a browser and only confuses a test setup;
        # a client's own X-Forwarded-Proto changes nothing unless it came through a trusted proxy.
        plain = http.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in plain.headers


def test_responses_with_personal_data_are_not_stored(client: TestClient, world: World) -> None:
    rep1 = world.objects["rep1"]
    auth = bearer(world, "rep1")
    for path in (
        "/api/me",
        "/api/accounts",
        f"/api/accounts/{rep1.account}",
        f"/api/notes/{rep1.note}",
        f"/api/recordings/{rep1.recording}/transcript",
        "/api/tasks",
    ):
        response = client.get(path, headers=auth)
        assert response.status_code == 200, (path, response.text)
        assert response.headers.get("cache-control") == "no-store", path
    refused = client.get(f"/api/notes/{world.objects['rep2'].note}", headers=auth)
    assert refused.status_code == 403 and refused.headers["cache-control"] == "no-store"
    # Static assets hold no personal data: browsers may cache them.
    assert "no-store" not in client.get("/static/app.css").headers.get("cache-control", "")


def test_readyz_shows_paths_only_to_admins_and_the_scraper(
    app_settings: Settings, world: World
) -> None:
    settings = app_settings.model_copy(update={"metrics_token": SecretStr("scrape-token-123")})
    data_dir = str(settings.data_dir)
    with TestClient(create_app(settings)) as client:
        anonymous = client.get("/readyz")
        assert anonymous.status_code == 200
        assert data_dir not in anonymous.text and "/" not in anonymous.text.replace("\\/", "")
        assert [c["name"] for c in anonymous.json()["checks"]] == [
            "database", "queue", "audio store",
        ]  # fmt: skip
        for headers in (bearer(world, "rep1"), bearer(world, "boss")):
            assert data_dir not in client.get("/readyz", headers=headers).text
        for headers in (bearer(world, "root"), {"Authorization": "Bearer scrape-token-123"}):
            full = client.get("/readyz", headers=headers)
            assert full.status_code == 200 and data_dir in full.text, headers


def test_readyz_names_failing_checks_without_reasons_to_anyone(
    app_settings: Settings, world: World
) -> None:
    dead = "postgresql://winback@127.0.0.1:1/winback"
    with TestClient(create_app(app_settings)) as client:
        client.app.state.settings = app_settings.model_copy(update={"database_url": dead})  # type: ignore[attr-defined]
        anonymous = client.get("/readyz")
        assert anonymous.status_code == 503
        assert anonymous.json()["failing"] == [{"name": "database"}]
        assert "127.0.0.1" not in anonymous.text


def test_metrics_without_a_token_answer_only_local_scrapes(
    app_settings: Settings, world: World
) -> None:
    assert app_settings.metrics_token is None
    app = create_app(app_settings)
    with TestClient(app, **LOCAL) as local:  # type: ignore[arg-type]
        assert local.get("/metrics").status_code == 200
        # A request relayed by a proxy on this machine is not local, whoever sent it.
        relayed = local.get("/metrics", headers={"X-Forwarded-For": "198.51.100.7"})
        assert relayed.status_code == 403 and "metrics_token" in relayed.text
    with TestClient(app, base_url="http://10.0.0.5:8000", client=("10.0.0.9", 40000)) as remote:
        refused = remote.get("/metrics")
        assert refused.status_code == 403 and "winback_" not in refused.text
        assert "WINBACK_METRICS_TOKEN" in refused.text


def test_metrics_token_is_required_from_everywhere_once_set(
    app_settings: Settings, world: World
) -> None:
    app = create_app(
        app_settings.model_copy(update={"metrics_token": SecretStr("scrape-token-123")})
    )
    with TestClient(app, **LOCAL) as local:  # type: ignore[arg-type]
        assert local.get("/metrics").status_code == 401
        ok = local.get("/metrics", headers={"Authorization": "Bearer scrape-token-123"})
        assert ok.status_code == 200 and "winback_http_requests_total" in ok.text


def test_worker_metrics_server_follows_the_same_rule(app_settings: Settings) -> None:
    import urllib.error
    import urllib.request

    from agent.crm.db import open_store
    from agent.metrics import bind_metrics_server, start_metrics_server

    # Migrate first: the scrape reads the queue depth, and a first scrape that creates the
    # schema in a fresh process took longer than the timeout on CI.
    open_store(app_settings.db_url)
    server = bind_metrics_server(app_settings, 0, host="127.0.0.1")
    start_metrics_server(server)
    url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=30) as local:
            assert local.status == 200
        relayed = urllib.request.Request(url, headers={"X-Forwarded-For": "198.51.100.7"})
        try:
            urllib.request.urlopen(relayed, timeout=30)
            raise AssertionError("a relayed scrape without a token was answered")
        except urllib.error.HTTPError as refused:
            assert refused.code == 403 and b"metrics_token" in refused.read()
    finally:
        server.shutdown()
        server.server_close()

"""Login, session cookies, CSRF, API tokens, logout, ``/api/me``."""

from __future__ import annotations

from fastapi.testclient import TestClient

from agent.auth import set_password, verify_password
from agent.crm.db import open_store
from agent.settings import Settings
from api.deps import forget_principals
from tests.api.conftest import bearer, login
from tests.api.world import PASSWORD, World


def test_unauthenticated_api_is_401_and_pages_redirect(client: TestClient) -> None:
    r = client.get("/api/accounts")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    r = client.get("/today", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_login_sets_a_hardened_cookie(client: TestClient) -> None:
    r = client.post(
        "/login",
        data={"tenant": "acme", "username": "rep1", "password": PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 303
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "secure" not in cookie  # plain http in tests
    assert client.get("/api/me").json()["username"] == "rep1"


def test_secure_flag_on_https(api_settings: Settings, world: World) -> None:
    from api.app import create_app

    with TestClient(create_app(api_settings), base_url="https://testserver") as c:
        r = c.post(
            "/login",
            data={"tenant": "acme", "username": "rep1", "password": PASSWORD},
            follow_redirects=False,
        )
        assert "secure" in r.headers["set-cookie"].lower()


def test_wrong_password_and_unknown_user_look_the_same(client: TestClient) -> None:
    a = client.post("/login", data={"tenant": "acme", "username": "rep1", "password": "wrong!!!"})
    b = client.post("/login", data={"tenant": "acme", "username": "nobody", "password": "x"})
    c = client.post("/login", data={"tenant": "nope", "username": "rep1", "password": PASSWORD})
    assert a.status_code == b.status_code == c.status_code == 401
    assert "winback_session" not in client.cookies


def test_login_from_another_site_is_refused(client: TestClient) -> None:
    r = client.post(
        "/login",
        data={"tenant": "acme", "username": "rep1", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert r.status_code == 403


def test_open_redirect_is_prevented(client: TestClient) -> None:
    r = client.post(
        "/login",
        data={
            "tenant": "acme",
            "username": "rep1",
            "password": PASSWORD,
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_cookie_api_changes_need_the_csrf_token(client: TestClient, world: World) -> None:
    csrf = login(client, "rep1")
    task = world.objects["rep1"].task
    assert client.patch(f"/api/tasks/{task}", json={"status": "done"}).status_code == 403
    bad = client.patch(f"/api/tasks/{task}", json={"status": "done"}, headers={"X-CSRF-Token": "x"})
    assert bad.status_code == 403
    ok = client.patch(f"/api/tasks/{task}", json={"status": "done"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200 and ok.json()["status"] == "done"


def test_forms_need_the_csrf_token(client: TestClient, world: World) -> None:
    csrf = login(client, "boss")
    note = world.objects["rep1"].note
    r = client.post(f"/notes/{note}/reject", data={"reason": "falsch"}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post(
        f"/notes/{note}/reject", data={"reason": "falsch", "csrf": csrf}, follow_redirects=False
    )
    assert r.status_code == 303


def test_forged_or_tampered_cookie_is_ignored(client: TestClient) -> None:
    login(client, "rep1")
    value = client.cookies["winback_session"]
    client.cookies.clear()
    forget_principals()
    forged = ("B" if value[0] != "B" else "C") + value[1:]
    for bad in (forged, "1.1.9999999999.abc.def", "x" * 500):
        client.cookies.set("winback_session", bad)
        assert client.get("/api/me").status_code == 401
    client.cookies.clear()
    client.cookies.set("winback_session", value)
    assert client.get("/api/me").status_code == 200


def test_password_change_ends_sessions(client: TestClient, api_settings: Settings) -> None:
    login(client, "rep1")
    assert client.get("/api/me").status_code == 200
    set_password(open_store(api_settings.db_url), "acme", "rep1", "a new password")
    forget_principals()  # users are cached for PRINCIPAL_TTL_S seconds
    assert client.get("/api/me").status_code == 401


def test_logout(client: TestClient) -> None:
    csrf = login(client, "rep1")
    r = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/me").status_code == 401


def test_bearer_tokens(client: TestClient, world: World) -> None:
    r = client.get("/api/me", headers=bearer(world, "boss"))
    assert r.json()["role"] == "manager" and r.json()["csrf_token"] is None
    assert client.get("/api/me", headers={"Authorization": "Bearer wbt_nope"}).status_code == 401
    # Bearer requests carry no ambient authority: no CSRF token needed.
    task = world.objects["rep1"].task
    r = client.patch(f"/api/tasks/{task}", json={"status": "done"}, headers=bearer(world, "rep1"))
    assert r.status_code == 200


def test_tokens_are_hashed_at_rest(api_settings: Settings, world: World) -> None:
    from sqlalchemy import select

    from agent.crm.models import ApiToken

    with open_store(api_settings.db_url).session() as session:
        stored = set(session.scalars(select(ApiToken.token_hash)))
    assert not set(world.tokens.values()) & stored
    assert all(len(h) == 64 for h in stored)


def test_password_hashing() -> None:
    from agent.auth import hash_password

    hashed = hash_password("geheim123")
    assert hashed.startswith("scrypt$") and "geheim123" not in hashed
    assert verify_password("geheim123", hashed)
    assert not verify_password("geheim124", hashed)
    assert not verify_password("x", "garbage")


def test_security_headers(client: TestClient) -> None:
    r = client.get("/login")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in r.text.replace('<script src="/static/app.js" defer></script>', "")
    assert r.headers["x-frame-options"] == "DENY"

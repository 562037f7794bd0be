"""Sessions and API tokens can be ended: logout, password change, deactivation, "everywhere".

Each test keeps a copy of a session cookie (or token) and shows that the
server refuses it once the session was ended, even from another client that
never saw the logout.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from agent.auth import create_token, set_password
from agent.clock import ManualClock
from agent.crm.db import open_store
from agent.crm.models import ApiToken, UserSession
from agent.errors import NotFoundError
from agent.settings import Settings
from api.app import create_app
from api.deps import PRINCIPAL_TTL_S, forget_principals
from api.security import COOKIE_NAME
from tests.api.conftest import bearer, login
from tests.api.world import World
from tests.conftest import Cli


def stolen(settings: Settings, cookie: str) -> TestClient:
    """A second client (as another web process would be) that holds a copy of ``cookie``."""
    other = TestClient(create_app(settings))
    other.cookies.set(COOKIE_NAME, cookie)
    return other


def test_logout_ends_the_session_on_the_server(client: TestClient, app_settings: Settings) -> None:
    csrf = login(client, "rep1")
    cookie = client.cookies[COOKIE_NAME]
    assert stolen(app_settings, cookie).get("/api/me").status_code == 200
    assert client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    # The copied cookie is dead at once, in this process and in any other one.
    assert stolen(app_settings, cookie).get("/api/me").status_code == 401
    client.cookies.set(COOKIE_NAME, cookie)
    assert client.get("/api/me").status_code == 401


def test_the_database_holds_only_a_hash_of_the_session(
    client: TestClient, app_settings: Settings
) -> None:
    login(client, "rep1")
    cookie = client.cookies[COOKIE_NAME]
    with open_store(app_settings.db_url).session() as session:
        rows = session.scalars(select(UserSession)).all()
    assert len(rows) == 1 and cookie not in rows[0].token_hash and len(rows[0].token_hash) == 64
    assert rows[0].expires_at is not None


def test_a_password_change_ends_every_session(client: TestClient, app_settings: Settings) -> None:
    login(client, "rep1")
    cookie = client.cookies[COOKIE_NAME]
    set_password(open_store(app_settings.db_url), "acme", "rep1", "ein neues passwort")
    forget_principals()  # what another process sees after PRINCIPAL_TTL_S at the latest
    assert stolen(app_settings, cookie).get("/api/me").status_code == 401


def test_deactivation_ends_sessions_and_tokens(
    client: TestClient, world: World, app_settings: Settings, cli: Cli
) -> None:
    login(client, "rep1")
    cookie = client.cookies[COOKIE_NAME]
    r = cli(["users", "deactivate", "rep1", "--db", app_settings.db_url,
             "--tenant", "acme"])  # fmt: skip
    assert r.code == 0, r.output
    assert "1 session" in r.output and "1 API token" in r.output
    forget_principals()  # the CLI is another process: PRINCIPAL_TTL_S at the latest
    fresh = stolen(app_settings, cookie)
    assert fresh.get("/api/me").status_code == 401
    assert fresh.get("/api/me", headers=bearer(world, "rep1")).status_code == 401
    # A deactivated user cannot log in again either.
    fresh.cookies.clear()
    r = fresh.post("/login", data={"tenant": "acme", "username": "rep1",
                                   "password": "correct horse battery"})  # fmt: skip
    assert r.status_code == 401


def test_sign_out_everywhere_from_the_users_page(
    client: TestClient, app_settings: Settings
) -> None:
    login(client, "rep1")
    laptop = TestClient(create_app(app_settings))
    login(laptop, "rep1")
    page = client.get("/me")
    assert page.status_code == 200
    assert page.text.count('class="session-row') == 2 and "Überall abmelden" in page.text
    csrf = client.get("/api/me").json()["csrf_token"]
    assert client.post("/me/sessions/end-all", follow_redirects=False).status_code == 403  # CSRF
    r = client.post("/me/sessions/end-all", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert laptop.get("/api/me").status_code == 401
    assert client.get("/api/me").status_code == 401


def test_ending_one_other_session_keeps_this_one(
    client: TestClient, app_settings: Settings
) -> None:
    login(client, "rep1")
    phone = TestClient(create_app(app_settings))
    login(phone, "rep1")
    sessions = client.get("/api/me/sessions").json()
    assert len(sessions) == 2 and sum(s["current"] for s in sessions) == 1
    other = next(s for s in sessions if not s["current"])
    csrf = client.get("/api/me").json()["csrf_token"]
    r = client.delete(f"/api/me/sessions/{other['id']}", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204
    assert phone.get("/api/me").status_code == 401
    assert client.get("/api/me").status_code == 200
    # Another user's session id is simply not found.
    boss = TestClient(create_app(app_settings))
    login(boss, "boss")
    mine = boss.get("/api/me/sessions").json()[0]["id"]
    r = client.delete(f"/api/me/sessions/{mine}", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 404 and boss.get("/api/me").status_code == 200


def test_sessions_and_revoke_token_on_the_command_line(
    client: TestClient, world: World, app_settings: Settings, cli: Cli
) -> None:
    login(client, "rep1")
    db = ["--db", app_settings.db_url, "--tenant", "acme"]
    r = cli(["users", "sessions", "rep1", *db])
    assert r.code == 0, r.output
    assert "testclient" in r.output and "tests" in r.output  # the session and the token
    r = cli(["users", "revoke-token", "rep1", "tests", *db])
    assert r.code == 0 and "Revoked 1" in r.output, r.output
    forget_principals()
    assert client.get("/api/me", headers=bearer(world, "rep1")).status_code == 401
    assert client.get("/api/me").status_code == 200  # the browser session is another matter
    r = cli(["users", "sessions", "rep1", "--end-all", *db])
    assert r.code == 0 and "Ended 1" in r.output, r.output
    forget_principals()
    assert client.get("/api/me").status_code == 401
    r = cli(["users", "revoke-token", "rep1", "no-such-token", *db])
    assert isinstance(r.exception, NotFoundError)  # exit code 4 through winback's main()


def test_a_session_ends_when_its_hours_are_over(
    client: TestClient, app_settings: Settings, clock: ManualClock
) -> None:
    login(client, "rep1")
    clock.advance(app_settings.session_hours * 3600 - 1)
    assert client.get("/api/me").status_code == 200
    clock.advance(PRINCIPAL_TTL_S)  # past the expiry, and past the cache of recently seen users
    assert client.get("/api/me").status_code == 401


def test_api_tokens_expire(
    client: TestClient, world: World, app_settings: Settings, cli: Cli
) -> None:
    store = open_store(app_settings.db_url)
    token = create_token(store, "acme", "rep2", "crm-sync", days=30)
    with store.session() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.name == "crm-sync"))
        assert row is not None and row.expires_at is not None
        left = row.expires_at.replace(tzinfo=row.expires_at.tzinfo or UTC) - datetime.now(UTC)
        assert timedelta(days=29) < left <= timedelta(days=30)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/me", headers=headers).status_code == 200
    with store.session() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.name == "crm-sync"))
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)  # type: ignore[union-attr]
    forget_principals()
    fresh = TestClient(create_app(app_settings))
    r = fresh.get("/api/me", headers=headers)
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    r = cli(["users", "token", "rep2", "--name", "x", "--days", "0",
             "--db", app_settings.db_url, "--tenant", "acme"])  # fmt: skip
    assert r.code != 0

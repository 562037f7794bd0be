"""The fast read paths (plan, account, note list): same answers, fresh after any change.

The three polled endpoints select columns instead of ORM objects and cache
what they can (api/planning.py, api/routes/notes.py). These tests pin the
answers to the plain ORM forms and check that a change made *outside* the
web app (another ``--workers`` process, a CLI command: here a second session
that never calls ``forget_plans``) shows up on the very next request, on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import sessionmaker

import api.planning as planning
from agent.analysis.notes import note_to_json
from agent.auth import principal_of
from agent.crm.db import Store, open_store
from agent.crm.models import Account, AccountStatus, CallNote, Tenant, User
from agent.settings import Settings
from api.app import create_app
from api.deps import SessionDep, forget_principals
from api.planning import forget_plans, plan_json
from api.services.accounts import account_detail
from tests import factories as make
from tests.api.conftest import bearer, make_settings
from tests.api.world import World

PLAN = "/api/plan?as_of=2026-11-03"


@pytest.fixture
def api_settings(db_url: str) -> Settings:
    """The API settings on SQLite and on PostgreSQL (``world`` and ``client`` follow them)."""
    return make_settings(db_url)


@pytest.fixture
def store(api_settings: Settings, world: World) -> Store:
    return open_store(api_settings.db_url)


def _orm_note_list(store: Store, username: str) -> list[dict[str, Any]]:
    """The note list as the plain ORM code builds it (note_to_json + account_id)."""
    with store.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        principal = principal_of(session, user)
        query = select(CallNote).where(CallNote.tenant_id == principal.tenant_id)
        if not principal.sees_team:
            query = query.join(Account, Account.id == CallNote.account_id).where(
                Account.owner_id == principal.user_id
            )
        out = []
        for note in session.scalars(query.order_by(CallNote.id.desc())):
            data = note_to_json(note, session.get(Account, note.account_id))
            data["account_id"] = note.account_id
            out.append(data)
        return out


@pytest.mark.parametrize("username", ["boss", "rep1", "rep2", "oboss"])
def test_note_list_is_the_orm_form(
    client: TestClient, world: World, store: Store, username: str
) -> None:
    expected = _orm_note_list(store, username)
    assert expected, "the world has notes for everyone"
    for _ in range(2):  # the second answer comes from the per-note cache
        r = client.get("/api/notes", headers=bearer(world, username))
        assert r.status_code == 200
        assert r.json() == expected


def test_note_list_sees_a_change_made_elsewhere(
    client: TestClient, world: World, store: Store
) -> None:
    note_id = world.objects["rep1"].note
    before = client.get("/api/notes", headers=bearer(world, "boss")).json()
    assert {n["id"]: n["summary"] for n in before}[note_id] != "Anders."
    with store.session() as session:  # like another process: no cache is told
        note = session.get(CallNote, note_id)
        assert note is not None
        note.summary = "Anders."
        note.analysis = {**note.analysis, "result": {**note.analysis["result"], "warnings": ["w"]}}
    after = client.get("/api/notes", headers=bearer(world, "boss")).json()
    changed = {n["id"]: n for n in after}[note_id]
    assert changed["summary"] == "Anders." and changed["warnings"] == ["w"]
    assert after == _orm_note_list(store, "boss")


def test_account_detail_is_the_page_form(client: TestClient, world: World, store: Store) -> None:
    account_id = world.objects["rep1"].account
    r = client.get(f"/api/accounts/{account_id}", headers=bearer(world, "boss"))
    assert r.status_code == 200
    with store.session() as session:
        account = session.get(Account, account_id)
        assert account is not None
        expected = orjson.loads(orjson.dumps(account_detail(session, account)))
    assert r.json() == expected
    assert expected["call_notes"] and expected["recordings"] and expected["tasks"]
    assert expected["briefs"] and expected["orders_by_year"] == [
        {"year": 2025, "orders": 1, "revenue": 1200.0}
    ]
    # The access rules of api/access.py: another rep's account 403, another tenant's 404.
    other = client.get(f"/api/accounts/{account_id}", headers=bearer(world, "rep2"))
    assert other.status_code == 403
    foreign = client.get(f"/api/accounts/{account_id}", headers=bearer(world, "oboss"))
    assert foreign.status_code == 404
    assert client.get("/api/accounts/2000000", headers=bearer(world, "boss")).status_code == 404


def _planned(client: TestClient, world: World, username: str) -> list[int]:
    r = client.get(PLAN, headers=bearer(world, username))
    assert r.status_code == 200, r.text
    return [c["account_id"] for c in r.json()["calls"]]


def test_plan_sees_changes_made_elsewhere(client: TestClient, world: World, store: Store) -> None:
    rep1, rep2 = world.objects["rep1"].account, world.objects["rep2"].account
    assert sorted(_planned(client, world, "boss")) == sorted([rep1, rep2])
    assert _planned(client, world, "rep1") == [rep1]
    with store.session() as session:  # written off elsewhere: no forget_plans()
        account = session.get(Account, rep1)
        assert account is not None
        account.status = AccountStatus.lost
    assert _planned(client, world, "boss") == [rep2]
    assert _planned(client, world, "rep1") == []
    with store.session() as session:  # back, and handed to rep2
        account = session.get(Account, rep1)
        assert account is not None
        account.status = AccountStatus.active
        account.owner_id = world.users["rep2"]
    assert sorted(_planned(client, world, "rep2")) == sorted([rep1, rep2])
    with store.session() as session:  # a new lapsed customer arrives with an import
        acme = session.get_one(Tenant, world.tenants["acme"])
        new = make.account(session, acme, "NEW1", name="Neu GmbH", owner_id=None)
        make.order(session, new, "ONEW1", date(2025, 2, 1), total_amount=900)
        new_id = new.id
    assert new_id in _planned(client, world, "boss")


def test_plan_is_built_once_per_data_version(
    client: TestClient, world: World, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[int] = []
    real = planning.build_plan

    def counting(*args: Any, **kwargs: Any) -> Any:
        builds.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(planning, "build_plan", counting)
    for username in ("boss", "rep1", "boss", "rep1", "root"):
        _planned(client, world, username)
    assert len(builds) == 1
    with store.session() as session:
        account = session.get(Account, world.objects["rep2"].account)
        assert account is not None
        account.relationship_ease = 5
    _planned(client, world, "boss")
    _planned(client, world, "boss")
    assert len(builds) == 2


def test_concurrent_misses_build_the_plan_once(
    world: World, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    forget_plans()
    builds: list[int] = []
    real = planning.build_plan
    started = threading.Event()

    def slow(*args: Any, **kwargs: Any) -> Any:
        builds.append(1)
        started.wait(0.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(planning, "build_plan", slow)
    results: list[bytes] = []

    def request() -> None:
        with store.session() as session:
            user = session.scalar(select(User).where(User.username == "boss"))
            assert user is not None
            results.append(plan_json(session, principal_of(session, user), date(2026, 11, 3)))

    threads = [threading.Thread(target=request) for _ in range(4)]
    for t in threads:
        t.start()
    started.set()
    for t in threads:
        t.join()
    assert len(builds) == 1 and len(results) == 4 and len(set(results)) == 1


def test_reads_on_the_loop_never_wait_for_the_app_pool(
    api_settings: Settings, world: World
) -> None:
    """A request served in a thread holds the pool's only connection: the note list still works.

    Regression: the reads on the event loop used the app's pool; when requests in
    threads held every connection, the loop waited for one, and those requests
    needed the loop to give theirs back - 30 s stalls and 500s under load.
    """
    if not api_settings.db_url.startswith("sqlite"):
        pytest.skip("reads run on the event loop only for SQLite")
    forget_principals()
    app = create_app(api_settings)
    engine = create_engine(api_settings.db_url, pool_size=1, max_overflow=0, pool_timeout=3)
    app.state.store = Store(engine=engine, factory=sessionmaker(engine, expire_on_commit=False))
    held, release = threading.Event(), threading.Event()

    @app.get("/test/hold")
    def hold(session: SessionDep) -> dict[str, int]:
        session.execute(text("SELECT 1"))  # checks out the pool's only connection
        held.set()
        release.wait(5)
        return {}

    answers: dict[str, int] = {}
    with TestClient(app) as client:
        client.get("/api/notes", headers=bearer(world, "boss"))  # the user is cached now
        holder = threading.Thread(
            target=lambda: answers.update(hold=client.get("/test/hold").status_code)
        )
        holder.start()
        assert held.wait(5)
        threading.Timer(0.5, release.set).start()
        started = time.monotonic()
        answers["notes"] = client.get("/api/notes", headers=bearer(world, "boss")).status_code
        elapsed = time.monotonic() - started
        holder.join(10)
    engine.dispose()
    assert answers == {"hold": 200, "notes": 200}
    assert elapsed < 2.5

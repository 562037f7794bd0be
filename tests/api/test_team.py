"""The works council view: team totals only, and a ``council`` role that sees nothing else.

Runs on SQLite and on PostgreSQL (``db_url``). The role matrix walks every
route of every router in ``api.routes`` and ``api.pages``, so a route added
later is covered without touching this file.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

import api.pages
import api.routes
from agent.auth import create_token, hash_password
from agent.crm.db import Store, open_store
from agent.crm.models import (
    Account,
    CallNote,
    CallOutcome,
    CallRecording,
    ChurnReason,
    ChurnReasonLabel,
    NoteStatus,
    Role,
    Tenant,
)
from api.app import create_app
from api.deps import forget_principals
from api.planning import forget_plans
from tests import factories as make
from tests.api.conftest import bearer, make_settings
from tests.api.world import PASSWORD, World, build_world

#: What a council member may use; every other authenticated route must answer 403.
COUNCIL_ALLOWED = {
    ("GET", "/"),
    ("GET", "/team"),
    ("GET", "/api/analytics/team"),
    ("GET", "/api/me"),
    ("POST", "/logout"),
}
#: The council member's own account: sessions ("sign out everywhere"). Any answer but 403
#: (ending session id 1, which is not theirs, is 404).
COUNCIL_OWN = {
    ("GET", "/me"),
    ("POST", "/me/sessions/end-all"),
    ("POST", "/me/sessions/{session_id}/end"),
    ("GET", "/api/me/sessions"),
    ("DELETE", "/api/me/sessions"),
    ("DELETE", "/api/me/sessions/{session_id}"),
}


def add_council(store: Store, world: World, tenant: str = "acme", username: str = "br") -> None:
    """A works council member ``br`` of ``tenant`` with password and API token."""
    with store.session() as session:
        owner = session.get_one(Tenant, world.tenants[tenant])
        user = make.user(session, owner, username, Role.council, name="Betriebsrat Berta",
                         password_hash=hash_password(PASSWORD))  # fmt: skip
        world.users[username] = user.id
    world.tokens[username] = create_token(store, tenant, username, "tests")


def add_history(store: Store, world: World) -> None:
    """Approve rep1's note (Nov 2026), add an approved manual note of rep2 (Oct 2026).

    Recordings get call dates, so the figures do not depend on today's date.
    The other tenant gets the same, which must never show up in acme's totals.
    """
    with store.session() as session:
        for row in session.scalars(select(CallRecording)):
            row.call_date = date(2026, 11, 20)
        for rep in ("rep1", "orep"):
            note = session.get(CallNote, world.objects[rep].note)
            assert note is not None
            note.status = NoteStatus.approved
            session.add(ChurnReasonLabel(tenant_id=note.tenant_id, account_id=note.account_id,
                                         call_note_id=note.id,
                                         code=ChurnReason.delivery_reliability))  # fmt: skip
        account = session.get(Account, world.objects["rep2"].account)
        assert account is not None
        manual = CallNote(tenant_id=account.tenant_id, account_id=account.id,
                          author_id=world.users["rep2"], call_date=date(2026, 10, 5),
                          status=NoteStatus.approved, outcome=CallOutcome.lost,
                          summary="Kein Bedarf mehr", sentiment="negative")  # fmt: skip
        session.add(manual)
        session.flush()
        label = ChurnReasonLabel(tenant_id=account.tenant_id, account_id=account.id,
                                 call_note_id=manual.id, code=ChurnReason.price_terms)  # fmt: skip
        session.add(label)


@pytest.fixture
def team_client(db_url: str) -> Iterator[tuple[TestClient, World]]:
    settings = make_settings(db_url)
    store = open_store(db_url)
    world = build_world(store)
    add_council(store, world)
    add_history(store, world)
    forget_plans()
    forget_principals()
    with TestClient(create_app(settings)) as client:
        yield client, world


# --- who may open it ---------------------------------------------------------------------


def test_team_view_for_managers_admins_and_council_only(
    team_client: tuple[TestClient, World],
) -> None:
    client, world = team_client
    for user, status in (("boss", 200), ("root", 200), ("br", 200), ("rep1", 403)):
        r = client.get("/api/analytics/team", headers=bearer(world, user))
        assert r.status_code == status, (user, r.text)
        page = client.get("/team", headers=bearer(world, user))
        assert page.status_code == status, user
    assert client.get("/api/analytics/team").status_code == 401


def all_routes() -> list[tuple[str, str]]:
    """(method, path) of every route in the routers of ``api.routes`` and ``api.pages``."""
    found: set[tuple[str, str]] = set()
    for package in (api.routes, api.pages):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            router = getattr(module, "router", None)
            for route in getattr(router, "routes", []):
                if isinstance(route, APIRoute):
                    found.update((method, route.path) for method in route.methods)
    return sorted(found)


def concrete(path: str, world: World) -> str:
    """Fill path parameters with ids of real objects (rep1's, in the council's tenant)."""
    o = world.objects["rep1"]
    values = {"account_id": o.account, "brief_id": o.brief, "note_id": o.note, "task_id": o.task,
              "recording_id": o.recording, "job_id": "0" * 32, "code": "en"}  # fmt: skip
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(values.get(m.group(1), 1)), path)


def test_council_gets_403_on_every_other_route(team_client: tuple[TestClient, World]) -> None:
    client, world = team_client
    checked = 0
    for method, path in all_routes():
        url = concrete(path, world)
        body: dict[str, Any] = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
        anonymous = client.request(method, url, follow_redirects=False, **body)
        if path.startswith("/api/"):
            needs_login = anonymous.status_code == 401
        else:  # pages send an anonymous visitor to the login form
            needs_login = anonymous.status_code == 303 and anonymous.headers["location"].startswith(
                "/login?"
            )
        if not needs_login:
            continue  # public: login form, language switch, health, metrics
        r = client.request(method, url, headers=bearer(world, "br"), follow_redirects=False,
                           **body)  # fmt: skip
        if (method, path) in COUNCIL_ALLOWED:
            assert r.status_code in (200, 303), (method, path, r.status_code)
        elif (method, path) in COUNCIL_OWN:
            assert r.status_code in (200, 204, 303, 404), (method, path, r.status_code)
        else:
            assert r.status_code == 403, (method, path, r.status_code, r.text[:200])
            checked += 1
    assert checked >= 30  # the walk really covered the app (accounts, notes, transcripts, ...)


def test_council_browser_session(team_client: tuple[TestClient, World]) -> None:
    client, _ = team_client
    r = client.post("/login", data={"tenant": "acme", "username": "br", "password": PASSWORD},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/team"
    assert client.get("/", follow_redirects=False).headers["location"] == "/team"
    page = client.get("/team")
    assert page.status_code == 200
    nav = page.text.split("<nav", 1)[1].split("</nav>", 1)[0]
    assert 'href="/team"' in nav and "/review" not in nav and "/accounts" not in nav
    for path in ("/accounts", "/notes", "/today", "/review", "/analytics"):
        assert client.get(path).status_code == 403, path
    assert client.get("/api/me").json()["role"] == "council"


def test_manager_nav_links_the_team_view(team_client: tuple[TestClient, World]) -> None:
    client, world = team_client
    page = client.get("/analytics", headers=bearer(world, "boss"))
    assert 'href="/team"' in page.text and "Team-Übersicht" in page.text
    client.cookies.set("winback_lang", "en")
    assert "Team overview" in client.get("/team", headers=bearer(world, "boss")).text


# --- what it shows ------------------------------------------------------------------------


def test_team_totals_per_month(team_client: tuple[TestClient, World]) -> None:
    client, world = team_client
    r = client.get("/api/analytics/team?as_of=2026-11-30&months=3", headers=bearer(world, "br"))
    data = r.json()
    assert data["months"] == ["2026-09", "2026-10", "2026-11"]
    sep, oct_, nov = data["by_month"]
    assert (nov["calls_made"], nov["notes_approved"]) == (2, 1)  # acme only, not "other"
    assert nov["outcomes"]["follow_up"] == 1 and nov["churn_reasons"]["delivery_reliability"] == 1
    assert (oct_["calls_made"], oct_["notes_approved"]) == (1, 1)  # a note without recording
    assert oct_["outcomes"]["lost"] == 1 and oct_["churn_reasons"]["price_terms"] == 1
    assert sep["calls_made"] == 0 and sum(sep["outcomes"].values()) == 0
    assert set(nov["outcomes"]) == {o.value for o in CallOutcome}  # every code, zeros included
    assert set(nov["churn_reasons"]) == {c.value for c in ChurnReason}
    assert sep["calls_planned"] is None and oct_["calls_planned"] is None  # past plans unknown
    assert isinstance(nov["calls_planned"], int) and nov["calls_planned"] >= 0
    totals = data["totals"]
    assert (totals["calls_made"], totals["notes_approved"]) == (3, 2)
    assert totals["churn_reasons"]["delivery_reliability"] == 1
    assert totals["churn_reasons"]["price_terms"] == 1
    # the other tenant's manager sees only their own tenant
    other = client.get("/api/analytics/team?as_of=2026-11-30&months=3",
                       headers=bearer(world, "oboss")).json()  # fmt: skip
    assert other["totals"]["calls_made"] == 1 and other["totals"]["notes_approved"] == 1


def keys_of(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


def test_no_rep_identifiers_and_no_sentiment(team_client: tuple[TestClient, World]) -> None:
    client, world = team_client
    data = client.get("/api/analytics/team?as_of=2026-11-30", headers=bearer(world, "br")).json()
    codes = {c.value for c in ChurnReason} | {o.value for o in CallOutcome}
    structural = keys_of(data) - codes
    assert structural == {
        "as_of", "months", "by_month", "totals", "month", "calls_planned", "calls_made",
        "notes_approved", "outcomes", "churn_reasons",
    }  # fmt: skip
    text = json.dumps(data).lower()
    for word in ("rep1", "rep2", "boss", "root", "kunde", "sentiment", "emotion", "negative",
                 "owner", "author", "user"):  # fmt: skip
        assert word not in text, word
    page = client.get("/team?as_of=2026-11-30", headers=bearer(world, "boss")).text
    main = page.split('<main id="main">', 1)[1]
    # Account, contact and summary texts of the world; German reason names such as
    # "… mit dem Kunden" are labels, not customer data.
    for word in ("rep1", "Rep1", "rep2", "Rep2", "Kunde rep", "GmbH", "Herr Kunde", "Der Kunde",
                 "sentiment", "negative"):  # fmt: skip
        assert word not in main, word
    assert 'data-reason="delivery_reliability">1<' in main
    assert 'data-outcome="lost">1<' in main


def test_bad_parameters_are_422(team_client: tuple[TestClient, World]) -> None:
    client, world = team_client
    for query in ("months=0", "months=61", "as_of=1999-01-01", "as_of=nope"):
        r = client.get(f"/api/analytics/team?{query}", headers=bearer(world, "boss"))
        assert r.status_code == 422 and r.json()["detail"], query

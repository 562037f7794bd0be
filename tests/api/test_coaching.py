"""Per-rep coaching figures: off without a works-council agreement, managers only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from agent.crm.db import open_store
from api.app import create_app
from api.deps import forget_principals
from api.planning import forget_plans
from tests.api.conftest import bearer, make_settings
from tests.api.test_team import add_council
from tests.api.world import World, build_world

AGREEMENT = "BV Vertriebscoaching vom 01.03.2026"


def _client(db_url: str, agreement: str | None) -> tuple[TestClient, World]:
    settings = make_settings(db_url).model_copy(update={"coaching_agreement": agreement})
    store = open_store(db_url)
    world = build_world(store)
    add_council(store, world)
    forget_plans()
    forget_principals()
    return TestClient(create_app(settings)), world


@pytest.fixture
def permitted(sqlite_url: str) -> Iterator[tuple[TestClient, World]]:
    client, world = _client(sqlite_url, AGREEMENT)
    with client:
        yield client, world


def test_without_an_agreement_no_one_sees_per_rep_figures(sqlite_url: str) -> None:
    client, world = _client(sqlite_url, None)
    with client:
        for user in ("boss", "root"):
            r = client.get("/api/analytics/coaching", headers=bearer(world, user))
            assert r.status_code == 403 and "coaching_agreement" in r.json()["detail"], r.text
            page = client.get("/coaching", headers=bearer(world, user))
            assert page.status_code == 403 and "rep1" not in page.text
        analytics = client.get("/analytics", headers=bearer(world, "boss")).text
        assert 'id="coaching-link"' not in analytics


def test_with_the_agreement_only_managers_and_admins_see_them(
    permitted: tuple[TestClient, World],
) -> None:
    client, world = permitted
    for user, status in (("boss", 200), ("root", 200), ("br", 403), ("rep1", 403)):
        r = client.get("/api/analytics/coaching?as_of=2026-11-30", headers=bearer(world, user))
        assert r.status_code == status, (user, r.text)
        assert client.get("/coaching", headers=bearer(world, user)).status_code == status
    assert client.get("/api/analytics/coaching").status_code == 401
    assert 'id="coaching-link"' in client.get("/analytics", headers=bearer(world, "boss")).text


def test_figures_per_rep(permitted: tuple[TestClient, World]) -> None:
    client, world = permitted
    boss = bearer(world, "boss")
    nid = world.objects["rep1"].note
    assert client.post(f"/api/notes/{nid}/approve", json={}, headers=boss).status_code == 200
    data = client.get("/api/analytics/coaching?as_of=2026-11-30&months=3", headers=boss).json()
    assert data["agreement"] == AGREEMENT
    assert (data["start"], data["end"]) == ("2026-09-01", "2026-11-30")
    reps = {r["username"]: r for r in data["reps"]}
    assert set(reps) == {"rep1", "rep2"}  # this tenant's reps only, no manager
    one, two = reps["rep1"], reps["rep2"]
    assert (one["calls"], one["approved"], two["calls"], two["approved"]) == (1, 1, 1, 0)
    assert one["outcomes"]["follow_up"] == 1 and one["win_back_rate"] == 0.0
    assert two["win_back_rate"] is None  # nothing approved: no rate, not 0 %
    # The world's call: the rep speaks 4 s, the customer 5.5 s, the transcript is 20 s long.
    assert one["talk_share"] == pytest.approx(4 / 9.5)
    assert one["minutes_per_call"] == pytest.approx(20 / 60)
    assert one["top_reason"] == "delivery_reliability" and two["top_reason"] is None
    page = client.get("/coaching?as_of=2026-11-30", headers=boss).text
    assert AGREEMENT in page and "42 %" in page and "Liefertreue" in page


def test_the_period_bounds_the_calls(permitted: tuple[TestClient, World]) -> None:
    client, world = permitted
    boss = bearer(world, "boss")
    data = client.get("/api/analytics/coaching?as_of=2026-10-31&months=1", headers=boss).json()
    assert [r["calls"] for r in data["reps"]] == [0, 0]
    assert (
        "Im Zeitraum keine Gespräche."
        in client.get("/coaching?as_of=2026-10-31&months=1", headers=boss).text
    )
    for query in ("months=0", "months=25", "as_of=nope"):
        r = client.get(f"/api/analytics/coaching?{query}", headers=boss)
        assert r.status_code == 422, query

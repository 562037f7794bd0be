"""``winback demo seed`` and ``winback demo`` load the demo tenant and report it."""

from __future__ import annotations

import json

import pytest

from agent.crm.db import get_or_create_tenant, open_store
from agent.demo import generate
from tests.conftest import Cli


def test_demo_seed_prints_counts_and_can_run_twice(sqlite_url: str, cli: Cli) -> None:
    expected = generate(7).counts()
    for replaced in (False, True):
        r = cli(["demo", "seed", "--db", sqlite_url, "--json"])
        assert r.code == 0
        out = json.loads(r.out)
        assert out["replaced"] is replaced
        assert {k: out[k] for k in expected} == expected


def test_demo_seed_table_output(sqlite_url: str, cli: Cli) -> None:
    r = cli(["demo", "seed", "--db", sqlite_url])
    assert r.code == 0
    out = r.out
    assert "Created demo tenant demo" in out
    assert "accounts" in out and " 200" in out


def test_plain_demo_shows_the_plan_and_a_brief(
    sqlite_url: str, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fake chat model has no reply queued, so the demo reports "No brief"
    # after the plan; the real local model's brief is tested in tests/brief.
    monkeypatch.setenv("WINBACK_CHAT_BACKEND", "fake")
    monkeypatch.setenv("WINBACK_EMBEDDINGS_BACKEND", "fake")
    r = cli(["demo", "--db", sqlite_url])
    assert r.code == 0
    out = r.out
    assert "Top 10 win-back calls as of 2026-11-02" in out
    assert "Pareto cut-off: the first" in out
    assert "Brief for the top customer of the plan" in out
    assert "winback plan --as-of 2026-11-02 --tenant demo" in out


def test_demo_refuses_a_real_tenant_with_a_clear_error(sqlite_url: str, cli: Cli) -> None:
    with open_store(sqlite_url).session() as session:
        get_or_create_tenant(session, "demo", "Echte Kunden GmbH")
    r = cli(["demo", "seed", "--db", sqlite_url])
    assert r.code == 2
    err = r.err
    assert "not the demo tenant" in err and "Traceback" not in err

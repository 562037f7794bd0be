"""``winback notes``: list, show, edit, approve, reject as a manager; others are refused."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from agent.analysis.analyzer import AnalysisResult
from agent.analysis.notes import store_draft
from agent.analysis.schema import CallAnalysis, NextStep, ReasonLabel
from agent.crm.db import open_store
from agent.crm.models import Account, AccountStatus, Role, Task
from tests import factories as make
from tests.conftest import Cli


@pytest.fixture
def db(sqlite_url: str) -> str:
    store = open_store(sqlite_url)
    analysis = CallAnalysis(
        language="de",
        summary="Kunde hört auf; nie wieder.",
        churn_reasons=[ReasonLabel(code="poor_treatment", evidence="So nicht.", confidence=0.7)],
        outcome="lost",
        next_steps=[NextStep(type="none")],
        sentiment="negative",
    )
    with store.session() as s:
        t = make.tenant(s)
        make.user(s, t, "boss", Role.manager)
        make.user(s, t, "rita", Role.rep)
        acc = make.account(s, t, "K-1", name="Firma")
        for _ in range(2):
            result = AnalysisResult("ok", analysis, "fake", "decomposed", 1.0)
            store_draft(s, t.id, acc, result, call_date=date(2026, 2, 20))
    return sqlite_url


def test_list_show_edit_approve(db: str, cli: Cli) -> None:
    code, out, err = cli(["notes", "list", "--db", db, "--json"])
    assert code == 0, err
    assert [n["id"] for n in json.loads(out)] == [2, 1]
    code, out, _ = cli(["notes", "show", "1", "--db", db])
    assert "poor_treatment" in out and "(ai)" in out
    code, out, err = cli(
        ["notes", "edit", "1", "--as", "boss", "--db", db, "--set", "outcome=not_now",
         "--set", 'next_steps=[{"type": "schedule_call", "due_date": "2026-09-01"}]', "--json"]
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["outcome"] == "not_now" and data["field_sources"]["outcome"] == "edited"
    assert data["field_sources"]["summary"] == "ai"
    code, out, err = cli(["notes", "approve", "1", "--as", "boss", "--db", db, "--json"])
    assert code == 0, err
    assert json.loads(out)["tasks"][0]["due_date"] == "2026-09-01"
    code, _, err = cli(["notes", "approve", "1", "--as", "boss", "--db", db])
    assert code == 2 and "approved" in err
    code, out, err = cli(["notes", "approve", "2", "--as", "boss", "--db", db])
    assert code == 0 and "active → lost" in out
    with open_store(db).session() as s:
        assert s.scalar(select(Account.status)) == AccountStatus.lost
        assert s.scalar(select(func.count()).select_from(Task)) == 1


def test_reject_and_permissions(db: str, cli: Cli) -> None:
    code, _, err = cli(["notes", "reject", "1", "--as", "rita", "--reason", "x", "--db", db])
    assert code == 77 and "only a manager" in err
    code, _, err = cli(["notes", "reject", "1", "--as", "boss", "--reason", " ", "--db", db])
    assert code == 2 and "needs a reason" in err
    code, out, err = cli(
        ["notes", "reject", "1", "--as", "boss", "--reason", "falscher Kunde", "--db", db]
    )
    assert code == 0, err
    code, out, _ = cli(["notes", "list", "--status", "rejected", "--db", db, "--json"])
    assert [n["id"] for n in json.loads(out)] == [1]
    code, _, err = cli(["notes", "list", "--status", "weird", "--db", db])
    assert code == 2 and "Unknown note status" in err
    code, _, err = cli(["notes", "show", "99", "--db", db])
    assert code == 4
    code, _, err = cli(["notes", "edit", "2", "--as", "boss", "--db", db, "--set", "outcome=won"])
    assert code == 2 and "outcome" in err and "Traceback" not in err
    code, _, err = cli(
        ["notes", "edit", "2", "--as", "boss", "--db", db, "--set", "next_steps=[oops"]
    )
    assert code == 2 and "JSON list" in err

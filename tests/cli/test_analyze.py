"""``winback analyze``: file → analysis, file + account → draft note, bad input → message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

import agent.llm
from agent.crm.db import get_or_create_tenant, open_store
from agent.crm.models import CallNote, NoteStatus
from agent.testing import FakeChatModel
from tests import factories as make
from tests.conftest import Cli

TRANSCRIPT = {
    "call_date": "2026-01-26",
    "language": "de",
    "turns": [
        {"speaker": "rep", "text": "Woran lag es, dass Sie nicht mehr bestellen?"},
        {"speaker": "customer", "text": "Die Flaschen kamen neun Tage zu spät."},
        {"speaker": "rep", "text": "Ich schicke Ihnen bis Freitag ein Angebot."},
        {"speaker": "customer", "text": "Gut."},
    ],
}
REPLIES = [
    '{"outcome": "follow_up", "sentiment": "neutral", "expectations": ""}',
    '{"reasons": [{"code": "delivery_reliability", "turn": 2}]}',
    '{"steps": [{"type": "send_offer", "owner": "rep", "turn": 3, "when": "bis Freitag"}]}',
    '{"summary": "Flaschen 9 Tage zu spät; Angebot bis Freitag."}',
]


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> FakeChatModel:
    model = FakeChatModel()
    monkeypatch.setattr(agent.llm, "get_chat_model", lambda *a, **k: model)
    monkeypatch.setenv("WINBACK_ANALYSIS_DESIGN", "decomposed")  # REPLIES answer its questions
    return model


@pytest.fixture
def transcript(tmp_path: Path) -> Path:
    path = tmp_path / "call.json"
    path.write_text(json.dumps(TRANSCRIPT), encoding="utf-8")
    return path


def test_analyze_file_prints_json(fake_model, transcript, cli: Cli) -> None:
    fake_model.enqueue(*REPLIES)
    code, out, err = cli(["analyze", str(transcript), "--json"])
    assert code == 0, err
    data = json.loads(out)
    assert data["status"] == "ok"
    assert data["analysis"]["outcome"] == "follow_up"
    assert data["analysis"]["next_steps"][0]["due_date"] == "2026-01-30"
    assert (
        data["analysis"]["churn_reasons"][0]["evidence"] == "Die Flaschen kamen neun Tage zu spät."
    )


def test_analyze_with_account_stores_draft(fake_model, transcript, sqlite_url, cli: Cli) -> None:
    store = open_store(sqlite_url)
    with store.session() as s:
        make.account(s, make.tenant(s), "K-7", name="Weingut")
    fake_model.enqueue(*REPLIES)
    code, out, err = cli(
        ["analyze", str(transcript), "--account", "K-7", "--db", sqlite_url, "--json"]
    )
    assert code == 0, err
    data = json.loads(out)
    with store.session() as s:
        note = s.scalar(select(CallNote).where(CallNote.id == data["note_id"]))
        assert note.status == NoteStatus.pending_review
        assert note.outcome.value == "follow_up"
    # a failing model still leaves a note, marked failed with the reason
    fake_model.enqueue("kein JSON", "immer noch nicht", "nein")
    code, out, err = cli(
        ["analyze", str(transcript), "--account", "K-7", "--db", sqlite_url, "--json"]
    )
    assert code == 0, err
    assert json.loads(out)["note_status"] == "failed"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not a JSON transcript"),
        ('{"turns": [{"speaker": "boss", "text": "x"}]}', "speaker"),
        ('{"foo": 1}', "neither 'turns' nor 'segments'"),
    ],
)
def test_bad_transcript_is_a_clear_error(tmp_path, fake_model, cli: Cli, content, message) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    code, out, err = cli(["analyze", str(path)])
    assert code == 2
    assert message in err and "Traceback" not in err
    assert fake_model.history == []


def test_missing_file_unknown_account_and_no_input(
    fake_model, transcript, sqlite_url, cli: Cli
) -> None:
    code, _, err = cli(["analyze", "/nope/call.json"])
    assert code == 4 and "does not exist" in err
    code, _, err = cli(["analyze"])
    assert code == 2 and "exactly one" in err
    store = open_store(sqlite_url)
    with store.session() as s:
        get_or_create_tenant(s, "default")
    code, _, err = cli(["analyze", str(transcript), "--account", "X", "--db", sqlite_url])
    assert code == 4 and "Account 'X'" in err
    code, _, err = cli(["analyze", "--recording", "abc", "--db", sqlite_url])
    assert code == 4 and "Recording 'abc'" in err


def test_rep_only_transcript_needs_no_model(fake_model, tmp_path, cli: Cli) -> None:
    path = tmp_path / "voicemail.json"
    path.write_text(json.dumps({"turns": [{"speaker": "rep", "text": "Hallo, hier Sommer."}]}))
    code, out, err = cli(["analyze", str(path), "--json"])
    assert code == 0, err
    data = json.loads(out)
    assert data["status"] == "no_analysis" and data["analysis"]["outcome"] == "not_reached"
    assert fake_model.history == []

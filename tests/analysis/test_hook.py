"""The pipeline hook: a stored transcript becomes one draft note, once."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

import agent.llm
from agent.analysis import hook
from agent.calls import pipeline
from agent.crm.db import Store
from agent.crm.models import (
    CallNote,
    CallRecording,
    NoteStatus,
    Transcript,
)
from agent.settings import Settings
from agent.testing import FakeChatModel
from tests import factories as make


@pytest.fixture
def stored(store: Store) -> dict[str, object]:
    with store.session() as s:
        t = make.tenant(s)
        acc = make.account(s, t, "K-9", name="Bäckerei Korn", industry="Bäckerei")
        make.note(s, acc, "Reklamation wegen Mehlqualität", datetime(2025, 5, 1))
        consent = make.consent(s, acc, "Herr Korn", text_version="v1")
        rec = make.recording(s, acc, consent, "0" * 64, 10, call_date=date(2026, 3, 2))
        tr = make.transcript(
            s, rec,
            [(0, 2, "rep", "Woran lag es?"),
             (2, 4, "customer", "Das Mehl war zweimal verklumpt."),
             (4, 5, "customer", "Schicken Sie mir morgen ein Muster.")],
            text="...",
        )  # fmt: skip
        return {"recording": rec.id, "transcript": tr.id}


def test_hook_stores_one_draft(store: Store, stored, monkeypatch: pytest.MonkeyPatch) -> None:
    model = FakeChatModel().enqueue(
        json.dumps({"outcome": "follow_up", "sentiment": "neutral", "expectations": ""}),
        json.dumps({"reasons": [{"code": "product_quality", "turn": 2}]}),
        json.dumps(
            {"steps": [{"type": "send_sample", "owner": "rep", "turn": 2, "when": "morgen"}]}
        ),  # fmt: skip
        json.dumps({"summary": "Mehl verklumpt; Muster morgen."}),
    )
    monkeypatch.setattr(agent.llm, "get_chat_model", lambda *a, **k: model)
    settings = Settings(chat_backend="fake", analysis_design="decomposed")
    for _ in range(2):  # a retried step must not create a second note
        with store.session() as s:
            rec = s.get(CallRecording, stored["recording"])
            tr = s.get(Transcript, stored["transcript"])
            out = hook.analysis_hook(settings, s, rec, tr)
    assert out["skipped"] == "note exists"
    # the two customer segments became one turn; the CRM note was context
    assert "[2] KUNDE: Das Mehl war zweimal verklumpt. Schicken Sie" in model.history[0].prompt
    assert "Reklamation wegen Mehlqualität" in model.history[0].prompt
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(CallNote)) == 1
        note = s.scalar(select(CallNote))
        assert note.status == NoteStatus.pending_review and note.recording_id == stored["recording"]
        steps = note.analysis["result"]["next_steps"]
        assert steps[0]["due_date"] == "2026-03-03"


def test_register_adds_the_hook_once() -> None:
    try:
        hook.register()
        hook.register()
        assert pipeline._analysis_hooks.count(hook.analysis_hook) == 1
    finally:
        pipeline.clear_hooks()


def test_install_follows_the_setting() -> None:
    try:
        hook.install(Settings(analyze_after_transcription=False))
        assert hook.analysis_hook not in pipeline._analysis_hooks
        hook.install(Settings(analyze_after_transcription=True))
        assert pipeline._analysis_hooks.count(hook.analysis_hook) == 1
    finally:
        pipeline.clear_hooks()


def test_hook_with_the_learned_design_needs_no_chat_model(
    store: Store, stored, small_model, monkeypatch: pytest.MonkeyPatch
) -> None:
    import agent.analysis.trained as trained

    monkeypatch.setattr(trained, "analysis_model", lambda settings: small_model)
    monkeypatch.setattr(agent.llm, "get_chat_model", lambda *a, **k: pytest.fail("no chat"))
    settings = Settings(chat_backend="fake", analysis_design="learned")
    with store.session() as s:
        rec = s.get(CallRecording, stored["recording"])
        tr = s.get(Transcript, stored["transcript"])
        out = hook.analysis_hook(settings, s, rec, tr)
    assert out["analysis"] == "ok"
    with store.session() as s:
        note = s.scalar(select(CallNote))
        assert note.analysis["design"] == "learned" and note.model.startswith("learned")
        assert note.analysis["draft"] == note.analysis["result"]  # kept to learn from edits

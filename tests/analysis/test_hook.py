"""The pipeline hook: a stored transcript becomes one draft note, once."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

import agent.llm
from agent.analysis import hook
from agent.calls import pipeline
from agent.crm.db import Store, get_or_create_tenant
from agent.crm.models import (
    Account,
    CallNote,
    CallRecording,
    ConsentMethod,
    ConsentRecord,
    Note,
    NoteStatus,
    Transcript,
    TranscriptSegment,
)
from agent.settings import Settings
from agent.testing import FakeChatModel


@pytest.fixture
def stored(store: Store) -> dict[str, object]:
    with store.session() as s:
        t = get_or_create_tenant(s, "default")
        acc = Account(tenant_id=t.id, external_id="K-9", name="Bäckerei Korn", industry="Bäckerei")
        s.add(acc)
        s.flush()
        s.add(Note(tenant_id=t.id, account_id=acc.id, occurred_at=datetime(2025, 5, 1),
                   body="Reklamation wegen Mehlqualität"))  # fmt: skip
        consent = ConsentRecord(tenant_id=t.id, account_id=acc.id, given_by="Herr Korn",
                                method=ConsentMethod.verbal_at_call_start,
                                given_at=datetime.now(UTC), text_version="v1")  # fmt: skip
        s.add(consent)
        s.flush()
        rec = CallRecording(
            tenant_id=t.id,
            account_id=acc.id,
            consent_id=consent.id,
            content_sha256="0" * 64,
            size_bytes=10,
            call_date=date(2026, 3, 2),
        )
        s.add(rec)
        s.flush()
        tr = Transcript(tenant_id=t.id, account_id=acc.id, recording_id=rec.id, language="de",
                        text="...")  # fmt: skip
        tr.segments = [
            TranscriptSegment(idx=0, start_s=0, end_s=2, speaker="rep", text="Woran lag es?"),
            TranscriptSegment(
                idx=1,
                start_s=2,
                end_s=4,
                speaker="customer",
                text="Das Mehl war zweimal verklumpt.",
            ),  # fmt: skip
            TranscriptSegment(
                idx=2,
                start_s=4,
                end_s=5,
                speaker="customer",
                text="Schicken Sie mir morgen ein Muster.",
            ),  # fmt: skip
        ]
        s.add(tr)
        s.flush()
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

"""The analyze step: a stored transcript becomes one draft note, once, in the step's transaction."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

import agent.llm
from agent.analysis import draft
from agent.calls import pipeline
from agent.calls.jobs import STEPS
from agent.crm.db import Store, get_or_create_tenant
from agent.crm.models import (
    Account,
    CallNote,
    CallRecording,
    ConsentMethod,
    ConsentRecord,
    JobStatus,
    Note,
    NoteStatus,
    PipelineJob,
    RecordingStatus,
    Transcript,
    TranscriptSegment,
)
from agent.settings import Settings, configure
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
        # The pipeline stands before its last step: the transcript is stored.
        for step in STEPS:
            done = step != "analyze"
            s.add(PipelineJob(recording_id=rec.id, step=step, details={},
                              status=JobStatus.done if done else JobStatus.pending))  # fmt: skip
        rec.status = RecordingStatus.transcribed
        s.flush()
        return {"recording": rec.id, "transcript": tr.id}


def scripted_model() -> FakeChatModel:
    """Replies of the decomposed design's four questions about the stored call."""
    return FakeChatModel().enqueue(
        json.dumps({"outcome": "follow_up", "sentiment": "neutral", "expectations": ""}),
        json.dumps({"reasons": [{"code": "product_quality", "turn": 2}]}),
        json.dumps(
            {"steps": [{"type": "send_sample", "owner": "rep", "turn": 2, "when": "morgen"}]}
        ),  # fmt: skip
        json.dumps({"summary": "Mehl verklumpt; Muster morgen."}),
    )


def test_hook_stores_one_draft(store: Store, stored, monkeypatch: pytest.MonkeyPatch) -> None:
    model = scripted_model()
    monkeypatch.setattr(agent.llm, "get_chat_model", lambda *a, **k: model)
    settings = Settings(chat_backend="fake", analysis_design="decomposed")
    for _ in range(2):  # a retried step must not create a second note
        with store.session() as s:
            rec = s.get(CallRecording, stored["recording"])
            tr = s.get(Transcript, stored["transcript"])
            out = draft.draft_note(settings, s, rec, tr)
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


def step_settings(store: Store, analyse: bool) -> Settings:
    return configure(
        database_url=store.engine.url.render_as_string(hide_password=False),
        chat_backend="fake",
        analysis_design="decomposed",
        analyze_after_transcription=analyse,
    )


def step_details(store: Store, recording_id: object) -> dict:
    with store.session() as s:
        row = s.scalar(
            select(PipelineJob).where(
                PipelineJob.recording_id == recording_id, PipelineJob.step == "analyze"
            )
        )
        assert row is not None and row.status == JobStatus.done
        return dict(row.details)


def test_analyze_step_stores_the_draft_with_its_done_status(
    store: Store, stored, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = scripted_model()
    monkeypatch.setattr(agent.llm, "get_chat_model", lambda *a, **k: model)
    settings = step_settings(store, analyse=True)
    assert pipeline.run_step(settings, stored["recording"], "analyze") == "done"
    assert pipeline.run_step(settings, stored["recording"], "analyze") == "skipped"
    with store.session() as s:
        note = s.scalar(select(CallNote))
        assert note is not None and note.recording_id == stored["recording"]
        recording = s.get(CallRecording, stored["recording"])
        assert recording is not None and recording.status == RecordingStatus.analyzed
    assert step_details(store, stored["recording"])["analysis"]["note_id"] == note.id


def test_analyze_step_follows_the_setting(
    store: Store, stored, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(agent.llm, "get_chat_model", lambda *a, **k: pytest.fail("no chat"))
    settings = step_settings(store, analyse=False)
    assert pipeline.run_step(settings, stored["recording"], "analyze") == "done"
    assert step_details(store, stored["recording"])["skipped"].startswith("analysis switched off")
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(CallNote)) == 0
        recording = s.get(CallRecording, stored["recording"])
        assert recording is not None and recording.status == RecordingStatus.transcribed


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
        out = draft.draft_note(settings, s, rec, tr)
    assert out["analysis"] == "ok"
    with store.session() as s:
        note = s.scalar(select(CallNote))
        assert note.analysis["design"] == "learned" and note.model.startswith("learned")
        assert note.analysis["draft"] == note.analysis["result"]  # kept to learn from edits

"""Draft notes and manager review on SQLite and PostgreSQL: only approval changes the CRM."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from agent.analysis import review
from agent.analysis.analyzer import AnalysisResult
from agent.analysis.notes import get_note, list_notes, note_to_json, store_draft
from agent.analysis.schema import CallAnalysis, Candidate, NextStep, ReasonLabel, Uncertain
from agent.analysis.tenant_bank import tenant_examples
from agent.crm.db import Store
from agent.crm.models import (
    Account,
    AccountStatus,
    AuditEvent,
    ChurnReasonLabel,
    NoteStatus,
    Task,
)
from agent.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from tests.analysis.conftest import review_team


def _analysis(outcome: str = "follow_up", reasons: tuple[str, ...] = ("delivery_reliability",),
              steps: list[NextStep] | None = None) -> CallAnalysis:  # fmt: skip
    return CallAnalysis(
        language="de",
        summary="Lieferungen kamen zu spät. Angebot bis Freitag.",
        churn_reasons=[ReasonLabel(code=c, evidence=f"Beleg {c}", confidence=0.7) for c in reasons],
        outcome=outcome,  # type: ignore[arg-type]
        next_steps=steps
        if steps is not None
        else [
            NextStep(
                type="send_offer",
                owner="rep",
                due_date=date(2026, 1, 30),
                description="Angebot bis Freitag",
            ),
            NextStep(type="schedule_call", owner="customer", due_date=date(2026, 2, 2)),
        ],  # fmt: skip
        sentiment="neutral",
    )


def _result(analysis: CallAnalysis | None, status: str = "ok", reason: str | None = None):
    return AnalysisResult(status, analysis, "fake-chat", "decomposed", 1.0,  # type: ignore[arg-type]
                          failure_reason=reason)  # fmt: skip


@pytest.fixture
def crm(store: Store) -> dict[str, int]:
    with store.session() as s:
        return review_team(s, "Weingut Ehrhard")[1]


def _draft(store: Store, crm: dict[str, int], result: AnalysisResult) -> int:
    with store.session() as s:
        acc = s.get(Account, crm["account"])
        note = store_draft(s, crm["tenant"], acc, result, call_date=date(2026, 1, 26))
        return note.id


def _count(store: Store, model: type) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_draft_changes_nothing_until_approval(store: Store, crm: dict[str, int]) -> None:
    note_id = _draft(store, crm, _result(_analysis()))
    assert _count(store, ChurnReasonLabel) == 0 and _count(store, Task) == 0
    with store.session() as s:
        note = get_note(s, crm["tenant"], note_id)
        assert note.status == NoteStatus.pending_review
        assert note.field_sources["outcome"] == "ai"
        assert [n.id for n in list_notes(s, crm["tenant"], "pending_review")] == [note_id]
        boss = review.reviewer(s, crm["tenant"], "boss")
        out = review.approve(s, crm["tenant"], note_id, boss, comment="passt")
    assert out["labels"] == ["delivery_reliability"]
    with store.session() as s:
        tasks = list(s.scalars(select(Task).order_by(Task.id)))
        assert [(t.type.value, t.due_date, t.owner_id) for t in tasks] == [
            ("send_offer", date(2026, 1, 30), crm["rep"]),
            ("schedule_call", date(2026, 2, 2), crm["rep"]),
        ]
        assert tasks[0].description == "Angebot senden"  # the draft's words stay on the note
        assert tasks[1].description == "Rückmeldung des Kunden nachhalten: Anrufen"
        label = s.scalar(select(ChurnReasonLabel))
        assert label.source == "ai" and label.evidence == "Beleg delivery_reliability"
        note = get_note(s, crm["tenant"], note_id)
        assert note.status == NoteStatus.approved and note.reviewed_by_id == crm["boss"]
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert actions == ["call_note.create", "churn_reason_label.create", "task.create",
                           "task.create", "account.status", "call_note.approve"]  # fmt: skip
        assert all(e.actor_label == "boss" for e in s.scalars(select(AuditEvent))
                   if e.action != "call_note.create")  # fmt: skip
    with store.session() as s, pytest.raises(ConflictError):
        review.approve(s, crm["tenant"], note_id, review.reviewer(s, crm["tenant"], "boss"))


@pytest.mark.parametrize(
    ("outcome", "reasons", "status"),
    [
        ("lost", ("delivery_reliability",), AccountStatus.lost),
        ("disqualified", ("insolvency",), AccountStatus.insolvent),
        ("disqualified", ("need_gone",), AccountStatus.lost),
    ],
)
def test_lost_and_disqualified_update_account_status(
    store: Store, crm: dict[str, int], outcome: str, reasons: tuple[str, ...], status: AccountStatus
) -> None:
    note_id = _draft(store, crm, _result(_analysis(outcome, reasons, [NextStep(type="none")])))
    with store.session() as s:
        review.approve(s, crm["tenant"], note_id, review.reviewer(s, crm["tenant"], "boss"))
    with store.session() as s:
        acc = s.get(Account, crm["account"])
        assert acc.status == status
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "account.status"))
        assert event.before["status"] == "active" and event.after["status"] == status.value
    assert _count(store, Task) == 0


def test_follow_up_without_dates_gets_a_reminder(store: Store, crm: dict[str, int]) -> None:
    steps = [NextStep(type="send_sample", owner="rep")]
    note_id = _draft(store, crm, _result(_analysis("not_now", steps=steps)))
    with store.session() as s:
        out = review.approve(s, crm["tenant"], note_id, review.reviewer(s, crm["tenant"], "boss"))
    assert [t["type"] for t in out["tasks"]] == ["send_sample", "schedule_call"]
    assert out["tasks"][1]["due_date"] == date(2026, 4, 26)  # call date + 90 days


def test_edit_marks_fields_and_validates(store: Store, crm: dict[str, int]) -> None:
    note_id = _draft(store, crm, _result(_analysis()))
    with store.session() as s:
        boss = review.reviewer(s, crm["tenant"], "boss")
        review.edit(s, crm["tenant"], note_id, boss, {
            "outcome": "reactivated",
            "churn_reasons": [{"code": "price_terms", "evidence": None, "confidence": 1.0}],
            "summary": "Kundin bestellt 3000 Flaschen.",
        })  # fmt: skip
    with store.session() as s:
        data = note_to_json(get_note(s, crm["tenant"], note_id))
        assert data["outcome"] == "reactivated"
        assert data["field_sources"] == {
            "summary": "edited", "churn_reasons": "edited", "outcome": "edited",
            "next_steps": "ai", "expectations": "ai", "sentiment": "ai",
        }  # fmt: skip
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "call_note.edit"))
        assert event.before["outcome"] == "follow_up" and event.after["outcome"] == "reactivated"
        boss = review.reviewer(s, crm["tenant"], "boss")
        with pytest.raises(ValidationError, match="outcome"):
            review.edit(s, crm["tenant"], note_id, boss, {"outcome": "won"})
        with pytest.raises(ValidationError, match="editable"):
            review.edit(s, crm["tenant"], note_id, boss, {"status": "approved"})
        review.approve(s, crm["tenant"], note_id, boss)
    with store.session() as s:
        label = s.scalar(select(ChurnReasonLabel))
        assert label.code.value == "price_terms" and label.source == "edited"


def test_failed_note_can_be_fixed_by_edit_or_rejected(store: Store, crm: dict[str, int]) -> None:
    note_id = _draft(store, crm, _result(None, "failed", "model gave invalid JSON 3 times"))
    with store.session() as s:
        note = get_note(s, crm["tenant"], note_id)
        assert note.status == NoteStatus.failed
        assert note.failure_reason == "model gave invalid JSON 3 times"
        boss = review.reviewer(s, crm["tenant"], "boss")
        with pytest.raises(ConflictError):
            review.approve(s, crm["tenant"], note_id, boss)
        review.edit(s, crm["tenant"], note_id, boss, {"outcome": "not_now", "summary": "Später."})
        assert get_note(s, crm["tenant"], note_id).status == NoteStatus.pending_review
    other = _draft(store, crm, _result(None, "failed", "timeout"))
    with store.session() as s:
        boss = review.reviewer(s, crm["tenant"], "boss")
        with pytest.raises(ValidationError, match="reason"):
            review.reject(s, crm["tenant"], other, boss, "  ")
        review.reject(s, crm["tenant"], other, boss, "Aufnahme unbrauchbar")
        note = get_note(s, crm["tenant"], other)
        assert note.status == NoteStatus.rejected and note.review_comment == "Aufnahme unbrauchbar"
    assert _count(store, Task) == 0


def test_only_managers_review(store: Store, crm: dict[str, int]) -> None:
    with store.session() as s:
        with pytest.raises(PermissionDeniedError, match="manager"):
            review.reviewer(s, crm["tenant"], "rep1")
        with pytest.raises(NotFoundError):
            review.reviewer(s, crm["tenant"], "nobody")
        with pytest.raises(NotFoundError):
            get_note(s, crm["tenant"], 999)


def test_an_undecided_outcome_must_be_chosen_before_approval(
    store: Store, crm: dict[str, int]
) -> None:
    undecided = _analysis().model_copy(
        update={
            "outcome": None,
            "uncertain": [
                Uncertain(field="outcome", candidates=[
                    Candidate(code="follow_up", probability=0.5),
                    Candidate(code="not_now", probability=0.4),
                ])
            ],
        }
    )  # fmt: skip
    note_id = _draft(store, crm, _result(undecided))
    with store.session() as s:
        assert get_note(s, crm["tenant"], note_id).outcome is None
        boss = review.reviewer(s, crm["tenant"], "boss")
        with pytest.raises(ConflictError, match="Choose the outcome"):
            review.approve(s, crm["tenant"], note_id, boss)
    with store.session() as s:
        boss = review.reviewer(s, crm["tenant"], "boss")
        review.edit(s, crm["tenant"], note_id, boss, {"outcome": "not_now"})
        note = get_note(s, crm["tenant"], note_id)
        assert note_to_json(note)["uncertain"] == []  # the reviewer decided it
        assert review.approve(s, crm["tenant"], note_id, boss)["note"] == note_id


def test_approval_teaches_confirmed_and_removed_sentences(
    store: Store, crm: dict[str, int]
) -> None:
    draft = _analysis(reasons=("delivery_reliability", "price_terms")).model_copy(
        update={"outcome_evidence": "Ich schicke Ihnen das Angebot."}
    )
    note_id = _draft(store, crm, _result(draft))
    with store.session() as s:
        boss = review.reviewer(s, crm["tenant"], "boss")
        kept = [r.model_dump(mode="json") for r in draft.churn_reasons[:1]]
        review.edit(s, crm["tenant"], note_id, boss, {"churn_reasons": kept})
        out = review.approve(s, crm["tenant"], note_id, boss)
    assert out["learning_examples"] == 3
    with store.session() as s:
        rows = {(e.task, e.label, e.text) for e in tenant_examples(s, crm["tenant"])}
    assert rows == {
        ("reason", "delivery_reliability", "Beleg delivery_reliability"),
        ("reason", "none", "Beleg price_terms"),  # the reviewer removed it
        ("signal", "step", "Ich schicke Ihnen das Angebot."),
    }
    with store.session() as s:  # the examples belong to the note
        s.delete(get_note(s, crm["tenant"], note_id))
    with store.session() as s:
        assert tenant_examples(s, crm["tenant"]) == []

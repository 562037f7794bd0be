"""What an approval writes into the CRM record, on SQLite and PostgreSQL.

The account's status follows the outcome, the reasons become its history,
and every next step becomes a readable, dated task that never repeats what
was said in the call (not in the task list, not in the next brief).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from agent.analysis import review
from agent.analysis.analyzer import AnalysisResult
from agent.analysis.notes import get_note, note_analysis, store_draft
from agent.analysis.schema import CallAnalysis, NextStep, ReasonLabel
from agent.brief.compose import talking_points
from agent.crm.db import Store
from agent.crm.models import (
    Account,
    AccountStatus,
    AuditEvent,
    ChurnReasonLabel,
    Task,
)
from agent.errors import FieldErrors
from agent.history.retrieval import retrieve
from tests import factories as make
from tests.analysis.conftest import review_team

CALL_DAY = date(2026, 1, 26)  # a Monday
QUOTE = "Hi Philona, it's Benedict. Please send us a sample of the new nitrile gloves."
REASON_QUOTE = "your deliveries were always late"


@pytest.fixture
def crm(store: Store) -> dict[str, int]:
    with store.session() as s:
        acc, ids = review_team(s, "Gloves Ltd")
        transcript = make.transcript(
            s, acc,
            [(0.0, 3.0, "rep", "Hello, this is Rita from Schäfer."),
             (3.0, 9.0, "customer", QUOTE),
             (9.0, 14.0, "customer", f"Honestly, {REASON_QUOTE}.")],
            text="...", language="en",
        )  # fmt: skip
        return {**ids, "transcript": transcript.id}


def _note(store: Store, crm: dict[str, int], outcome: str, steps: list[NextStep]) -> int:
    analysis = CallAnalysis(
        language="en",
        summary="The customer wants a sample.",
        churn_reasons=[ReasonLabel(code="delivery_reliability", evidence=REASON_QUOTE)],
        outcome=outcome,  # type: ignore[arg-type]
        next_steps=steps,
    )
    result = AnalysisResult("ok", analysis, "fake", "learned", 1.0)  # type: ignore[arg-type]
    with store.session() as s:
        account = s.get(Account, crm["account"])
        note = store_draft(s, crm["tenant"], account, result, call_date=CALL_DAY,
                           transcript_id=crm["transcript"])  # fmt: skip
        return note.id


def _approve(store: Store, crm: dict[str, int], note_id: int) -> dict:
    with store.session() as s:
        return review.approve(s, crm["tenant"], note_id, review.reviewer(s, crm["tenant"], "boss"))


def _account(store: Store, crm: dict[str, int]) -> Account:
    with store.session() as s:
        account = s.get(Account, crm["account"])
        assert account is not None
        return account


def test_tasks_read_as_steps_with_due_dates_and_never_quote_the_call(
    store: Store, crm: dict[str, int]
) -> None:
    steps = [
        # the analysis copies the customer's sentence into the description
        NextStep(type="send_sample", owner="rep", description=QUOTE[:200]),
        NextStep(type="schedule_call", owner="customer", due_date=date(2026, 2, 2)),
    ]
    note_id = _note(store, crm, "follow_up", steps)
    with store.session() as s:
        boss = review.reviewer(s, crm["tenant"], "boss")
        # the manager writes what the sample is; that text is theirs, so the task keeps it
        review.edit(s, crm["tenant"], note_id, boss, {"next_steps": [
            {**steps[0].model_dump(mode="json"), "description": "Nitrile gloves, size 9"},
            steps[1].model_dump(mode="json"),
            {"type": "send_offer", "owner": "rep", "description": QUOTE[:60]},
        ]})  # fmt: skip
    today = date.today()
    out = _approve(store, crm, note_id)
    with store.session() as s:
        tasks = list(s.scalars(select(Task).order_by(Task.id)))
    assert [t.description for t in tasks] == [
        "Send sample: Nitrile gloves, size 9",
        "Follow up the customer's step: Call",
        "Send offer",
    ]
    assert all("Philona" not in t.description for t in tasks)
    # spoken dates stay; a step without one is due after its type's working days
    start = max(CALL_DAY, today)
    assert tasks[1].due_date == date(2026, 2, 2)
    assert tasks[0].due_date == review.add_working_days(start, 5)
    assert tasks[2].due_date == review.add_working_days(start, 3)
    assert all(t.due_date and t.due_date.weekday() < 5 for t in tasks)
    assert [t["description"] for t in out["tasks"]] == [t.description for t in tasks]
    # the next brief picks up the open task by its readable text, never the quote
    with store.session() as s:
        history = retrieve(s, crm["tenant"], crm["account"], today + timedelta(days=1))
        points = " ".join(c.text for c in talking_points(history, [], "en"))
    assert any(t.description.rstrip(".") in points for t in tasks), points
    assert "Philona" not in points


def test_the_working_day_count_skips_weekends() -> None:
    friday = date(2026, 1, 30)
    assert review.add_working_days(friday, 1) == date(2026, 2, 2)
    assert review.add_working_days(friday, 5) == date(2026, 2, 6)


@pytest.mark.parametrize(
    ("before", "outcome", "after", "reason"),
    [
        (AccountStatus.lost, "reactivated", AccountStatus.active,
         "Reactivated in the call of 2026-01-26"),
        (AccountStatus.active, "reactivated", AccountStatus.active,
         "Reactivated in the call of 2026-01-26"),
        (AccountStatus.lost, "follow_up", AccountStatus.active,
         "Follow-up agreed: follow up on 2026-02-02 (call of 2026-01-26)"),
        (AccountStatus.active, "lost", AccountStatus.lost, "Lost in the call of 2026-01-26"),
        (AccountStatus.active, "disqualified", AccountStatus.lost,
         "Disqualified in the call of 2026-01-26"),
    ],
)  # fmt: skip
def test_the_outcome_sets_the_account_status_with_a_readable_reason(
    store: Store,
    crm: dict[str, int],
    before: AccountStatus,
    outcome: str,
    after: AccountStatus,
    reason: str,
) -> None:
    with store.session() as s:
        s.get(Account, crm["account"]).status = before  # type: ignore[union-attr]
    steps = [NextStep(type="schedule_call", owner="rep", due_date=date(2026, 2, 2))]
    out = _approve(store, crm, _note(store, crm, outcome, steps))
    account = _account(store, crm)
    assert account.status == after
    assert account.status_reason == reason
    assert out["account_status"]["to"] == after.value
    with store.session() as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "account.status"))
        assert event is not None and event.before["status"] == before.value
        labels = s.scalars(select(ChurnReasonLabel)).all()
        assert [(lb.code.value, lb.evidence) for lb in labels] == [
            ("delivery_reliability", REASON_QUOTE)
        ]


def test_an_account_marked_do_not_contact_stays_so_after_a_follow_up(
    store: Store, crm: dict[str, int]
) -> None:
    with store.session() as s:
        account = s.get(Account, crm["account"])
        assert account is not None
        account.status, account.status_reason = AccountStatus.do_not_contact, "Widerspruch"
    steps = [NextStep(type="schedule_call", owner="rep", due_date=date(2026, 2, 2))]
    out = _approve(store, crm, _note(store, crm, "follow_up", steps))
    account = _account(store, crm)
    assert account.status == AccountStatus.do_not_contact and account.status_reason == "Widerspruch"
    assert out["account_status"] is None


def test_a_quote_the_customer_did_not_say_is_refused_with_every_problem(
    store: Store, crm: dict[str, int]
) -> None:
    note_id = _note(store, crm, "follow_up", [])
    with store.session() as s:
        boss = review.reviewer(s, crm["tenant"], "boss")
        with pytest.raises(FieldErrors) as caught:
            review.edit(s, crm["tenant"], note_id, boss, {"churn_reasons": [
                {"code": "price_terms", "evidence": "your prices are far too high"},
                {"code": "service_neglect", "evidence": "Hi"},
                {"code": "delivery_speed", "evidence": "this is Rita from Schäfer"},
            ]})  # fmt: skip
        assert [(f, c) for f, c, _ in caught.value.problems] == [
            ("churn_reasons.0.evidence", "quote_not_in_transcript"),
            ("churn_reasons.1.evidence", "quote_too_short"),
            ("churn_reasons.2.evidence", "quote_by_rep"),
        ]
        with pytest.raises(FieldErrors) as caught:
            review.edit(s, crm["tenant"], note_id, boss, {"next_steps": [
                {"type": "send_offer", "due_date": "soon"}, {"type": "party"}]})  # fmt: skip
        assert [(f, c) for f, c, _ in caught.value.problems] == [
            ("next_steps.0.due_date", "invalid_date"),
            ("next_steps.1.type", "invalid_choice"),
        ]
        # the customer's own words are accepted and pointed at their turn
        review.edit(s, crm["tenant"], note_id, boss, {"churn_reasons": [
            {"code": "delivery_speed", "evidence": "send us a sample of the new nitrile gloves"}
        ]})  # fmt: skip
        analysis = note_analysis(get_note(s, crm["tenant"], note_id))
        assert analysis is not None and analysis.churn_reasons[0].turn == 1


def test_a_reason_the_note_already_held_is_not_checked_again(
    store: Store, crm: dict[str, int]
) -> None:
    note_id = _note(store, crm, "follow_up", [])
    with store.session() as s:
        # as the analysis of a redacted transcript might have stored it
        note = get_note(s, crm["tenant"], note_id)
        result = dict(note.analysis["result"])
        result["churn_reasons"] = [{"code": "poor_treatment", "evidence": "[PERSON_1] was rude"}]
        note.analysis = {**note.analysis, "result": result}
    with store.session() as s:
        boss = review.reviewer(s, crm["tenant"], "boss")
        review.edit(s, crm["tenant"], note_id, boss, {"churn_reasons": [
            {"code": "poor_treatment", "evidence": "[PERSON_1] was rude"},
            {"code": "delivery_reliability", "evidence": REASON_QUOTE},
        ]})  # fmt: skip
        analysis = note_analysis(get_note(s, crm["tenant"], note_id))
        assert analysis is not None
        assert [(r.code, r.turn) for r in analysis.churn_reasons] == [
            ("poor_treatment", None), ("delivery_reliability", 1)
        ]  # fmt: skip

"""Manager review of draft call notes: approve, edit (every field), reject with a reason.

Only approval changes the CRM record:

* each churn reason becomes a ``ChurnReasonLabel`` row (source "ai" or "edited");
* the outcome stays on the note, which now counts as approved;
* each next step becomes an open ``Task`` with its due date, owned by the
  account's rep; a step the customer owns ("ich rufe Sie am Montag zurück")
  becomes a reminder task for the rep, marked as the customer's;
* ``lost`` sets the account status ``lost``; ``disqualified`` sets
  ``insolvent`` when insolvency is among the reasons and ``lost`` otherwise
  (closed for good, bound to another supplier, need gone: either way the
  plan must stop proposing the account, and ``lost`` is the status that says
  so without claiming an insolvency nobody stated);
* ``follow_up``/``not_now`` without any dated task get a follow-up reminder
  task (14 / 90 days after the call), so an open door is not forgotten.

Every change is an ``AuditEvent`` with the reviewer, the time and the
before/after values.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pydantic
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.analysis.notes import (
    EDITABLE_FIELDS,
    audit,
    draft_analysis,
    get_note,
    note_analysis,
)
from agent.analysis.schema import CallAnalysis
from agent.analysis.tenant_bank import record_review
from agent.catalogue.vocabulary import vocabulary
from agent.crm.models import (
    Account,
    AccountStatus,
    CallNote,
    CallOutcome,
    ChurnReason,
    ChurnReasonLabel,
    NextStepType,
    NoteStatus,
    Role,
    Task,
    User,
)
from agent.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError

REMINDER_DAYS = {"follow_up": 14, "not_now": 90}


def reviewer(session: Session, tenant_id: int, username: str) -> User:
    """The active user ``username``; raise unless they are a manager of the tenant."""
    user = session.scalar(
        select(User).where(User.tenant_id == tenant_id, User.username == username)
    )
    if user is None or not user.active:
        raise NotFoundError(f"User {username!r} does not exist (or is inactive) in this tenant.")
    if user.role != Role.manager:
        raise PermissionDeniedError(
            f"User {username!r} is a {user.role.value}; only a manager may review call notes."
        )
    return user


def _require_open(note: CallNote, allowed: tuple[NoteStatus, ...]) -> None:
    if note.status not in allowed:
        raise ConflictError(
            f"Call note {note.id} is {note.status.value}; only "
            f"{' or '.join(s.value for s in allowed)} notes can be changed this way."
        )


def _now() -> datetime:
    return datetime.now(UTC)


def edit(
    session: Session, tenant_id: int, note_id: int, editor: User, changes: dict[str, Any]
) -> CallNote:
    """Change fields of a draft (also of a failed one, which then becomes a draft again).

    ``changes`` maps field names of :data:`EDITABLE_FIELDS` to new values in
    the shape of :class:`CallAnalysis`; the result is validated as a whole,
    so an unknown code or a bad date is refused and nothing is stored.
    """
    note = get_note(session, tenant_id, note_id)
    _require_open(note, (NoteStatus.pending_review, NoteStatus.failed))
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError(
            f"Cannot edit {', '.join(unknown)}; editable: {', '.join(EDITABLE_FIELDS)}."
        )
    if not changes:
        raise ValidationError("Nothing to change.")
    current = note_analysis(note)
    base: dict[str, Any] = (
        current.to_json() if current else {"language": note.language or "de", "outcome": None}
    )
    merged = {**base, **changes}
    # A field the reviewer sets is no longer uncertain.
    merged["uncertain"] = [u for u in base.get("uncertain") or [] if u.get("field") not in changes]
    try:
        updated = CallAnalysis.model_validate(merged)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValidationError(f"Invalid value for {where}: {first['msg']}") from exc
    new_json = updated.to_json()
    changed = [f for f in changes if base.get(f) != new_json.get(f)]
    before = {f: base.get(f) for f in changed}
    after = {f: new_json.get(f) for f in changed}
    if not changed:
        return note
    note.analysis = {**(note.analysis or {}), "result": new_json}
    note.summary = updated.summary
    note.outcome = CallOutcome(updated.outcome) if updated.outcome else None
    note.sentiment = updated.sentiment
    note.expectations = updated.expectations
    sources = dict(note.field_sources or {name: "ai" for name in EDITABLE_FIELDS})
    for name in changed:
        sources[name] = "edited"
    note.field_sources = sources
    if note.status == NoteStatus.failed:
        before["status"], after["status"] = "failed", "pending_review"
        note.status = NoteStatus.pending_review
    audit(session, tenant_id, editor, "call_note.edit", "call_note", note.id, before, after)
    return note


def reject(session: Session, tenant_id: int, note_id: int, user: User, reason: str) -> CallNote:
    """Reject a draft with a reason; the CRM record stays as it was."""
    if not reason or not reason.strip():
        raise ValidationError("A rejection needs a reason.")
    note = get_note(session, tenant_id, note_id)
    _require_open(note, (NoteStatus.pending_review, NoteStatus.failed))
    before = {"status": note.status.value}
    note.status = NoteStatus.rejected
    note.reviewed_by_id = user.id
    note.reviewed_at = _now()
    note.review_comment = reason.strip()[:2000]
    audit(session, tenant_id, user, "call_note.reject", "call_note", note.id, before,
          {"status": "rejected", "reason": note.review_comment})  # fmt: skip
    return note


def approve(
    session: Session, tenant_id: int, note_id: int, user: User, comment: str | None = None
) -> dict[str, Any]:
    """Approve a draft and apply it to the CRM record; return what was created or changed."""
    note = get_note(session, tenant_id, note_id)
    _require_open(note, (NoteStatus.pending_review,))
    analysis = note_analysis(note)
    if analysis is None:
        raise ConflictError(f"Call note {note.id} has no analysis; edit it before approving.")
    if analysis.outcome is None:
        raise ConflictError(
            f"Call note {note.id} has no outcome: the analysis was not sure. Choose the outcome "
            "(edit the note) before approving."
        )
    account = session.get(Account, note.account_id)
    assert account is not None  # foreign key
    sources = note.field_sources or {}
    label_source = "edited" if sources.get("churn_reasons") == "edited" else "ai"
    labels = []
    for reason in analysis.churn_reasons:
        label = ChurnReasonLabel(
            tenant_id=tenant_id, account_id=account.id, call_note_id=note.id,
                code=ChurnReason(reason.code),
            evidence=reason.evidence, confidence=reason.confidence, source=label_source,
        )  # fmt: skip
        session.add(label)
        labels.append(label)
    session.flush()
    for label in labels:
        audit(session, tenant_id, user, "churn_reason_label.create", "churn_reason_label",
              label.id, None, {"code": label.code.value, "evidence": label.evidence,
                               "source": label.source, "call_note_id": note.id})  # fmt: skip
    tasks = _tasks(note, analysis, account, tenant_id)
    for task in tasks:
        session.add(task)
    session.flush()
    for task in tasks:
        audit(session, tenant_id, user, "task.create", "task", task.id, None,
              {"type": task.type.value, "description": task.description,
               "due_date": task.due_date.isoformat() if task.due_date else None,
               "owner_id": task.owner_id, "call_note_id": note.id})  # fmt: skip
    status_change = _account_status(session, tenant_id, user, account, note, analysis)
    learned = record_review(session, note, draft_analysis(note), analysis)
    before = {"status": note.status.value}
    note.status = NoteStatus.approved
    note.reviewed_by_id = user.id
    note.reviewed_at = _now()
    note.review_comment = comment
    audit(session, tenant_id, user, "call_note.approve", "call_note", note.id, before,
          {"status": "approved", "outcome": analysis.outcome, "comment": comment})  # fmt: skip
    return {
        "note": note.id,
        "labels": [lb.code.value for lb in labels],
        "tasks": [
            {"id": t.id, "type": t.type.value, "due_date": t.due_date, "description": t.description}
            for t in tasks
        ],
        "account_status": status_change,
        "learning_examples": learned,
    }


def _tasks(note: CallNote, analysis: CallAnalysis, account: Account, tenant_id: int) -> list[Task]:
    # A task reads as what to do, in the call's language; the words it rests on stay on the
    # note (a raw quote as task text was unreadable in the task list and the next brief).
    vocab = vocabulary()
    lang = analysis.language
    owner_id = account.owner_id or note.author_id
    tasks: list[Task] = []
    for step in analysis.next_steps:
        if step.type == "none":
            continue
        text = vocab.step_name(step.type, lang)
        if step.owner == "customer":
            text = f"{vocab.word('customer', lang)}: {text}"
        tasks.append(
            Task(
                tenant_id=tenant_id,
                account_id=account.id,
                call_note_id=note.id,
                type=NextStepType(step.type),
                description=text,
                owner_id=owner_id,
                due_date=step.due_date,
            )  # fmt: skip
        )
    days = REMINDER_DAYS.get(analysis.outcome or "")
    if days and not any(t.due_date for t in tasks):
        start = note.call_date or date.today()
        tasks.append(
            Task(
                tenant_id=tenant_id,
                account_id=account.id,
                call_note_id=note.id,
                type=NextStepType.schedule_call,
                description=vocab.word("reminder", lang),
                owner_id=owner_id,
                due_date=start + timedelta(days=days),
            )  # fmt: skip
        )
    return tasks


def _account_status(
    session: Session, tenant_id: int, user: User, account: Account, note: CallNote,
    analysis: CallAnalysis,
) -> dict[str, str] | None:  # fmt: skip
    if analysis.outcome == "lost":
        new = AccountStatus.lost
    elif analysis.outcome == "disqualified":
        insolvent = "insolvency" in analysis.reason_codes
        new = AccountStatus.insolvent if insolvent else AccountStatus.lost
    else:
        return None
    if account.status == new:
        return None
    before = {"status": account.status.value, "status_reason": account.status_reason}
    account.status = new
    account.status_reason = f"call note {note.id}: {analysis.outcome}"
    account.status_changed_at = _now()
    after = {"status": new.value, "status_reason": account.status_reason}
    audit(session, tenant_id, user, "account.status", "account", account.id, before, after)
    return {"from": str(before["status"]), "to": new.value}

"""Manager review of draft call notes: approve, edit (every field), reject with a reason.

Only approval changes the CRM record:

* each churn reason becomes a ``ChurnReasonLabel`` row (source "ai" or
  "edited") with its quote: the account's reason history;
* the outcome stays on the note, which now counts as approved, and is
  applied to the account's status with a readable ``status_reason``:
  ``reactivated`` makes it an active customer again; ``lost`` sets ``lost``;
  ``disqualified`` sets ``insolvent`` when insolvency is among the reasons
  and ``lost`` otherwise (closed for good, bound to another supplier, need
  gone: either way the plan must stop proposing the account, and ``lost`` is
  the status that says so without claiming an insolvency nobody stated);
  ``follow_up``/``not_now`` keep it a lapsed customer with the follow-up date;
* each next step becomes an open ``Task`` owned by the account's rep, named
  by its step type in the call's language (never the customer's sentence),
  due when it was said or a few working days per step type later
  (``due_days`` in the catalogue); a step the customer owns ("ich rufe Sie am
  Montag zurück") becomes the rep's reminder to follow it up;
* ``follow_up``/``not_now`` without any date said in the call get a
  follow-up reminder task (14 / 90 days after the call), so an open door is
  not forgotten.

Every change is an ``AuditEvent`` with the reviewer, the time and the
before/after values.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pydantic
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.analysis import evidence
from agent.analysis.notes import (
    EDITABLE_FIELDS,
    audit,
    draft_analysis,
    get_note,
    note_analysis,
)
from agent.analysis.schema import CallAnalysis, NextStep, Turn
from agent.analysis.sources import turns_from_segments
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
    Transcript,
    User,
)
from agent.errors import (
    ConflictError,
    FieldErrors,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)

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
        raise FieldErrors([_problem(err) for err in exc.errors()]) from exc
    if "churn_reasons" in changes:
        known = {(r.get("code"), r.get("evidence")) for r in base.get("churn_reasons") or []}
        updated = _ground_evidence(session, note, updated, known)
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


#: pydantic error types -> the code of the UI text that explains them.
_PROBLEM_CODES = {
    "literal_error": "invalid_choice",
    "enum": "invalid_choice",
    "string_too_long": "too_long",
    "too_long": "too_many",
    "string_too_short": "required",
    "missing": "required",
    "date_parsing": "invalid_date",
    "date_from_datetime_parsing": "invalid_date",
    "date_from_datetime_inexact": "invalid_date",
    "date_type": "invalid_date",
}


def _problem(err: Any) -> tuple[str, str, str]:
    where = ".".join(str(p) for p in err["loc"])
    return where, _PROBLEM_CODES.get(err["type"], "invalid_value"), str(err["msg"])


def note_transcript(session: Session, note: CallNote) -> Transcript | None:
    """The transcript the note was drafted from (by its id, else by its recording), or None."""
    if note.transcript_id is not None:
        return session.get(Transcript, note.transcript_id)
    if note.recording_id is not None:
        return session.scalar(
            select(Transcript).where(Transcript.recording_id == note.recording_id)
        )
    return None


def note_turns(session: Session, note: CallNote) -> list[Turn] | None:
    """The turns of the note's transcript, or None when the note has none."""
    transcript = note_transcript(session, note)
    if transcript is None:
        return None
    segments = [{"speaker": s.speaker, "text": s.text} for s in transcript.segments]
    return turns_from_segments(segments)


def _ground_evidence(
    session: Session, note: CallNote, analysis: CallAnalysis, known: set[tuple[Any, Any]]
) -> CallAnalysis:
    """Refuse a reviewer's quote that the customer did not say; point new ones at their turn.

    Evidence is the customer's verbatim words (docs/labelling-guidelines.md §0), so a quote
    typed by a reviewer is checked like the model's. Labels the note already
    held as they are (``known``: code and quote) were checked when they were
    made. A note without a transcript (analysed from a file) has nothing to
    check against.
    """
    turns = note_turns(session, note)
    if turns is None:
        return analysis
    problems: list[tuple[str, str, str]] = []
    labels = []
    for i, label in enumerate(analysis.churn_reasons):
        if (label.code, label.evidence) in known:
            labels.append(label)
            continue
        if not label.evidence:
            labels.append(label.model_copy(update={"turn": None}))
            continue
        where = f"churn_reasons.{i}.evidence"
        turn = evidence.find_quote(label.evidence, turns)
        if turn is not None:
            labels.append(label.model_copy(update={"turn": turn}))
        elif len(evidence.normalise(label.evidence)) < evidence.MIN_QUOTE_CHARS:
            problems.append((where, "quote_too_short", "The quote is too short to prove anything."))
        elif evidence.find_quote(label.evidence, turns, speaker="rep") is not None:
            problems.append((where, "quote_by_rep", "The rep said this, not the customer."))
        else:
            problems.append(
                (where, "quote_not_in_transcript", "The customer did not say this in the call.")
            )
    if problems:
        raise FieldErrors(problems)
    return analysis.model_copy(update={"churn_reasons": labels})


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
    tasks = _tasks(session, note, analysis, account, tenant_id)
    for task in tasks:
        session.add(task)
    session.flush()
    for task in tasks:
        audit(session, tenant_id, user, "task.create", "task", task.id, None,
              {"type": task.type.value, "description": task.description,
               "due_date": task.due_date.isoformat() if task.due_date else None,
               "owner_id": task.owner_id, "call_note_id": note.id})  # fmt: skip
    status_change = _account_status(session, tenant_id, user, account, note, analysis, tasks)
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


def add_working_days(start: date, days: int) -> date:
    """``start`` plus ``days`` working days (Monday to Friday)."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def _quotes(session: Session, note: CallNote) -> set[str]:
    """Normalised texts a task must not repeat: the transcript and the machine's step texts."""
    draft = draft_analysis(note)
    texts = {evidence.normalise(s.description) for s in (draft.next_steps if draft else [])}
    turns = note_turns(session, note) or []
    texts.update(evidence.normalise(t.text) for t in turns)
    return {t for t in texts if t}


def _is_quote(description: str, quotes: set[str]) -> bool:
    text = evidence.normalise(description)
    return bool(text) and any(text in q or q in text for q in quotes if len(q) >= 3)


def task_text(step: NextStep, language: str, quotes: set[str]) -> str:
    """What a task says: the step's name in the call's language, plus the reviewer's own words.

    A description that repeats what was said in the call (the analysis copies
    the customer's sentence there) stays on the note: as task text it was
    unreadable in the task list and came back in the next brief's talking
    points. A step the customer owns becomes the rep's reminder to follow it up.
    """
    vocab = vocabulary()
    text = vocab.step_name(step.type, language)
    if step.owner == "customer":
        text = vocab.word("customer_step", language).format(step=text)
    description = (step.description or "").strip()
    # A description that only repeats the step's name ("Angebot") adds nothing to it.
    redundant = evidence.normalise(description) in evidence.normalise(text)
    if description and not redundant and not _is_quote(description, quotes):
        short = description if len(description) <= 120 else description[:119].rstrip() + "…"
        text = f"{text}: {short}"
    return text


def _tasks(
    session: Session, note: CallNote, analysis: CallAnalysis, account: Account, tenant_id: int
) -> list[Task]:
    vocab = vocabulary()
    lang = analysis.language
    owner_id = account.owner_id or note.author_id
    # A step without a spoken date is due a few working days after the call (or after
    # today, when the review came later): a task without a date is never on anyone's list.
    start = max(note.call_date or date.today(), date.today())
    quotes = _quotes(session, note)
    tasks: list[Task] = []
    for step in analysis.next_steps:
        if step.type == "none":
            continue
        due = step.due_date or add_working_days(start, vocab.step_due_days[step.type])
        tasks.append(
            Task(
                tenant_id=tenant_id,
                account_id=account.id,
                call_note_id=note.id,
                type=NextStepType(step.type),
                description=task_text(step, lang, quotes),
                owner_id=owner_id,
                due_date=due,
            )  # fmt: skip
        )
    days = REMINDER_DAYS.get(analysis.outcome or "")
    if days and not any(step.due_date for step in analysis.next_steps):
        tasks.append(
            Task(
                tenant_id=tenant_id,
                account_id=account.id,
                call_note_id=note.id,
                type=NextStepType.schedule_call,
                description=vocab.word("reminder", lang),
                owner_id=owner_id,
                due_date=(note.call_date or date.today()) + timedelta(days=days),
            )  # fmt: skip
        )
    return tasks


def _day(value: date, language: str) -> str:
    return value.strftime("%d.%m.%Y") if language == "de" else value.isoformat()


def _account_status(
    session: Session, tenant_id: int, user: User, account: Account, note: CallNote,
    analysis: CallAnalysis, tasks: list[Task],
) -> dict[str, str] | None:  # fmt: skip
    """Apply the outcome to the account's status and say why in ``status_reason``.

    ``reactivated`` makes the account an active customer again; a lasting
    refusal (``lost``) and ``disqualified`` write it off (see the module
    docstring); ``follow_up``/``not_now`` keep it a lapsed customer to call
    again, with the follow-up date (a written-off account that agreed to a
    next step is active again); ``not_reached`` changes nothing.
    """
    vocab = vocabulary()
    lang = analysis.language
    outcome = analysis.outcome or ""
    day = _day(note.call_date or date.today(), lang)
    name = vocab.outcome_name(outcome, lang)
    if outcome == "reactivated":
        new = AccountStatus.active
        reason = vocab.word("status_reactivated", lang).format(day=day)
    elif outcome in ("lost", "disqualified"):
        insolvent = outcome == "disqualified" and "insolvency" in analysis.reason_codes
        new = AccountStatus.insolvent if insolvent else AccountStatus.lost
        reason = vocab.word("status_closed", lang).format(outcome=name, day=day)
    elif outcome in ("follow_up", "not_now"):
        if account.status in (AccountStatus.insolvent, AccountStatus.do_not_contact):
            return None  # why it must not be called stays what it was
        new = AccountStatus.active
        dates = sorted(t.due_date for t in tasks if t.due_date)
        if not dates:
            return None
        reason = vocab.word("status_follow_up", lang).format(
            outcome=name, due=_day(dates[0], lang), day=day
        )
    else:
        return None
    reason = reason[:1].upper() + reason[1:]
    if account.status == new and account.status_reason == reason:
        return None
    before = {"status": account.status.value, "status_reason": account.status_reason}
    account.status = new
    account.status_reason = reason
    account.status_changed_at = _now()
    after = {"status": new.value, "status_reason": reason, "call_note_id": note.id}
    audit(session, tenant_id, user, "account.status", "account", account.id, before, after)
    return {"from": str(before["status"]), "to": new.value, "reason": reason}

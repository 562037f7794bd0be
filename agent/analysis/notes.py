"""Draft call notes: an analysis stored as ``pending_review`` (or ``failed``) on an account.

A draft changes nothing in the CRM record. Its proposed churn reasons and
next steps live in ``CallNote.analysis`` until a manager approves the note
(:mod:`agent.analysis.review`); only then do they become
``ChurnReasonLabel`` and ``Task`` rows. ``field_sources`` says for every
field whether it is still the AI's ("ai") or was edited by a person.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.analysis.analyzer import AnalysisResult
from agent.analysis.schema import CallAnalysis
from agent.auth import Principal
from agent.crm.models import Account, AuditEvent, CallNote, CallOutcome, NoteStatus, User
from agent.errors import NotFoundError, ValidationError

#: The fields of a note a reviewer can edit, and whose source is tracked.
EDITABLE_FIELDS = (
    "summary",
    "churn_reasons",
    "outcome",
    "next_steps",
    "expectations",
    "sentiment",
)
SYSTEM_ACTOR = "system:analysis"


def audit(
    session: Session,
    tenant_id: int,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: Any,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEvent:
    """Append one audit event (who, when, what, before/after as JSON)."""
    event = AuditEvent(
        tenant_id=tenant_id,
        actor_id=actor.id if actor else None,
        actor_label=actor.username if actor else SYSTEM_ACTOR,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
    )
    session.add(event)
    return event


def store_draft(
    session: Session,
    tenant_id: int,
    account: Account,
    result: AnalysisResult,
    *,
    call_date: date | None,
    recording_id: str | None = None,
    transcript_id: int | None = None,
    author: User | None = None,
) -> CallNote:
    """Store an analysis result as a draft note: ``pending_review``, or ``failed`` with the reason.

    A "no analysis" result (no customer speech) is stored as a normal draft
    with outcome ``not_reached`` and a warning, so a person confirms it.
    """
    if account.tenant_id != tenant_id:
        raise ValidationError("The account belongs to another tenant.")
    analysis = result.analysis
    payload: dict[str, Any] = {
        "design": result.design,
        "status": result.status,
        "latency_s": round(result.latency_s, 3),
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "result": analysis.to_json() if analysis else None,
        # The machine's proposal as it was, for learning from what the reviewer changed.
        "draft": analysis.to_json() if analysis else None,
    }
    if result.redaction_map:
        # The only place the placeholder mapping is kept: our own store.
        payload["redaction_map"] = result.redaction_map
    if result.last_output:
        payload["last_output"] = result.last_output[:4000]
    note = CallNote(
        tenant_id=tenant_id,
        account_id=account.id,
        recording_id=recording_id,
        transcript_id=transcript_id,
        author_id=author.id if author else account.owner_id,
        call_date=call_date,
        status=NoteStatus.failed if result.status == "failed" else NoteStatus.pending_review,
        language=analysis.language if analysis else None,
        summary=analysis.summary if analysis else None,
        outcome=CallOutcome(analysis.outcome) if analysis and analysis.outcome else None,
        sentiment=analysis.sentiment if analysis else None,
        expectations=analysis.expectations if analysis else None,
        analysis=payload,
        field_sources={name: "ai" for name in EDITABLE_FIELDS} if analysis else {},
        model=result.model,
        failure_reason=result.failure_reason,
    )
    session.add(note)
    session.flush()
    audit(
        session, tenant_id, author, "call_note.create", "call_note", note.id, None,
        {"status": note.status.value, "outcome": analysis.outcome if analysis else None},
    )  # fmt: skip
    return note


def note_analysis(note: CallNote | Any) -> CallAnalysis | None:
    """The (possibly edited) analysis held by a note, or None for a failed note."""
    data = (note.analysis or {}).get("result")
    return CallAnalysis.model_validate(data) if data else None


def draft_analysis(note: CallNote | Any) -> CallAnalysis | None:
    """The analysis as the machine proposed it, before any edit (None if not kept)."""
    data = (note.analysis or {}).get("draft")
    return CallAnalysis.model_validate(data) if data else None


def get_note(session: Session, tenant_id: int, note_id: int) -> CallNote:
    """The note ``note_id`` of the tenant, or NotFoundError."""
    note = session.scalar(
        select(CallNote).where(CallNote.tenant_id == tenant_id, CallNote.id == note_id)
    )
    if note is None:
        raise NotFoundError(f"Call note {note_id} does not exist.")
    return note


def list_notes(
    session: Session,
    tenant_id: int,
    status: NoteStatus | str | None = None,
    limit: int = 100,
    *,
    viewer: Principal | None = None,
) -> list[CallNote]:
    """Notes of the tenant, newest first, optionally of one status.

    With a ``viewer``, only the notes that user may see: a rep those on the
    accounts they own, managers and admins every note of the tenant. Without
    one (the operator's command line) every note of the tenant. The web app's
    pages, its API and the CLI all list notes here, so they agree on the scope.
    """
    query = select(CallNote).where(CallNote.tenant_id == tenant_id)
    if viewer is not None and not viewer.sees_team:
        query = query.join(Account, Account.id == CallNote.account_id).where(
            Account.owner_id == viewer.user_id
        )
    if status:
        try:
            query = query.where(CallNote.status == NoteStatus(status))
        except ValueError as exc:
            known = ", ".join(s.value for s in NoteStatus)
            raise ValidationError(f"Unknown note status {status!r}; use one of: {known}.") from exc
    return list(session.scalars(query.order_by(CallNote.id.desc()).limit(limit)))


def note_to_json(
    note: CallNote | Any, account: Account | None = None, *, account_ref: str | None = None
) -> dict[str, Any]:
    """The note as shown by ``winback notes show --json`` (never the redaction mapping).

    ``note`` is a :class:`CallNote` or a row with the same columns (the API's list
    query selects only those); the account is named by ``account``'s external id,
    else ``account_ref``, else the note's account id.
    """
    analysis = note_analysis(note)
    ref = account.external_id if account else account_ref
    return {
        "id": note.id,
        "account": ref if ref is not None else note.account_id,
        "status": note.status.value,
        "call_date": note.call_date.isoformat() if note.call_date else None,
        "language": note.language,
        "summary": note.summary,
        "outcome": note.outcome.value if note.outcome else None,
        "outcome_confidence": analysis.outcome_confidence if analysis else None,
        "outcome_evidence": analysis.outcome_evidence if analysis else None,
        "uncertain": [u.model_dump(mode="json") for u in analysis.uncertain] if analysis else [],
        "churn_reasons": [r.model_dump(mode="json") for r in analysis.churn_reasons]
        if analysis
        else [],
        "next_steps": [s.model_dump(mode="json") for s in analysis.next_steps] if analysis else [],
        "expectations": note.expectations,
        "sentiment": note.sentiment,
        "warnings": analysis.warnings if analysis else [],
        "field_sources": note.field_sources or {},
        "model": note.model,
        "failure_reason": note.failure_reason,
        "review_comment": note.review_comment,
        "reviewed_at": note.reviewed_at.isoformat() if note.reviewed_at else None,
    }

"""The data subject of an erasure or export: an account or a contact, and what hangs off it.

:func:`find_subject` resolves an external id to the ids of every row that
belongs to the subject, table by table, so erasure and export work from the
same definition. What counts as "belonging" is decided here:

* **account**: every row carrying its ``account_id`` (contacts, orders and
  their lines, notes, consent records, recordings, transcripts, call notes,
  labels, tasks, briefs).
* **contact**: the contact row; notes linked to it (``contact_id``); the
  consent records it gave (linked, or ``given_by`` equal to its name within
  the account) and the recordings made under them or linked to it, with
  their transcripts, call notes, labels and tasks; and all briefs of the
  account, because briefs are derived text that names the contacts and can
  be generated again. Orders belong to the company, not the person.
  Mentions of the contact's name, e-mail or phone in the account's other
  texts are listed in ``mentions`` for scrubbing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from agent.crm.lookup import find_account, find_contact
from agent.crm.models import (
    CallNote,
    CallRecording,
    ChurnReasonLabel,
    ConsentRecord,
    Contact,
    Note,
    Order,
    PipelineJob,
    StoredBrief,
    Task,
    Transcript,
)
from agent.errors import ValidationError

SUBJECT_KINDS = ("account", "contact")


@dataclass
class Subject:
    """Ids of everything stored about one account or contact within one tenant."""

    tenant_id: int
    kind: str
    external_id: str
    account_id: int
    contact_id: int | None = None
    contact_ids: list[int] = field(default_factory=list)
    contact_external_ids: list[str] = field(default_factory=list)
    order_ids: list[int] = field(default_factory=list)
    note_ids: list[int] = field(default_factory=list)
    consent_ids: list[int] = field(default_factory=list)
    recording_ids: list[str] = field(default_factory=list)
    audio_keys: list[str] = field(default_factory=list)
    transcript_ids: list[int] = field(default_factory=list)
    call_note_ids: list[int] = field(default_factory=list)
    label_ids: list[int] = field(default_factory=list)
    task_ids: list[int] = field(default_factory=list)
    brief_ids: list[int] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)

    def audit_refs(self) -> dict[str, list[Any]]:
        """Object type -> ids, as the audit log names them."""
        refs: dict[str, list[Any]] = {
            "contact": self.contact_ids,
            "note": self.note_ids,
            "consent_record": self.consent_ids,
            "recording": self.recording_ids,
            "transcript": self.transcript_ids,
            "call_note": self.call_note_ids,
            "churn_reason_label": self.label_ids,
            "task": self.task_ids,
            "brief": self.brief_ids,
        }
        if self.kind == "account":
            refs["account"] = [self.account_id]
            refs["order"] = self.order_ids
        return refs

    def index_sources(self) -> list[str]:
        """History-index source ids of the subject's indexed records."""
        return (
            [f"note:{i}" for i in self.note_ids]
            + [f"call_note:{i}" for i in self.call_note_ids]
            + [f"transcript:{i}" for i in self.transcript_ids]
        )


def _ids(session: Session, query: Any) -> list[Any]:
    return sorted(set(session.scalars(query)))


def find_subject(session: Session, tenant_id: int, kind: str, external_id: str) -> Subject:
    """Collect the ids of everything stored about the account or contact ``external_id``."""
    if kind not in SUBJECT_KINDS:
        raise ValidationError(f"Unknown subject kind {kind!r}: use account or contact.")
    external_id = (external_id or "").strip()
    if not external_id:
        raise ValidationError("The external id of the subject is empty.")
    if kind == "account":
        account = find_account(session, tenant_id, external_id, by_id=False)
        subject = Subject(tenant_id, kind, external_id, account.id)
        _collect_account(session, subject)
    else:
        contact = find_contact(session, tenant_id, external_id)
        subject = Subject(tenant_id, kind, external_id, contact.account_id, contact.id)
        _collect_contact(session, subject, contact)
    _collect_derived(session, subject)
    return subject


def _collect_account(session: Session, s: Subject) -> None:
    acc = s.account_id
    contacts = session.execute(
        select(Contact.id, Contact.external_id).where(Contact.account_id == acc)
    )
    for contact_id, contact_external in contacts:
        s.contact_ids.append(contact_id)
        if contact_external:
            s.contact_external_ids.append(contact_external)
    s.order_ids = _ids(session, select(Order.id).where(Order.account_id == acc))
    s.note_ids = _ids(session, select(Note.id).where(Note.account_id == acc))
    s.consent_ids = _ids(session, select(ConsentRecord.id).where(ConsentRecord.account_id == acc))
    s.recording_ids = _ids(session, select(CallRecording.id).where(CallRecording.account_id == acc))
    s.transcript_ids = _ids(session, select(Transcript.id).where(Transcript.account_id == acc))
    s.call_note_ids = _ids(session, select(CallNote.id).where(CallNote.account_id == acc))


def _collect_contact(session: Session, s: Subject, contact: Contact) -> None:
    acc = s.account_id
    s.contact_ids = [contact.id]
    if contact.external_id:
        s.contact_external_ids = [contact.external_id]
    s.note_ids = _ids(session, select(Note.id).where(Note.contact_id == contact.id))
    # Consent given by this person (linked, or by name within the account) means the
    # recordings made under it hold their voice.
    s.consent_ids = _ids(
        session,
        select(ConsentRecord.id).where(
            ConsentRecord.account_id == acc,
            or_(
                ConsentRecord.contact_id == contact.id,
                func.lower(ConsentRecord.given_by) == contact.name.strip().lower(),
            ),
        ),
    )
    s.recording_ids = _ids(
        session,
        select(CallRecording.id).where(
            CallRecording.account_id == acc,
            or_(
                CallRecording.contact_id == contact.id,
                CallRecording.consent_id.in_(s.consent_ids or [-1]),
            ),
        ),
    )
    # A consent record still needed by a recording of someone else stays (it is that
    # recording's legal basis); in practice consent and recording share the person.
    s.transcript_ids = _ids(
        session, select(Transcript.id).where(Transcript.recording_id.in_(s.recording_ids or [""]))
    )
    s.call_note_ids = _ids(
        session,
        select(CallNote.id).where(
            CallNote.account_id == acc,
            or_(
                CallNote.recording_id.in_(s.recording_ids or [""]),
                CallNote.transcript_id.in_(s.transcript_ids or [-1]),
            ),
        ),
    )
    s.mentions = sorted(
        {
            v.strip()
            for v in (contact.name, contact.email, contact.phone)
            if v and len(v.strip()) >= 3
        },
        key=len,
        reverse=True,  # longest first, so "Anna Schmidt" goes before a shorter overlap
    )


def _collect_derived(session: Session, s: Subject) -> None:
    notes = s.call_note_ids or [-1]
    s.label_ids = _ids(
        session, select(ChurnReasonLabel.id).where(ChurnReasonLabel.call_note_id.in_(notes))
    )
    s.task_ids = _ids(session, select(Task.id).where(Task.call_note_id.in_(notes)))
    if s.kind == "account":
        s.task_ids = _ids(session, select(Task.id).where(Task.account_id == s.account_id))
    s.brief_ids = _ids(
        session, select(StoredBrief.id).where(StoredBrief.account_id == s.account_id)
    )
    keys: set[str] = set()
    if s.recording_ids:
        for key in session.scalars(
            select(CallRecording.storage_key).where(CallRecording.id.in_(s.recording_ids))
        ):
            if key:
                keys.add(key)
        for details in session.scalars(
            select(PipelineJob.details).where(
                PipelineJob.recording_id.in_(s.recording_ids), PipelineJob.step == "decode"
            )
        ):
            normalised = (details or {}).get("normalised_key")
            if normalised:
                keys.add(str(normalised))
    s.audio_keys = sorted(keys)

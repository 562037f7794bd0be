"""What the rep's call page shows: the brief's sources as records, the contact, the exclusion.

A brief cites its records by id (``order:79``, ``note:12``); the page shows
each cited record once, in a numbered list under the brief, and every
claim links to its numbers, so the question and the talking points stay
readable and a click opens the order or note behind a claim. Recordings
of the account are listed with their stage (:mod:`agent.calls.progress`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.crm.models import (
    DO_NOT_CALL,
    Account,
    CallNote,
    CallRecording,
    Contact,
    Note,
    Order,
    OrderLine,
)
from api.i18n import format_date, format_money, text
from api.schemas.recordings import StageOut
from api.services.recordings import stage_out

#: How many source numbers a claim shows before "+N".
SHOWN_SOURCES = 3
#: Characters of a note's text shown in the source list.
NOTE_EXCERPT = 240


@dataclass(frozen=True)
class Source:
    """One cited record: its number on the page, what it is, and where it opens."""

    number: int
    ref: str
    label: str
    detail: str
    href: str | None


def _record_id(ref: str) -> tuple[str, int] | None:
    kind, _, raw = ref.partition(":")
    return (kind, int(raw)) if raw.isdigit() else None


def cited_refs(brief: dict[str, Any]) -> list[str]:
    """Every record id the brief cites, in the order a reader meets them."""
    refs: list[str] = []
    parts = [
        *(brief.get("key_facts") or []),
        *(brief.get("situation") or []),
        *(brief.get("talking_points") or []),
    ]
    for part in parts:
        refs.extend(part.get("sources") or [])
    for hyp in brief.get("churn_hypotheses") or []:
        refs.extend(e.get("source") for e in hyp.get("evidence") or [] if e.get("source"))
    return list(dict.fromkeys(r for r in refs if r))


def resolve_sources(
    session: Session, account: Account, refs: list[str], language: str
) -> dict[str, Source]:
    """The records behind ``refs`` of ``account``, numbered 1.. in order (unknown ones kept)."""
    wanted: dict[str, set[int]] = {}
    for ref in refs:
        parsed = _record_id(ref)
        if parsed:
            wanted.setdefault(parsed[0], set()).add(parsed[1])
    line_orders: dict[int, int] = {}
    if wanted.get("order_line"):
        for line_id, order_id in session.execute(
            select(OrderLine.id, OrderLine.order_id).where(OrderLine.id.in_(wanted["order_line"]))
        ):
            line_orders[line_id] = order_id
        wanted.setdefault("order", set()).update(line_orders.values())
    orders = {
        o.id: o
        for o in session.scalars(
            select(Order).where(
                Order.id.in_(wanted.get("order", set())), Order.account_id == account.id
            )
        )
    }
    notes = {
        n.id: n
        for n in session.scalars(
            select(Note).where(
                Note.id.in_(wanted.get("note", set())), Note.account_id == account.id
            )
        )
    }
    calls = {
        c.id: c
        for c in session.scalars(
            select(CallNote).where(
                CallNote.id.in_(wanted.get("call_note", set())), CallNote.account_id == account.id
            )
        )
    }
    out: dict[str, Source] = {}
    numbers: dict[tuple[str, int], Source] = {}
    for ref in refs:
        parsed = _record_id(ref)
        kind, rid = parsed if parsed else (ref, 0)
        if kind == "order_line" and rid in line_orders:
            kind, rid = "order", line_orders[rid]
        if kind not in ("order", "note", "call_note", "contact"):
            kind, rid = "account", 0  # the account record, its lines and tasks: one source
        key = (kind, rid)
        if key not in numbers:
            numbers[key] = _source(len(numbers) + 1, ref, key, account, orders, notes, calls,
                                   language)  # fmt: skip
        out[ref] = numbers[key]
    return out


def _source(
    number: int, ref: str, key: tuple[str, int], account: Account, orders: dict[int, Order],
    notes: dict[int, Note], calls: dict[int, CallNote], language: str,
) -> Source:  # fmt: skip
    kind, rid = key
    if kind == "order" and rid in orders:
        order = orders[rid]
        detail = (
            f"{format_date(order.order_date, language)} · "
            f"{format_money(order.total_amount, language)}"
        )
        label = f"{text('source_order', language)} {order.external_id}"
        return Source(number, ref, label, detail, f"/accounts/{account.id}#orders")
    if kind == "note" and rid in notes:
        note = notes[rid]
        label = f"{text('note_kind_' + note.kind.value, language)} {note.subject or ''}".strip()
        body = (note.body or "").strip()
        excerpt = body[:NOTE_EXCERPT] + ("…" if len(body) > NOTE_EXCERPT else "")
        detail = f"{format_date(note.occurred_at, language)} · {excerpt}"
        return Source(number, ref, label, detail, f"/accounts/{account.id}#notes")
    if kind == "call_note" and rid in calls:
        call = calls[rid]
        label = f"{text('source_call', language)} #{call.id}"
        return Source(
            number, ref, label, format_date(call.call_date, language), f"/notes/{call.id}"
        )
    if kind == "contact":
        return Source(number, ref, text("contact", language), "", None)
    return Source(number, ref, text("source_account", language), "", f"/accounts/{account.id}")


def cited_sources(sources: dict[str, Source], refs: Iterable[str] | None) -> list[Source]:
    """The distinct records behind ``refs``, in number order (for a claim's links)."""
    found = {sources[r].number: sources[r] for r in refs or () if r in sources}
    return [found[n] for n in sorted(found)]


def primary_contact(session: Session, account: Account) -> Contact | None:
    """The contact to call: the primary one, else the first with a phone number."""
    contacts = list(
        session.scalars(
            select(Contact)
            .where(Contact.account_id == account.id)
            .order_by(Contact.is_primary.desc(), Contact.id)
        )
    )
    with_phone = [c for c in contacts if c.phone]
    return (with_phone or contacts)[0] if contacts else None


def tel_href(phone: str) -> str:
    """A ``tel:`` link of ``phone``: digits and a leading ``+`` only."""
    kept = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    return "tel:" + (kept[0] + kept[1:].replace("+", "") if kept else "")


def is_excluded(account: Account) -> bool:
    """Whether the account is marked not to be called (no upload is taken for it either)."""
    return account.status in DO_NOT_CALL


@dataclass(frozen=True)
class RecordingRow:
    """A recording in a list: when, how long, its stage."""

    id: str
    account_id: int
    account_name: str
    created_at: Any
    duration_s: float | None
    note_id: int | None
    stage: StageOut


def recording_rows(
    session: Session, recordings: list[CallRecording], language: str
) -> list[RecordingRow]:
    """``recordings`` with their stage and estimate, for the lists of the rep's pages."""
    from agent.calls.progress import measure_speeds

    if not recordings:
        return []
    speeds = measure_speeds(session, recordings[0].tenant_id)
    ids = [r.id for r in recordings]
    notes = dict(
        session.execute(
            select(CallNote.recording_id, CallNote.id).where(CallNote.recording_id.in_(ids))
        ).all()
    )
    names = dict(
        session.execute(
            select(Account.id, Account.name).where(
                Account.id.in_({r.account_id for r in recordings})
            )
        ).all()
    )
    return [
        RecordingRow(
            id=r.id,
            account_id=r.account_id,
            account_name=names.get(r.account_id, str(r.account_id)),
            created_at=r.created_at,
            duration_s=r.duration_s,
            note_id=notes.get(r.id),
            stage=stage_out(session, r, notes.get(r.id), language, speeds),
        )
        for r in recordings
    ]

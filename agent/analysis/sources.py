"""Building the analyzer's input from a transcript file or from the CRM store.

Accepted transcript files (JSON): a call in the eval-set shape (``turns``,
optional ``call_date``, ``language``, ``account``), a bare list of turns,
or the output of ``winback transcribe --json`` (``segments`` with speakers).
Segments of the same speaker in a row are joined into one turn; a segment
whose speaker is unknown counts as the customer's, because the rep's own
words are never evidence and dropping them loses less than dropping a
customer's reason (two-channel recordings always know the speaker).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pydantic
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.analysis.analyzer import transcript_language
from agent.analysis.schema import AccountContext, CallInput, Turn
from agent.codes import is_language_code, parse_language_code
from agent.crm.models import Account, Note, Order, Transcript
from agent.errors import NotFoundError, ValidationError

MAX_FILE_BYTES = 5_000_000


def turns_from_segments(segments: list[dict[str, Any]]) -> list[Turn]:
    """Join consecutive segments of one speaker into turns (unknown speaker → customer)."""
    turns: list[Turn] = []
    for seg in segments:
        text = str(seg.get("text") or "").strip()
        if not text:
            continue
        speaker = seg.get("speaker") if seg.get("speaker") in ("rep", "customer") else "customer"
        if turns and turns[-1].speaker == speaker:
            turns[-1] = Turn(speaker=speaker, text=f"{turns[-1].text} {text}")
        else:
            turns.append(Turn(speaker=speaker, text=text))
    return turns


def _pydantic_message(exc: pydantic.ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "input"
    return f"{where}: {first['msg']}"


def input_from_file(
    path: Path,
    *,
    call_date: date | None = None,
    language: str | None = None,
    account: AccountContext | None = None,
) -> CallInput:
    """Read a transcript file into a :class:`CallInput`; ValidationError on bad content."""
    if not path.is_file():
        raise NotFoundError(f"Transcript file {path} does not exist.")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValidationError(f"{path} is larger than {MAX_FILE_BYTES // 1_000_000} MB.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{path} is not a JSON transcript: {exc}") from exc
    if isinstance(data, list):
        data = {"turns": data}
    if not isinstance(data, dict):
        raise ValidationError(f"{path} must hold a JSON object or a list of turns.")
    if "turns" in data:
        raw_turns = data["turns"]
    elif "segments" in data:
        if not isinstance(data["segments"], list):
            raise ValidationError(f"{path}: 'segments' must be a list.")
        raw_turns = [t.model_dump() for t in turns_from_segments(data["segments"])]
    else:
        raise ValidationError(f"{path} has neither 'turns' nor 'segments'.")
    if not isinstance(raw_turns, list):
        raise ValidationError(f"{path}: 'turns' must be a list of {{speaker, text}}.")
    values = {
        "turns": raw_turns,
        "call_date": call_date or data.get("call_date") or date.today(),
        "language": language or data.get("language") or None,
        "account": account.model_dump() if account else data.get("account") or {},
    }
    if values["language"] not in ("de", "en"):
        values["language"] = transcript_language(raw_turns) if raw_turns else "de"
    try:
        return CallInput.model_validate(values)
    except pydantic.ValidationError as exc:
        raise ValidationError(f"{path}: {_pydantic_message(exc)}") from exc


def account_context(
    session: Session, account: Account, before: date | None = None
) -> AccountContext:
    """The account's context for the analysis: master data, last order, the latest notes."""
    last_order = session.scalar(
        select(Order.order_date)
        .where(Order.account_id == account.id, Order.is_cancellation.is_(False))
        .order_by(Order.order_date.desc())
        .limit(1)
    )
    query = select(Note).where(Note.account_id == account.id)
    notes = list(session.scalars(query.order_by(Note.occurred_at.desc()).limit(5)))
    primary = next((c for c in account.contacts if c.is_primary), None)
    return AccountContext(
        name=account.name,
        industry=account.industry,
        city=account.city,
        contact=f"{primary.name} ({primary.title})" if primary and primary.title else
        (primary.name if primary else None),
        last_order_date=last_order.date().isoformat() if last_order else None,
        notes=[
            f"{n.occurred_at.date().isoformat()}: {' '.join(n.body.split())[:300]}"
            for n in reversed(notes)
            if before is None or n.occurred_at.date() < before
        ],
    )  # fmt: skip


def input_from_transcript(
    session: Session, transcript: Transcript, account: Account, call_date: date | None
) -> CallInput:
    """The analyzer input for a stored transcript (segments → turns) of ``account``."""
    turns = turns_from_segments(
        [{"speaker": s.speaker, "text": s.text} for s in transcript.segments]
    )
    language = transcript.language if is_language_code(transcript.language) else None
    return CallInput(
        turns=turns,
        call_date=call_date or transcript.created_at.date(),
        language=language
        or (transcript_language(turns) if turns else parse_language_code(account.language.value)),
        account=account_context(session, account, call_date),
    )

"""The note page: a call note with its transcript, its recording and (for managers) the editor.

Rendered by ``GET /notes/{id}`` and again, with the reviewer's input and the
problems next to each field, by a review form that could not be saved
(status 422), so nothing the reviewer typed is lost.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from agent.analysis.evidence import normalise
from agent.crm.models import CallNote, CallRecording
from api.note_form import OWNERS, SENTIMENTS, Editor, default_due_days, editor_from_note
from api.services.notes import note_detail
from api.views import render


def timestamp(seconds: float) -> str:
    """``m:ss`` of a segment start."""
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def highlight(text: str, quotes: list[str]) -> list[tuple[str, bool]]:
    """Split ``text`` into pieces, marking those that are (case-insensitively) an evidence quote.

    The pieces stay plain strings, so the template escapes them; only the
    ``<mark>`` around a hit is markup.
    """
    lowered = text.lower()
    spans: list[tuple[int, int]] = []
    for quote in quotes:
        q = quote.strip().lower()
        if not q:
            continue
        start = lowered.find(q)
        while start != -1:
            spans.append((start, start + len(q)))
            start = lowered.find(q, start + len(q))
    if not spans:
        return [(text, False)]
    spans.sort()
    pieces: list[tuple[str, bool]] = []
    pos = 0
    for start, end in spans:
        if start < pos:
            continue
        if start > pos:
            pieces.append((text[pos:start], False))
        pieces.append((text[start:end], True))
        pos = end
    if pos < len(text):
        pieces.append((text[pos:], False))
    return pieces


def quote_start(quote: str | None, segments: list[dict[str, Any]]) -> float | None:
    """Where in the recording ``quote`` was said: the start of the segment holding it."""
    needle = normalise(quote or "")
    if not needle:
        return None
    for seg in segments:
        if needle in normalise(seg["text"]):
            return float(seg["start"])
    # A quote over two segments of one turn: the segment where its first words are.
    head = " ".join(needle.split()[:4])
    for seg in segments:
        if head and head in normalise(seg["text"]):
            return float(seg["start"])
    return None


def has_audio(session: Session, note: CallNote) -> bool:
    """True when the note's recording is still stored (retention may have deleted it)."""
    if note.recording_id is None:
        return False
    recording = session.get(CallRecording, note.recording_id)
    return bool(recording and recording.storage_key and recording.audio_deleted_at is None)


def render_note(
    request: Request,
    session: Session,
    note: CallNote,
    editor: Editor | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The note page; ``editor`` carries a posted form with its problems."""
    data = note_detail(session, note).model_dump(mode="json")
    raw = (data["transcript"] or {}).get("segments", [])
    quotes = [r["evidence"] for r in data["churn_reasons"] if r.get("evidence")]
    segments = [
        {
            "ts": timestamp(s["start"]),
            "start": s["start"],
            "speaker": s["speaker"],
            "text": s["text"],
            "parts": highlight(s["text"], quotes),
        }
        for s in raw
    ]
    starts = {r["code"]: quote_start(r.get("evidence"), raw) for r in data["churn_reasons"]}
    stored = has_audio(session, note)
    return render(
        request,
        "note.html",
        status_code=status_code,
        note=data,
        segments=segments,
        quote_starts=starts,
        outcome_start=quote_start(data.get("outcome_evidence"), raw),
        audio_url=f"/api/notes/{note.id}/audio" if stored else None,
        audio_gone=note.recording_id is not None and not stored,
        editor=editor or editor_from_note(data),
        due_days=default_due_days(),
        sentiments=SENTIMENTS,
        owners=OWNERS,
        customer_lines=[s["text"] for s in raw if s["speaker"] != "rep"],
    )

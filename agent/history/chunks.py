"""Turning CRM records into dated, attributed text chunks for the history index.

Every chunk names the record it came from with a *source id* of the form
``<kind>:<primary key>`` (``note:12``, ``call_note:3``, ``transcript:5``), the
same ids the brief cites. Transcripts are chunked by speaker turns: consecutive
segments of one speaker form a turn, and a chunk holds whole turns (each with
its start/end time) up to a size limit, so a retrieved chunk always reads as a
piece of dialogue with timestamps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from agent.crm.models import CallNote, Note, NoteStatus, Transcript

#: Upper bound of a chunk's text. USE-m-v3 handles longer input, but shorter
#: chunks make hits precise and keep the brief prompt small.
MAX_CHUNK_CHARS = 900


@dataclass(frozen=True)
class HistoryChunk:
    """One piece of indexed text with the metadata every query filters on."""

    source_id: str
    seq: int
    tenant_id: int
    account_id: int
    kind: str
    day: date
    text: str
    extra: dict[str, float | int | str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The Chroma id: source id plus the chunk's position in its record."""
        return f"{self.source_id}#{self.seq}"

    def metadata(self) -> dict[str, str | int | float]:
        """Metadata stored next to the vector (tenant and account are always present)."""
        return {
            "tenant_id": self.tenant_id,
            "account_id": self.account_id,
            "kind": self.kind,
            "date": self.day.isoformat(),
            "date_ord": self.day.toordinal(),
            "source_id": self.source_id,
            "seq": self.seq,
            **self.extra,
        }


def source_id(kind: str, key: int | str) -> str:
    """Build the source id that briefs cite, e.g. ``source_id("note", 7) == "note:7"``."""
    return f"{kind}:{key}"


def stamp(value: object) -> str:
    """A record's change stamp as stored in the index (compared to spot stale chunks)."""
    if isinstance(value, datetime):
        value = value.replace(tzinfo=None)
    return str(value)


def _day(value: date | datetime | None, fallback: date | datetime | None = None) -> date:
    value = value or fallback
    if value is None:
        return date.today()
    return value.date() if isinstance(value, datetime) else value


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def split_text(text: str, limit: int = MAX_CHUNK_CHARS) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters at paragraph/sentence ends."""
    text = text.strip()
    if not text:
        return []
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    sentences = [s for p in re.split(r"\n\s*\n", text) for s in _SENTENCE_END.split(p) if s]
    for sentence in sentences:
        # A single overlong sentence is cut hard; rare in CRM notes.
        while len(sentence) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:limit])
            sentence = sentence[limit:]
        candidate = f"{current} {sentence}".strip() if current else sentence
        if len(candidate) > limit:
            pieces.append(current)
            current = sentence
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def note_chunks(note: Note) -> list[HistoryChunk]:
    """Chunks of a CRM note/interaction/complaint; the subject heads the first chunk."""
    kind = note.kind.value if hasattr(note.kind, "value") else str(note.kind)
    text = f"{note.subject}\n{note.body}" if note.subject else note.body
    return [
        HistoryChunk(
            source_id=source_id("note", note.id),
            seq=i,
            tenant_id=note.tenant_id,
            account_id=note.account_id,
            kind=kind,
            day=_day(note.occurred_at),
            text=piece,
            extra={"stamp": stamp(note.updated_at)},
        )
        for i, piece in enumerate(split_text(text or ""))
    ]


def call_note_chunks(call_note: CallNote) -> list[HistoryChunk]:
    """Chunks of an analysed call's summary; only approved notes are indexed.

    Drafts may still be wrong and rejected drafts are wrong by definition, so
    neither should feed a brief; once a manager approves, the note is synced.
    """
    if call_note.status != NoteStatus.approved:
        return []
    parts = [call_note.summary or ""]
    if call_note.expectations:
        parts.append(call_note.expectations)
    text = "\n".join(p for p in parts if p)
    outcome = call_note.outcome.value if call_note.outcome else ""
    return [
        HistoryChunk(
            source_id=source_id("call_note", call_note.id),
            seq=i,
            tenant_id=call_note.tenant_id,
            account_id=call_note.account_id,
            kind="call_summary",
            day=_day(call_note.call_date, call_note.created_at),
            text=piece,
            extra={"outcome": outcome, "stamp": stamp(call_note.updated_at)},
        )
        for i, piece in enumerate(split_text(text))
    ]


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes:02d}:{secs:02d}"


def transcript_chunks(
    transcript: Transcript, call_day: date | None = None, limit: int = MAX_CHUNK_CHARS
) -> list[HistoryChunk]:
    """Chunks of a transcript, made of whole speaker turns with their timestamps."""
    turns: list[tuple[float, float, str, str]] = []
    for seg in transcript.segments:
        speaker = seg.speaker or "?"
        text = seg.text.strip()
        if not text:
            continue
        if turns and turns[-1][2] == speaker:
            start, _, _, prev = turns[-1]
            turns[-1] = (start, seg.end_s, speaker, f"{prev} {text}")
        else:
            turns.append((seg.start_s, seg.end_s, speaker, text))
    if not turns and transcript.text.strip():
        turns = [(0.0, transcript.duration_s or 0.0, "?", transcript.text.strip())]

    chunks: list[HistoryChunk] = []
    lines: list[str] = []
    span: list[float] = []

    def flush() -> None:
        if not lines:
            return
        chunks.append(
            HistoryChunk(
                source_id=source_id("transcript", transcript.id),
                seq=len(chunks),
                tenant_id=transcript.tenant_id,
                account_id=transcript.account_id,
                kind="transcript",
                day=_day(call_day, transcript.created_at),
                text="\n".join(lines),
                extra={"start_s": span[0], "end_s": span[-1]},
            )
        )
        lines.clear()
        span.clear()

    for start, end, speaker, text in turns:
        for piece in split_text(text, limit):
            line = f"[{_clock(start)}–{_clock(end)}] {speaker}: {piece}"
            if lines and sum(len(x) + 1 for x in lines) + len(line) > limit:
                flush()
            lines.append(line)
            span.extend([start, end])
    flush()
    return chunks

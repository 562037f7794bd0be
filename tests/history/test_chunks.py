"""Chunking of notes and transcripts (speaker turns with timestamps)."""

from __future__ import annotations

from datetime import date, datetime

from agent.crm.models import Note, NoteKind, Transcript, TranscriptSegment
from agent.history.chunks import MAX_CHUNK_CHARS, note_chunks, split_text, transcript_chunks


def test_split_text_keeps_short_text_and_cuts_long_text_at_sentences() -> None:
    assert split_text("  Kurz.  ") == ["Kurz."]
    assert split_text("") == []
    text = " ".join(f"Satz Nummer {i} ist da." for i in range(200))
    pieces = split_text(text, limit=120)
    assert all(len(p) <= 120 for p in pieces)
    assert all(p.endswith(".") for p in pieces)
    assert " ".join(pieces) == text


def test_note_chunk_carries_subject_metadata_and_source_id() -> None:
    note = Note(
        id=7,
        tenant_id=3,
        account_id=5,
        kind=NoteKind.complaint,
        occurred_at=datetime(2025, 4, 2, 10),
        subject="Lieferverzug",
        body="Zu spät.",
    )
    [chunk] = note_chunks(note)
    assert chunk.id == "note:7#0"
    assert chunk.text == "Lieferverzug\nZu spät."
    meta = chunk.metadata()
    assert meta["tenant_id"] == 3 and meta["account_id"] == 5
    assert meta["kind"] == "complaint" and meta["date"] == "2025-04-02"
    assert meta["source_id"] == "note:7"


def test_transcript_chunks_merge_speaker_turns_with_timestamps() -> None:
    transcript = Transcript(
        id=4, tenant_id=1, account_id=2, text="", created_at=datetime(2026, 1, 1)
    )
    rows = [
        (0.0, 2.5, "rep", "Guten Tag, Frau Pfeiffer."),
        (2.5, 4.0, "rep", "Wie geht es Ihnen?"),
        (4.0, 9.2, "customer", "Ehrlich gesagt, die Lieferungen kamen oft zu spät."),
        (65.0, 70.0, "rep", "Das tut mir leid."),
    ]
    transcript.segments = [
        TranscriptSegment(idx=i, start_s=a, end_s=b, speaker=s, text=t)
        for i, (a, b, s, t) in enumerate(rows)
    ]
    [chunk] = transcript_chunks(transcript, call_day=date(2025, 10, 1))
    lines = chunk.text.splitlines()
    assert lines == [
        "[00:00–00:04] rep: Guten Tag, Frau Pfeiffer. Wie geht es Ihnen?",
        "[00:04–00:09] customer: Ehrlich gesagt, die Lieferungen kamen oft zu spät.",
        "[01:05–01:10] rep: Das tut mir leid.",
    ]
    assert chunk.day == date(2025, 10, 1)
    assert chunk.extra == {"start_s": 0.0, "end_s": 70.0}


def test_long_transcripts_split_between_turns() -> None:
    transcript = Transcript(
        id=1, tenant_id=1, account_id=1, text="", created_at=datetime(2026, 1, 1)
    )
    transcript.segments = [
        TranscriptSegment(
            idx=i,
            start_s=i * 10.0,
            end_s=i * 10.0 + 9,
            speaker=("rep", "kunde")[i % 2],
            text=f"Das ist Beitrag {i} mit etwas mehr Text darin, damit es länger wird.",
        )
        for i in range(60)
    ]
    chunks = transcript_chunks(transcript)
    assert len(chunks) > 1
    assert [c.seq for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert len(chunk.text) <= MAX_CHUNK_CHARS
        assert all(line.startswith("[") and "] " in line for line in chunk.text.splitlines())

"""Single-channel calls through the real pipeline: upload, local Whisper, speaker split.

The short one (the JFK clip shipped in tests/fixtures) runs everywhere: one
voice, so the transcript says it does not know who spoke. The rendered
phone call from ../shared is split into rep and customer by voice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from agent.calls.status import get_transcript
from agent.crm.db import Store
from agent.crm.models import PipelineJob
from agent.jobs.worker import embedded_worker
from tests.calls.test_end_to_end import prepare, upload, wait_done, whisper_or_skip

pytestmark = [pytest.mark.local_model, pytest.mark.slow]

JFK = Path(__file__).resolve().parents[1] / "fixtures/audio/jfk.flac"


def transcribed(store: Store, recording_id: str) -> dict[str, Any]:
    """The transcript as the transcribe step left it (with its speaker flag)."""
    with store.session() as session:
        details = session.scalar(
            select(PipelineJob.details).where(
                PipelineJob.recording_id == recording_id, PipelineJob.step == "transcribe"
            )
        )
    assert details is not None
    return dict(details["transcript"])


def test_a_short_mono_call_is_labelled_as_one_speaker(sqlite_url: str, consent: dict) -> None:
    settings, store = prepare(sqlite_url, analyze_after_transcription=False)
    whisper_or_skip(settings)
    recording = upload(store, settings, JFK, consent, channels="mono")
    with embedded_worker(settings):
        view = wait_done(store, recording.id, timeout=300)
    assert view.status == "transcribed", view.error
    data = get_transcript(store, "default", recording.id)
    assert "country" in data["text"].lower()
    assert {s["speaker"] for s in data["segments"]} == {"unknown"}
    flagged = transcribed(store, recording.id)
    assert flagged["speakers"] == "unknown"
    assert flagged["speaker_confidence"] is not None  # the split was tried, not skipped


@pytest.mark.shared_data
def test_a_mono_phone_call_is_split_into_rep_and_customer(
    shared_dir: Path, sqlite_url: str, consent: dict
) -> None:
    settings, store = prepare(sqlite_url, analyze_after_transcription=False)
    whisper_or_skip(settings)
    recording = upload(store, settings, shared_dir / "evals/audio/en-005.8k.flac", consent)
    assert recording.channels == 1
    with embedded_worker(settings):
        view = wait_done(store, recording.id, timeout=600)
    assert view.status == "transcribed", view.error
    flagged = transcribed(store, recording.id)
    assert flagged["speakers"] == "clustered"
    data = get_transcript(store, "default", recording.id)
    speakers = [s["speaker"] for s in data["segments"]]
    assert set(speakers) == {"rep", "customer"}
    assert min(speakers.count("rep"), speakers.count("customer")) >= 5

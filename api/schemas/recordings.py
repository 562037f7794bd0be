"""Response models of the recording endpoints: a recording's state and stage, its transcript."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from agent.calls.progress import Stage

_STAGE_EXAMPLE: dict[str, JsonValue] = {
    "stage": "transcribing", "label": "Wird transkribiert (40 %)", "percent": 35,
    "step_percent": 40, "remaining_s": 95, "remaining": "noch etwa 2 Minuten", "measured": True,
}  # fmt: skip


class StageOut(BaseModel):
    """Where a recording stands, as the rep reads it (:mod:`agent.calls.progress`)."""

    stage: Stage = Field(description="uploaded, transcribing, analysing, draft_ready, failed")
    label: str = Field(description="The stage in the caller's language.")
    percent: int = Field(ge=0, le=100, description="Share of the expected work done.")
    step_percent: int = Field(ge=0, le=100, description="How far the running step is.")
    remaining_s: int | None = Field(description="Estimated seconds until the draft note.")
    remaining: str = Field(description="The estimate in words, in the caller's language.")
    measured: bool = Field(description="Whether the estimate rests on this tenant's runs.")

    model_config = ConfigDict(json_schema_extra={"examples": [_STAGE_EXAMPLE]})


class JobOut(BaseModel):
    """One pipeline step of a recording (decode, transcribe, store, index, analyze)."""

    step: str
    status: str = Field(description="queued, running, done or failed.")
    attempts: int
    progress: float = Field(description="How far the step is (0..1).")
    duration_s: float | None
    error: str | None
    started_at: str | None = Field(description="ISO 8601.")
    finished_at: str | None = Field(description="ISO 8601.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "step": "transcribe",
                    "status": "running",
                    "attempts": 1,
                    "progress": 0.4,
                    "duration_s": None,
                    "error": None,
                    "started_at": "2026-11-20T10:20:03",
                    "finished_at": None,
                }
            ]  # fmt: skip
        }
    )


class RecordingOut(BaseModel):
    """A recording with its pipeline jobs, its stage and, once analysed, the draft note's id."""

    id: str
    account: str = Field(description="The account's external id.")
    account_id: int
    status: str = Field(description="queued, processing, transcribed, analyzed or failed.")
    created_at: str | None = Field(description="ISO 8601.")
    size_bytes: int
    content_sha256: str
    container: str | None
    codec: str | None
    duration_s: float | None
    channels: int | None
    sample_rate: int | None
    call_date: str | None = Field(description="The day of the call (ISO 8601).")
    error: str | None
    audio_deleted: bool = Field(description="Whether retention deleted the audio.")
    progress: float = Field(description="The stage's percent as 0..1; 1 once the note exists.")
    duplicate: bool = Field(description="True when an upload repeated an earlier recording.")
    jobs: list[JobOut]
    note_id: int | None = Field(description="The draft note, once the analysis wrote it.")
    stage: StageOut

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "3f9a0c2e5b7d4e1f8a6b0c9d2e4f6a8b",
                    "account": "K-10017",
                    "account_id": 17,
                    "status": "processing",
                    "created_at": "2026-11-20T10:19:58",
                    "size_bytes": 1843200,
                    "content_sha256": "9c1e…",
                    "container": "flac",
                    "codec": "flac",
                    "duration_s": 312.4,
                    "channels": 2,
                    "sample_rate": 16000,
                    "call_date": "2026-11-20",
                    "error": None,
                    "audio_deleted": False,
                    "progress": 0.35,
                    "duplicate": False,
                    "jobs": [
                        {
                            "step": "decode",
                            "status": "done",
                            "attempts": 1,
                            "progress": 1.0,
                            "duration_s": 1.2,
                            "error": None,
                            "started_at": "2026-11-20T10:20:00",
                            "finished_at": "2026-11-20T10:20:01",
                        }
                    ],
                    "note_id": None,
                    "stage": _STAGE_EXAMPLE,
                }
            ]  # fmt: skip
        }
    )


class SegmentOut(BaseModel):
    """One timed, speaker-labelled stretch of a transcript."""

    idx: int
    start: float = Field(description="Seconds from the start of the recording.")
    end: float
    speaker: str | None = Field(description="rep or customer (null: unknown).")
    text: str

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"idx": 0, "start": 0.0, "end": 4.2, "speaker": "rep",
                          "text": "Guten Tag, hier ist Keller von Schäfer."}]
        }
    )  # fmt: skip


#: A transcript as the API shows it (also inside a note's example).
TRANSCRIPT_EXAMPLE: dict[str, JsonValue] = {
    "recording_id": "3f9a0c2e5b7d4e1f8a6b0c9d2e4f6a8b",
    "language": "de",
    "duration_s": 312.4,
    "model": "whisper-small",
    "segments": [
        {"idx": 0, "start": 0.0, "end": 4.2, "speaker": "rep",
         "text": "Guten Tag, hier ist Keller von Schäfer."},
        {"idx": 1, "start": 4.2, "end": 9.0, "speaker": "customer",
         "text": "Die Lieferungen kamen ständig zu spät."},
    ],
}  # fmt: skip


class TranscriptOut(BaseModel):
    """A recording's transcript with its segments."""

    recording_id: str | None
    language: str | None
    duration_s: float | None
    model: str | None
    segments: list[SegmentOut]

    model_config = ConfigDict(json_schema_extra={"examples": [TRANSCRIPT_EXAMPLE]})

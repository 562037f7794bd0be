"""Recordings: streaming upload with consent, status with job progress, transcript.

The upload body is the raw audio (``Content-Type: audio/*`` or
``application/octet-stream``), not a multipart form. Before a byte of it is
read, the caller's access to the account, their daily audio minutes
(:mod:`agent.quotas`, 429 when used up) and their upload rate are checked.
The body then streams to a spool file under ``data_dir/tmp`` (swept of crash
leftovers, :mod:`agent.leftovers`) with the size limit checked per chunk, so
an oversized upload is refused with 413 while it streams (or at once from its
``Content-Length``), and goes through :func:`agent.calls.intake.upload_recording`,
which answers a repeated key without storing anything, stages the audio and
probes it (415 for anything that is not audio, 413 beyond ``max_duration_s``),
checks content repeats and the quota again by the decoded length, then moves
it into place and queues the transcription. An account marked not to be
called (insolvent, lost, do not contact) takes no recording (409); an
upload from the web app's session must carry the rep's confirmation that
the customer agreed (``consent_confirmed``), which the form's checkbox
sends, so removing the box in the browser does not get around it. A
repeat is answered only with the caller's own recording (200, ownership
checked here once more); other collisions are 409 with a reason
(:mod:`agent.calls.repeats`). An upload that stores no new recording takes
its count of the upload rate back. Consent travels in query parameters.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from datetime import date
from typing import Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.calls.intake import upload_recording
from agent.calls.progress import Speeds, Stage, measure_speeds, progress_of
from agent.calls.status import _view
from agent.crm.models import (
    DO_NOT_CALL,
    CallNote,
    CallRecording,
    ConsentMethod,
    PipelineJob,
    Transcript,
)
from agent.errors import (
    ConflictError,
    ConsentError,
    MediaError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
)
from agent.quotas import check_audio_minutes
from api.access import get_account, get_owned, scoped
from api.deps import CurrentUser, IdPath, SessionDep, SettingsDep, StoreDep
from api.i18n import eta_text, text
from api.ratelimit import limiter_of
from api.views import page_language

router = APIRouter(prefix="/api", tags=["recordings"])

ACCEPTED_TYPES = ("audio/", "video/webm", "video/mp4", "application/octet-stream")
#: The upload's path: exempt from the app's body cap (api/body_limit.py), it has its own limit.
UPLOAD_PATH = re.compile(r"/api/accounts/[^/]+/recordings")


class StageOut(BaseModel):
    """Where a recording stands, as the rep reads it (:mod:`agent.calls.progress`)."""

    stage: Stage = Field(description="uploaded, transcribing, analysing, draft_ready, failed")
    label: str = Field(description="The stage in the caller's language.")
    percent: int = Field(ge=0, le=100, description="Share of the expected work done.")
    step_percent: int = Field(ge=0, le=100, description="How far the running step is.")
    remaining_s: int | None = Field(description="Estimated seconds until the draft note.")
    remaining: str = Field(description="The estimate in words, in the caller's language.")
    measured: bool = Field(description="Whether the estimate rests on this tenant's runs.")


def stage_out(
    session: Session, row: CallRecording, note_id: int | None, language: str,
    speeds: Speeds | None = None,
) -> StageOut:  # fmt: skip
    """The stage of ``row`` with its estimate, labelled in ``language``."""
    jobs = list(session.scalars(select(PipelineJob).where(PipelineJob.recording_id == row.id)))
    speeds = speeds or measure_speeds(session, row.tenant_id)
    state = progress_of(row, jobs, note_id is not None, speeds)
    label = text("stage_" + state.stage, language)
    if state.stage == "transcribing":
        label = text("stage_percent", language, stage=label, percent=state.step_percent)
    return StageOut(
        stage=state.stage, label=label, percent=state.percent, step_percent=state.step_percent,
        remaining_s=state.remaining_s, remaining=eta_text(state.remaining_s, language),
        measured=state.measured,
    )  # fmt: skip


def recording_out(
    session: Any, row: CallRecording, language: str = "de", speeds: Speeds | None = None
) -> dict[str, Any]:
    """Status of a recording with its jobs, its stage and, once analysed, the draft note's id.

    ``progress`` (0..1) follows the stage's estimate, so it keeps moving through
    the analysis and is 1 only when the draft note exists.
    """
    data = _view(session, row).to_dict()
    data["account_id"] = row.account_id
    data["note_id"] = session.scalar(select(CallNote.id).where(CallNote.recording_id == row.id))
    stage = stage_out(session, row, data["note_id"], language, speeds)
    data["stage"] = stage.model_dump()
    data["progress"] = stage.percent / 100
    for key in ("created_at", "call_date"):
        if data.get(key) is not None:
            data[key] = data[key].isoformat()
    for job in data["jobs"]:
        for key in ("started_at", "finished_at"):
            if job.get(key) is not None:
                job[key] = job[key].isoformat()
    return data


async def _spool(request: Request, limit: int, directory: str) -> str:
    """Write the request body to a temporary file, refusing more than ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"The upload is larger than {limit // 1_000_000} MB.")
    os.makedirs(directory, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix="upload-", dir=directory)
    size = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLargeError(
                        f"The upload is larger than {limit // 1_000_000} MB."
                    )
                fh.write(chunk)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    if size == 0:
        os.unlink(path)
        raise MediaError("The upload is empty: send the audio file as the request body.")
    return path


@router.post(
    "/accounts/{account_id}/recordings",
    status_code=202,
    summary="Upload a call recording",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The audio file as the raw body; Content-Type audio/... (e.g. "
            "audio/flac, audio/wav, audio/mpeg) or application/octet-stream.",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
    responses={
        200: {
            "description": "You uploaded the same recording (content or Idempotency-Key) for "
            "this account before: that recording."
        },
        409: {
            "description": "The Idempotency-Key was used for other content, or the same audio "
            "is already stored for another account or by another user (nothing stored)."
        },
        413: {
            "description": "Larger than max_upload_mb (refused while streaming), or longer "
            "than max_duration_s when decoded."
        },
        429: {
            "description": "More than upload_limit_per_hour accepted uploads, or the daily "
            "audio minutes (audio_minutes_per_day) used up; see Retry-After."
        },
        415: {"description": "Not an audio file, or an unsupported Content-Type."},
        422: {"description": "Consent missing or invalid, or another bad parameter."},
    },
)
async def post_recording(
    account_id: IdPath,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    user: CurrentUser,
    given_by: str = Query(..., min_length=1, max_length=200, description="Who consented."),
    method: ConsentMethod = Query(..., description="How the consent was given."),
    given_at: str = Query(..., max_length=64, examples=["2026-11-20T10:15:00+01:00"]),
    text_version: str = Query(..., max_length=64, examples=["v1"]),
    call_date: date | None = Query(None),
    channels: str | None = Query(None, pattern="^(mono|rep,customer|customer,rep)$"),
    filename: str | None = Query(None, max_length=300),
    consent_confirmed: bool = Query(
        False,
        description="The uploader confirms the customer agreed beforehand; required for "
        "uploads from a browser session (the web form's checkbox).",
    ),
    idempotency_key: str | None = Header(None, max_length=200),
) -> JSONResponse:
    """Stream a recording with its consent record and queue transcription and analysis.

    Returns 202 with the recording and its job states; poll
    ``/api/recordings/{id}`` until ``note_id`` is set (the draft note).
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not content_type.startswith(ACCEPTED_TYPES):
        raise MediaError(
            f"Unsupported Content-Type {content_type or '(none)'!r}: send the audio file as "
            "the body with Content-Type audio/... or application/octet-stream."
        )

    if getattr(request.state, "session_data", None) is not None and not consent_confirmed:
        # A browser session uploads from the web form; its checkbox is the rep's statement.
        raise ConsentError("The recording consent was not confirmed: tick the confirmation.")
    language = page_language(request)

    def authorise() -> str:
        with store.session() as session:
            account = get_account(session, user, account_id)
            if account.status in DO_NOT_CALL:
                raise ConflictError(
                    f"Account {account.external_id} is marked do not call "
                    f"({account.status.value}); no recording is taken for it."
                )
            external_id = account.external_id
            # Over the daily audio quota already: refused before a byte of the body is read.
            check_audio_minutes(session, settings, user.user_id)
            return external_id

    external_id = await run_in_threadpool(authorise)
    # Counted before the body is read, so a refused upload costs no disk or bandwidth; an
    # upload that stores no new recording (an error, a duplicate) takes its count back.
    limiter = limiter_of(request.app)
    counted = await run_in_threadpool(limiter.upload, user.user_id)
    tenant_settings = settings.model_copy(update={"tenant": user.tenant_slug})
    consent = {"given_by": given_by, "method": method.value, "given_at": given_at,
               "text_version": text_version}  # fmt: skip

    def accept(path: str) -> dict[str, Any]:
        try:
            with open(path, "rb") as fh:
                view = upload_recording(
                    store, tenant_settings, external_id, fh, consent, idempotency_key,
                    user.username, call_date=call_date, channels=channels, filename=filename,
                )  # fmt: skip
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
        with store.session() as session:
            row: CallRecording | None
            if view.duplicate:
                # The library answers a repeat only with the caller's own recording on this
                # account; checked here again, so no other rule can ever hand one out.
                try:
                    row = get_owned(session, user, CallRecording, view.id)
                except (NotFoundError, PermissionDeniedError):
                    raise ConflictError(
                        "This recording was uploaded before, but you may no longer see it."
                    ) from None
            else:
                row = session.get(CallRecording, view.id)
            assert row is not None  # just written by upload_recording
            return {**recording_out(session, row, language), "duplicate": view.duplicate}

    try:
        limit = int(settings.max_upload_mb * 1_000_000)
        path = await _spool(request, limit, str(settings.spool_path))
        data = await run_in_threadpool(accept, path)
    except BaseException:
        await run_in_threadpool(limiter.upload_not_accepted, counted)
        raise
    if data["duplicate"]:
        await run_in_threadpool(limiter.upload_not_accepted, counted)
    return JSONResponse(data, status_code=200 if data["duplicate"] else 202)


@router.get("/recordings", summary="List recordings")
def list_recordings(
    request: Request, session: SessionDep, user: CurrentUser,
    limit: int = Query(50, ge=1, le=500),
) -> list[dict[str, Any]]:  # fmt: skip
    """The newest recordings the caller may see, each with its stage."""
    rows = session.scalars(
        scoped(select(CallRecording), user, CallRecording)
        .order_by(CallRecording.created_at.desc())
        .limit(limit)
    ).all()
    speeds = measure_speeds(session, user.tenant_id)
    language = page_language(request)
    return [recording_out(session, r, language, speeds) for r in rows]


@router.get("/recordings/{recording_id}", summary="Recording status")
def get_recording(
    recording_id: str, request: Request, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    """Status, stage with its estimate, progress (0..1) and job states; the note once ready."""
    row = get_owned(session, user, CallRecording, recording_id.strip().lower()[:32])
    return recording_out(session, row, page_language(request))


@router.get("/recordings/{recording_id}/transcript", summary="Transcript of a recording")
def get_transcript(recording_id: str, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """The transcript with timed, speaker-labelled segments (404 until it exists)."""
    row = get_owned(session, user, CallRecording, recording_id.strip().lower()[:32])
    transcript = session.scalar(select(Transcript).where(Transcript.recording_id == row.id))
    if transcript is None:
        raise NotFoundError(f"Recording {row.id} has no transcript yet ({row.status.value}).")
    return transcript_out(transcript)


def transcript_out(transcript: Transcript) -> dict[str, Any]:
    """A transcript as JSON."""
    return {
        "recording_id": transcript.recording_id,
        "language": transcript.language,
        "duration_s": transcript.duration_s,
        "model": transcript.model,
        "segments": [
            {
                "idx": s.idx,
                "start": s.start_s,
                "end": s.end_s,
                "speaker": s.speaker,
                "text": s.text,
            }  # fmt: skip
            for s in transcript.segments
        ],
    }

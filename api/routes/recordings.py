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

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from agent.crm.models import ConsentMethod
from agent.errors import ConsentError, MediaError, PayloadTooLargeError
from api.deps import CurrentUser, IdPath, SessionDep, SettingsDep, StoreDep
from api.ratelimit import limiter_of
from api.schemas.recordings import RecordingOut, TranscriptOut
from api.services import recordings
from api.views import page_language

router = APIRouter(prefix="/api", tags=["recordings"])

ACCEPTED_TYPES = ("audio/", "video/webm", "video/mp4", "application/octet-stream")
#: The upload's path: exempt from the app's body cap (api/body_limit.py), it has its own limit.
UPLOAD_PATH = re.compile(r"/api/accounts/[^/]+/recordings")


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
    response_model=RecordingOut,
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
            "model": RecordingOut,
            "description": "You uploaded the same recording (content or Idempotency-Key) for "
            "this account before: that recording.",
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
    response: Response,
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
) -> RecordingOut:
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
            return recordings.upload_target(session, settings, user, account_id)

    external_id = await run_in_threadpool(authorise)
    # Counted before the body is read, so a refused upload costs no disk or bandwidth; an
    # upload that stores no new recording (an error, a duplicate) takes its count back.
    limiter = limiter_of(request.app)
    counted = await run_in_threadpool(limiter.upload, user.user_id)
    consent = {"given_by": given_by, "method": method.value, "given_at": given_at,
               "text_version": text_version}  # fmt: skip

    def accept(path: str) -> RecordingOut:
        try:
            with open(path, "rb") as fh:
                return recordings.accept_upload(
                    store, settings, user, external_id, fh, consent, idempotency_key, language,
                    call_date=call_date, channels=channels, filename=filename,
                )  # fmt: skip
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)

    try:
        limit = int(settings.max_upload_mb * 1_000_000)
        path = await _spool(request, limit, str(settings.spool_path))
        out = await run_in_threadpool(accept, path)
    except BaseException:
        await run_in_threadpool(limiter.upload_not_accepted, counted)
        raise
    if out.duplicate:
        await run_in_threadpool(limiter.upload_not_accepted, counted)
        response.status_code = 200
    return out


@router.get("/recordings", response_model=list[RecordingOut], summary="List recordings")
def list_recordings(
    request: Request, session: SessionDep, user: CurrentUser,
    limit: int = Query(50, ge=1, le=500),
) -> list[RecordingOut]:  # fmt: skip
    """The newest recordings the caller may see, each with its stage."""
    return recordings.list_recordings(session, user, page_language(request), limit)


@router.get("/recordings/{recording_id}", response_model=RecordingOut, summary="Recording status")
def get_recording(
    recording_id: str, request: Request, session: SessionDep, user: CurrentUser
) -> RecordingOut:
    """Status, stage with its estimate, progress (0..1) and job states; the note once ready."""
    return recordings.get_recording(session, user, recording_id, page_language(request))


@router.get(
    "/recordings/{recording_id}/transcript",
    response_model=TranscriptOut,
    summary="Transcript of a recording",
)
def get_transcript(recording_id: str, session: SessionDep, user: CurrentUser) -> TranscriptOut:
    """The transcript with timed, speaker-labelled segments (404 until it exists)."""
    return recordings.recording_transcript(session, user, recording_id)

"""Recordings: their state and stage as the rep reads it, their transcripts, the upload's checks.

The stage (:mod:`agent.calls.progress`) is labelled in the reader's language,
so every function that returns one takes the language; the speed estimates
behind it are measured once per list, not once per recording.
"""

from __future__ import annotations

from datetime import date
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.auth import Principal
from agent.calls.intake import upload_recording
from agent.calls.progress import Speeds, measure_speeds, progress_of
from agent.calls.status import _view
from agent.crm.db import Store
from agent.crm.models import DO_NOT_CALL, CallNote, CallRecording, PipelineJob, Transcript
from agent.errors import ConflictError, NotFoundError, PermissionDeniedError
from agent.quotas import check_audio_minutes
from agent.settings import Settings
from api.access import get_account, get_owned, scoped
from api.i18n import eta_text, text
from api.schemas.recordings import JobOut, RecordingOut, SegmentOut, StageOut, TranscriptOut


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


def _iso(value: date | None) -> str | None:
    """ISO 8601 of a day or a time (a datetime is a date), None for None."""
    return value.isoformat() if value is not None else None


def recording_out(
    session: Session, row: CallRecording, language: str = "de", speeds: Speeds | None = None,
    duplicate: bool = False,
) -> RecordingOut:  # fmt: skip
    """Status of a recording with its jobs, its stage and, once analysed, the draft note's id.

    ``progress`` (0..1) follows the stage's estimate, so it keeps moving through
    the analysis and is 1 only when the draft note exists.
    """
    view = _view(session, row)
    note_id = session.scalar(select(CallNote.id).where(CallNote.recording_id == row.id))
    stage = stage_out(session, row, note_id, language, speeds)
    return RecordingOut(
        id=view.id, account=view.account, account_id=row.account_id, status=view.status,
        created_at=_iso(view.created_at), size_bytes=view.size_bytes,
        content_sha256=view.content_sha256, container=view.container, codec=view.codec,
        duration_s=view.duration_s, channels=view.channels, sample_rate=view.sample_rate,
        call_date=_iso(view.call_date), error=view.error, audio_deleted=view.audio_deleted,
        progress=stage.percent / 100, duplicate=duplicate,
        jobs=[
            JobOut(
                step=j.step, status=j.status, attempts=j.attempts, progress=j.progress,
                duration_s=j.duration_s, error=j.error, started_at=_iso(j.started_at),
                finished_at=_iso(j.finished_at),
            )
            for j in view.jobs
        ],
        note_id=note_id, stage=stage,
    )  # fmt: skip


def list_recordings(
    session: Session, user: Principal, language: str, limit: int
) -> list[RecordingOut]:
    """The newest recordings the user may see, each with its stage."""
    rows = session.scalars(
        scoped(select(CallRecording), user, CallRecording)
        .order_by(CallRecording.created_at.desc())
        .limit(limit)
    ).all()
    speeds = measure_speeds(session, user.tenant_id)
    return [recording_out(session, r, language, speeds) for r in rows]


def recording_id_of(raw: str) -> str:
    """A recording id as typed in a path: trimmed, lower case, at most 32 characters."""
    return raw.strip().lower()[:32]


def get_recording(
    session: Session, user: Principal, recording_id: str, language: str
) -> RecordingOut:
    """One recording the user may see, with its stage."""
    row = get_owned(session, user, CallRecording, recording_id_of(recording_id))
    return recording_out(session, row, language)


def transcript_out(transcript: Transcript) -> TranscriptOut:
    """A stored transcript with its timed, speaker-labelled segments."""
    return TranscriptOut(
        recording_id=transcript.recording_id,
        language=transcript.language,
        duration_s=transcript.duration_s,
        model=transcript.model,
        segments=[
            SegmentOut(idx=s.idx, start=s.start_s, end=s.end_s, speaker=s.speaker, text=s.text)
            for s in transcript.segments
        ],
    )


def recording_transcript(session: Session, user: Principal, recording_id: str) -> TranscriptOut:
    """The transcript of a recording the user may see (NotFoundError until it exists)."""
    row = get_owned(session, user, CallRecording, recording_id_of(recording_id))
    transcript = session.scalar(select(Transcript).where(Transcript.recording_id == row.id))
    if transcript is None:
        raise NotFoundError(f"Recording {row.id} has no transcript yet ({row.status.value}).")
    return transcript_out(transcript)


def upload_target(session: Session, settings: Settings, user: Principal, account_id: int) -> str:
    """The external id of the account a recording goes to, once the upload may start.

    Checked before a byte of the body is read: the user may see the account,
    the account may be called (an account marked do not call takes no
    recording), and the user's daily audio minutes are not used up.
    """
    account = get_account(session, user, account_id)
    if account.status in DO_NOT_CALL:
        raise ConflictError(
            f"Account {account.external_id} is marked do not call "
            f"({account.status.value}); no recording is taken for it."
        )
    check_audio_minutes(session, settings, user.user_id)
    return account.external_id


def accept_upload(
    store: Store, settings: Settings, user: Principal, external_id: str, audio: BinaryIO,
    consent: dict[str, str], idempotency_key: str | None, language: str, *,
    call_date: date | None = None, channels: str | None = None, filename: str | None = None,
) -> RecordingOut:  # fmt: skip
    """Store and queue an uploaded recording (:func:`agent.calls.intake.upload_recording`).

    A repeat is answered only with the user's own recording on this account;
    checked here once more, so no other rule can ever hand one out.
    """
    tenant_settings = settings.model_copy(update={"tenant": user.tenant_slug})
    view = upload_recording(
        store, tenant_settings, external_id, audio, consent, idempotency_key, user.username,
        call_date=call_date, channels=channels, filename=filename,
    )  # fmt: skip
    with store.session() as session:
        row: CallRecording | None
        if view.duplicate:
            try:
                row = get_owned(session, user, CallRecording, view.id)
            except (NotFoundError, PermissionDeniedError):
                raise ConflictError(
                    "This recording was uploaded before, but you may no longer see it."
                ) from None
        else:
            row = session.get(CallRecording, view.id)
        assert row is not None  # just written by upload_recording
        return recording_out(session, row, language, duplicate=view.duplicate)

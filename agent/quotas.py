"""Quotas on model work per user: queued briefs, and minutes of call audio a day.

The workers' time is shared by everyone in a tenant: a brief takes seconds
to tens of seconds of a worker, an hour of audio several minutes of
Whisper. Without a bound, one rep (or one stolen session) queues hours of
work ahead of everyone else's transcriptions. Two quotas bound it, both
answered with :class:`agent.errors.QuotaExceededError` (HTTP 429 with
``Retry-After`` and a message in the user's language):

* ``brief_queue_per_user``: unfinished brief jobs (queued or running) one
  user may have at once. The fair order of the queue itself is kept by
  :mod:`agent.brief.jobs`, which puts only one brief per user on the queue
  at a time.
* ``audio_minutes_per_day``: minutes of call audio one user may upload in
  any 24 hours, by the decoded length (:func:`agent.audio.probe_audio`
  decodes every frame; a header cannot lie its way in). A new recording is
  refused if it would take the user over the quota, and an upload is
  refused before its body is read when the user is over it already. A
  repeat of the user's own recording (:mod:`agent.calls.repeats`) stores
  nothing and is answered before the check, so a retry costs no minutes.

Recordings uploaded without a user (``winback calls upload`` by an
operator) do not count.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.clock import as_utc
from agent.crm.models import BriefJob, BriefJobStatus, CallRecording
from agent.errors import QuotaExceededError
from agent.settings import Settings

DAY = timedelta(hours=24)
#: What a refused brief request is told to wait: about one brief's time on a worker.
BRIEF_RETRY_AFTER_S = 30


def check_brief_queue(session: Session, settings: Settings, user_id: int | None) -> None:
    """Refuse a new brief job when ``user_id`` has ``brief_queue_per_user`` unfinished ones."""
    if user_id is None:
        return
    waiting = session.scalar(
        select(func.count())
        .select_from(BriefJob)
        .where(
            BriefJob.user_id == user_id,
            BriefJob.status.in_((BriefJobStatus.queued, BriefJobStatus.running)),
        )
    )
    limit = settings.brief_queue_per_user
    if (waiting or 0) >= limit:
        raise QuotaExceededError(
            f"You have {waiting} brief requests waiting; at most {limit} may wait at once "
            f"(setting brief_queue_per_user). Try again in {BRIEF_RETRY_AFTER_S} s.",
            BRIEF_RETRY_AFTER_S,
            "quota_briefs",
            limit=limit,
            seconds=BRIEF_RETRY_AFTER_S,
        )


def _uploads(session: Session, user_id: int, now: datetime) -> list[tuple[datetime, float]]:
    """``(uploaded at, seconds)`` of the user's recordings of the last 24 hours, oldest first."""
    rows = session.execute(
        select(CallRecording.created_at, CallRecording.duration_s)
        .where(
            CallRecording.uploaded_by_id == user_id,
            CallRecording.created_at > now - DAY,
            CallRecording.duration_s.is_not(None),
        )
        .order_by(CallRecording.created_at)
    ).all()
    return [(as_utc(at), float(seconds or 0.0)) for at, seconds in rows]


def check_audio_minutes(
    session: Session,
    settings: Settings,
    user_id: int | None,
    duration_s: float = 0.0,
    now: datetime | None = None,
) -> None:
    """Refuse ``duration_s`` more seconds of audio that would take the user over the quota.

    With ``duration_s = 0`` (before the body is read) only a user who is
    over the quota already is refused. ``Retry-After`` is when enough of the
    user's uploads are older than 24 hours for this one to fit.
    """
    if user_id is None:
        return
    now = now or datetime.now(UTC)
    limit_s = settings.audio_minutes_per_day * 60
    uploads = _uploads(session, user_id, now)
    used = sum(seconds for _, seconds in uploads)
    if duration_s > 0 and used + duration_s <= limit_s:
        return
    if duration_s <= 0 and used < limit_s:
        return
    # When do enough uploads leave the 24-hour window for this one to fit?
    retry_at = now + DAY
    if duration_s <= limit_s:
        freed = used
        for at, seconds in uploads:
            freed -= seconds
            if freed + duration_s <= limit_s and (duration_s > 0 or freed < limit_s):
                retry_at = at + DAY
                break
    retry_after = max(1, math.ceil((retry_at - now).total_seconds()))
    limit_min = _minutes(limit_s)
    raise QuotaExceededError(
        f"Daily audio quota reached: {_minutes(used)} of {limit_min} minutes uploaded in the "
        f"last 24 hours, this recording {_minutes(duration_s)} minutes (setting "
        f"audio_minutes_per_day). Try again in {math.ceil(retry_after / 3600)} h.",
        retry_after,
        "quota_audio",
        limit=limit_min,
        used=_minutes(used),
        minutes=_minutes(duration_s),
        hours=math.ceil(retry_after / 3600),
    )


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f}".rstrip("0").rstrip(".")

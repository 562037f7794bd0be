"""Per-rep coaching figures: what a manager may see only under a works-council agreement.

In Germany, figures that measure an individual employee's performance are
subject to co-determination (BetrVG § 87 (1) no. 6): a team may use them
only once the works council has agreed. Winback therefore computes them
only when ``coaching_agreement`` names that agreement; without it no
per-rep figure exists anywhere (the council's own view, the team overview,
has team totals only).

A call belongs to the rep who authored its note (the uploader, or the
account's owner for a note written without a recording) and counts in the
month of its call date. Outcomes and churn reasons come from approved notes
only: a draft is the model's proposal, not yet a fact. The talk share uses
two-channel transcripts only, where each segment's speaker is known from
its channel, not guessed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.crm.models import (
    CallNote,
    CallOutcome,
    ChurnReasonLabel,
    NoteStatus,
    Role,
    Transcript,
    TranscriptSegment,
    User,
)
from agent.errors import PermissionDeniedError
from agent.settings import Settings


@dataclass(frozen=True)
class RepFigures:
    """One rep's calls in the period."""

    user_id: int
    username: str
    name: str
    calls: int
    approved: int
    outcomes: dict[str, int] = field(default_factory=dict)
    #: reactivated / approved notes with an outcome; None without any
    win_back_rate: float | None = None
    #: the rep's share of speaking time over two-channel calls; None without any
    talk_share: float | None = None
    minutes_per_call: float | None = None
    top_reason: str | None = None


@dataclass(frozen=True)
class Coaching:
    """Per-rep figures for ``start``..``end`` and the agreement that permits them."""

    agreement: str
    start: date
    end: date
    reps: list[RepFigures]


def require_agreement(settings: Settings) -> str:
    """The agreement's reference, or a refusal that says how to permit the view."""
    agreement = (settings.coaching_agreement or "").strip()
    if not agreement:
        raise PermissionDeniedError(
            "Per-rep figures are off: they need a works-council agreement. An administrator "
            "enables them by setting coaching_agreement (WINBACK_COACHING_AGREEMENT) to the "
            "agreement's reference."
        )
    return agreement


def _first_of_month_back(day: date, months: int) -> date:
    year, month = day.year, day.month - (months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def coaching(
    session: Session, settings: Settings, tenant_id: int, as_of: date, months: int = 3
) -> Coaching:
    """Per-rep figures of the ``months`` months up to ``as_of`` (refused without agreement)."""
    agreement = require_agreement(settings)
    start = _first_of_month_back(as_of, months)

    def in_period(call_date: date | None, created: date) -> bool:
        return start <= (call_date or created) <= as_of

    notes = [
        row
        for row in session.execute(
            select(
                CallNote.id,
                CallNote.author_id,
                CallNote.status,
                CallNote.outcome,
                CallNote.call_date,
                CallNote.created_at,
                CallNote.transcript_id,
            ).where(CallNote.tenant_id == tenant_id, CallNote.author_id.is_not(None))
        )  # fmt: skip
        if in_period(row.call_date, row.created_at.date())
    ]
    by_rep: dict[int, list[Any]] = defaultdict(list)
    for row in notes:
        by_rep[row.author_id].append(row)

    approved_ids = [row.id for row in notes if row.status == NoteStatus.approved]
    reasons: dict[int | None, Counter[str]] = defaultdict(Counter)
    if approved_ids:
        for author_id, code in session.execute(
            select(CallNote.author_id, ChurnReasonLabel.code)
            .join(CallNote, CallNote.id == ChurnReasonLabel.call_note_id)
            .where(ChurnReasonLabel.call_note_id.in_(approved_ids))
        ):
            reasons[author_id][code.value] += 1

    transcript_ids = [row.transcript_id for row in notes if row.transcript_id is not None]
    # transcript -> speaker -> seconds spoken
    spoken: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    if transcript_ids:
        for transcript_id, speaker, start_s, end_s in session.execute(
            select(
                TranscriptSegment.transcript_id, TranscriptSegment.speaker,
                TranscriptSegment.start_s, TranscriptSegment.end_s,
            ).where(TranscriptSegment.transcript_id.in_(transcript_ids))
        ):  # fmt: skip
            spoken[transcript_id][speaker or ""] += max(0.0, end_s - start_s)
    lengths: dict[int, float] = {}
    if transcript_ids:
        lengths = {
            tid: float(duration or 0.0)
            for tid, duration in session.execute(
                select(Transcript.id, Transcript.duration_s).where(
                    Transcript.id.in_(transcript_ids), Transcript.duration_s.is_not(None)
                )
            )
        }

    users = session.scalars(
        select(User).where(User.tenant_id == tenant_id, User.role == Role.rep)
        .order_by(User.username)
    ).all()  # fmt: skip
    reps: list[RepFigures] = []
    for user in users:
        rows = by_rep.get(user.id, [])
        if not rows and not user.active:
            continue
        outcomes = Counter(
            row.outcome.value
            for row in rows
            if row.status == NoteStatus.approved and row.outcome is not None
        )
        decided = sum(outcomes.values())
        rep_s = customer_s = 0.0
        two_channel_calls = 0
        for row in rows:
            seconds = spoken.get(row.transcript_id) if row.transcript_id else None
            if not seconds or not seconds.get("rep") or not seconds.get("customer"):
                continue  # one speaker only: a mono call, or no transcript
            rep_s += seconds["rep"]
            customer_s += seconds["customer"]
            two_channel_calls += 1
        timed = [lengths[row.transcript_id] for row in rows if row.transcript_id in lengths]
        top = reasons[user.id].most_common(1)
        reps.append(
            RepFigures(
                user_id=user.id,
                username=user.username,
                name=user.name,
                calls=len(rows),
                approved=sum(1 for row in rows if row.status == NoteStatus.approved),
                outcomes={o.value: outcomes.get(o.value, 0) for o in CallOutcome},
                win_back_rate=(outcomes.get("reactivated", 0) / decided) if decided else None,
                talk_share=rep_s / (rep_s + customer_s) if two_channel_calls else None,
                minutes_per_call=sum(timed) / 60 / len(timed) if timed else None,
                top_reason=top[0][0] if top else None,
            )
        )
    return Coaching(agreement=agreement, start=start, end=as_of, reps=reps)

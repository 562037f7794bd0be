"""Analytics for the API and the manager pages: churn reasons, funnel, Pareto curve, team.

Only approved notes count: a draft's reasons are the model's proposal, not
yet a fact. Definitions of the funnel (distinct accounts):

* planned: callable accounts of the plan as of the day, plus accounts that
  were called although they are no longer in the plan;
* called: accounts with an uploaded call recording or a call note;
* follow-up: accounts with an approved note whose outcome is ``follow_up``
  or ``reactivated`` (a reactivation passed through the follow-up stage);
* reactivated: accounts with an approved note whose outcome is ``reactivated``.

The works council view (:func:`team_totals`, ``/api/analytics/team`` and
``/team``) holds team totals per month only. Its queries select dates and codes, never a
user, owner or author column, so no per-rep figure can leak into it, and it
has no sentiment field (the customer sentiment of a note is not aggregated
anywhere).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.auth import Principal
from agent.crm.coaching import coaching
from agent.crm.models import (
    EXTERNAL_REASONS,
    INTERNAL_REASONS,
    CallNote,
    CallOutcome,
    CallRecording,
    ChurnReason,
    ChurnReasonLabel,
    NoteStatus,
)
from agent.plan.daily import is_working_day
from agent.settings import Settings
from api.planning import tenant_daily_plan, tenant_plan
from api.schemas.analytics import AnalyticsOut, CoachingOut, TeamOut


def compute(session: Session, tenant_id: int, as_of: date) -> AnalyticsOut:
    """All analytics of a tenant: churn reasons, internal share, funnel, Pareto curve."""
    labels = session.execute(
        select(ChurnReasonLabel.code, CallNote.call_date, CallNote.created_at)
        .join(CallNote, CallNote.id == ChurnReasonLabel.call_note_id)
        .where(ChurnReasonLabel.tenant_id == tenant_id, CallNote.status == NoteStatus.approved)
    ).all()
    by_month: dict[str, Counter[str]] = defaultdict(Counter)
    groups: Counter[str] = Counter()
    for code, call_date, created_at in labels:
        day = call_date or created_at.date()
        by_month[f"{day.year:04d}-{day.month:02d}"][code.value] += 1
        if code in INTERNAL_REASONS:
            groups["internal"] += 1
        elif code in EXTERNAL_REASONS:
            groups["external"] += 1
        else:
            groups["other"] += 1
    months = sorted(by_month)
    codes = sorted({c for counts in by_month.values() for c in counts})
    classified = groups["internal"] + groups["external"]

    called = set(
        session.scalars(
            select(CallRecording.account_id).where(CallRecording.tenant_id == tenant_id)
        )
    ) | set(session.scalars(select(CallNote.account_id).where(CallNote.tenant_id == tenant_id)))
    approved = session.execute(
        select(CallNote.account_id, CallNote.outcome).where(
            CallNote.tenant_id == tenant_id, CallNote.status == NoteStatus.approved
        )
    ).all()
    follow = {a for a, o in approved if o in (CallOutcome.follow_up, CallOutcome.reactivated)}
    reactivated = {a for a, o in approved if o == CallOutcome.reactivated}
    plan = tenant_plan(session, tenant_id, as_of)
    planned = {c.account_id for c in plan.callable} | called
    return AnalyticsOut.model_validate(
        {
            "as_of": as_of.isoformat(),
            "churn_reasons": {
                "months": months,
                "series": {c: [by_month[m].get(c, 0) for m in months] for c in codes},
                "totals": dict(sum(by_month.values(), Counter())),
            },
            "internal_external": {
                "internal": groups["internal"],
                "external": groups["external"],
                "other": groups["other"],
                "internal_share": round(groups["internal"] / classified, 3) if classified else None,
            },
            "funnel": [
                {"stage": "planned", "accounts": len(planned)},
                {"stage": "called", "accounts": len(called)},
                {"stage": "follow_up", "accounts": len(follow)},
                {"stage": "reactivated", "accounts": len(reactivated)},
            ],
            "pareto": {
                "callable": len(plan.callable),
                **plan.pareto.model_dump(mode="json"),
            },
        }
    )


def _month(day: date | datetime) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def last_months(as_of: date, count: int) -> list[str]:
    """The ``count`` months up to and including the month of ``as_of``, oldest first."""
    year, month = as_of.year, as_of.month
    months: list[str] = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _planned_this_month(session: Session, tenant_id: int, as_of: date) -> int:
    """Calls in the system's daily plan from ``as_of`` to the end of its month (team total)."""
    first_next = (as_of.replace(day=28) + timedelta(days=4)).replace(day=1)
    days = sum(
        1 for n in range((first_next - as_of).days) if is_working_day(as_of + timedelta(days=n))
    )
    if days == 0:
        return 0
    plan = tenant_daily_plan(session, tenant_id, as_of, days)
    return sum(len(rep.calls) for rep in plan.reps)


def team_totals(session: Session, tenant_id: int, as_of: date, months: int = 12) -> TeamOut:
    """Team totals per month for the works council: no per-rep figure, no sentiment.

    A call counts in the month of its call date (else the day it was
    recorded or noted). Per month: ``calls_made`` (uploaded recordings plus
    call notes written without a recording), ``notes_approved`` (approved
    call notes), ``outcomes`` and ``churn_reasons`` of the approved notes
    (every code, zeros included). ``calls_planned`` is known only for the
    month of ``as_of``: the calls of the daily plan from ``as_of`` to the end
    of the month; past plans are not stored, so earlier months carry ``None``.
    """
    window = last_months(as_of, months)
    wanted = set(window)
    made: Counter[str] = Counter()
    for call_date, created_at in session.execute(
        select(CallRecording.call_date, CallRecording.created_at).where(
            CallRecording.tenant_id == tenant_id
        )
    ):
        made[_month(call_date or created_at)] += 1
    for call_date, created_at in session.execute(
        select(CallNote.call_date, CallNote.created_at).where(
            CallNote.tenant_id == tenant_id, CallNote.recording_id.is_(None)
        )
    ):
        made[_month(call_date or created_at)] += 1
    approved: Counter[str] = Counter()
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    for call_date, created_at, outcome in session.execute(
        select(CallNote.call_date, CallNote.created_at, CallNote.outcome).where(
            CallNote.tenant_id == tenant_id, CallNote.status == NoteStatus.approved
        )
    ):
        month = _month(call_date or created_at)
        approved[month] += 1
        if outcome is not None:
            outcomes[month][outcome.value] += 1
    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    for code, call_date, created_at in session.execute(
        select(ChurnReasonLabel.code, CallNote.call_date, CallNote.created_at)
        .join(CallNote, CallNote.id == ChurnReasonLabel.call_note_id)
        .where(ChurnReasonLabel.tenant_id == tenant_id, CallNote.status == NoteStatus.approved)
    ):
        reasons[_month(call_date or created_at)][code.value] += 1

    outcome_codes = [o.value for o in CallOutcome]
    reason_codes = [r.value for r in ChurnReason]
    current = _month(as_of)
    planned = _planned_this_month(session, tenant_id, as_of)
    rows = [
        {
            "month": month,
            "calls_planned": planned if month == current else None,
            "calls_made": made[month],
            "notes_approved": approved[month],
            "outcomes": {c: outcomes[month][c] for c in outcome_codes},
            "churn_reasons": {c: reasons[month][c] for c in reason_codes},
        }
        for month in window
    ]
    return TeamOut.model_validate(
        {
            "as_of": as_of.isoformat(),
            "months": window,
            "by_month": rows,
            "totals": {
                "calls_planned": planned,
                "calls_made": sum(made[m] for m in wanted),
                "notes_approved": sum(approved[m] for m in wanted),
                "outcomes": {c: sum(outcomes[m][c] for m in wanted) for c in outcome_codes},
                "churn_reasons": {c: sum(reasons[m][c] for m in wanted) for c in reason_codes},
            },
        }
    )


def coaching_figures(
    session: Session, settings: Settings, user: Principal, as_of: date, months: int
) -> CoachingOut:
    """Per-rep figures of the user's tenant; refused unless ``coaching_agreement`` is set."""
    return CoachingOut.model_validate(
        asdict(coaching(session, settings, user.tenant_id, as_of, months))
    )

"""``/api/analytics``: churn reasons over time, internal vs external, funnel, Pareto curve.

Only approved notes count: a draft's reasons are the model's proposal, not
yet a fact. Definitions of the funnel (distinct accounts):

* planned: callable accounts of the plan as of the day, plus accounts that
  were called although they are no longer in the plan;
* called: accounts with an uploaded call recording or a call note;
* follow-up: accounts with an approved note whose outcome is ``follow_up``
  or ``reactivated`` (a reactivation passed through the follow-up stage);
* reactivated: accounts with an approved note whose outcome is ``reactivated``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.crm.models import (
    EXTERNAL_REASONS,
    INTERNAL_REASONS,
    CallNote,
    CallOutcome,
    CallRecording,
    ChurnReasonLabel,
    NoteStatus,
)
from api.deps import SessionDep, TeamUser
from api.planning import tenant_plan
from api.routes.plan import plan_day

router = APIRouter(prefix="/api/analytics", tags=["analytics"])


def compute(session: Session, tenant_id: int, as_of: date) -> dict[str, Any]:
    """All analytics of a tenant as one JSON-ready dict."""
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
    return {
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


@router.get("", summary="Analytics")
def get_analytics(
    session: SessionDep,
    user: TeamUser,
    as_of: date | None = Query(None, description="Plan day for the funnel and Pareto curve."),
) -> dict[str, Any]:
    """Churn reasons by month, internal share, win-back funnel and the plan's Pareto curve."""
    return compute(session, user.tenant_id, plan_day(as_of))

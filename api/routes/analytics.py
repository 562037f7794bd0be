"""``/api/analytics``: churn reasons over time, internal vs external, funnel, Pareto curve.

The figures and their definitions are in :mod:`api.services.analytics`;
``/api/analytics/team`` is the works council view, ``/api/analytics/coaching``
the per-rep figures permitted only under a works-council agreement.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query

from api.deps import SessionDep, SettingsDep, TeamUser, TeamViewer
from api.schemas.analytics import AnalyticsOut, CoachingOut, TeamOut
from api.services.analytics import coaching_figures, compute, team_totals
from api.services.plan import plan_day

router = APIRouter(prefix="/api/analytics", tags=["analytics"])


@router.get("", summary="Analytics", response_model=AnalyticsOut)
def get_analytics(
    session: SessionDep,
    user: TeamUser,
    as_of: date | None = Query(None, description="Plan day for the funnel and Pareto curve."),
) -> AnalyticsOut:
    """Churn reasons by month, internal share, win-back funnel and the plan's Pareto curve."""
    return compute(session, user.tenant_id, plan_day(as_of))


@router.get("/team", summary="Team totals (works council view)", response_model=TeamOut)
def get_team(
    session: SessionDep,
    user: TeamViewer,
    as_of: date | None = Query(None, description="Last day of the view (default: today)."),
    months: int = Query(12, ge=1, le=60, description="How many months up to as_of."),
) -> TeamOut:
    """Calls planned and made, notes approved, churn reasons and outcomes per month.

    Team totals only: no figure per rep and no sentiment. Open to managers,
    admins and the works council role (``council``), which sees nothing else.
    """
    return team_totals(session, user.tenant_id, plan_day(as_of), months)


@router.get(
    "/coaching",
    summary="Per-rep coaching figures (only under a works-council agreement)",
    response_model=CoachingOut,
    responses={403: {"description": "Not a manager or admin, or no coaching_agreement set."}},
)
def get_coaching(
    session: SessionDep,
    settings: SettingsDep,
    user: TeamUser,
    as_of: date | None = Query(None, description="Last day of the period (default: today)."),
    months: int = Query(3, ge=1, le=24, description="How many months up to as_of."),
) -> CoachingOut:
    """Calls, approvals, outcomes, win-back rate, talk share and top reason per rep.

    Refused (403, with how to enable it) unless the setting
    ``coaching_agreement`` names the works-council agreement that permits
    per-rep figures; the works council role never sees this.
    """
    return coaching_figures(session, settings, user, plan_day(as_of), months)

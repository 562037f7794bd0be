"""The manager's per-rep coaching page, shown only under a works-council agreement."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from agent.plan.scoring import percent
from api.deps import SessionDep, SettingsDep, TeamUser
from api.services.analytics import coaching_figures
from api.services.plan import plan_day
from api.views import render

router = APIRouter(include_in_schema=False)


@router.get("/coaching")
def coaching_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: TeamUser,
    as_of: date | None = Query(None),
    months: int = Query(3, ge=1, le=24),
) -> Response:
    """Per-rep figures; without ``coaching_agreement`` a 403 page says how to enable them."""
    data = coaching_figures(session, settings, user, plan_day(as_of), months)
    return render(request, "coaching.html", data=data, percent=percent, months=months)

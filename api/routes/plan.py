"""``/api/plan``: today's win-back calls and the plan's Pareto curve."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from agent.auth import Principal
from agent.crm.db import Store
from api.deps import CurrentUser, SessionDep, StoreDep, TeamUser
from api.planning import cached_plan_json, plan_json
from api.reads import run_read
from api.responses import raw_json_response
from api.schemas.plan import ParetoOut, PlanModelOut, PlanOut
from api.services.plan import plan_day, plan_pareto, tenant_plan_model

router = APIRouter(prefix="/api/plan", tags=["plan"])

AS_OF = Query(None, description="Plan as of this day (default: today).", examples=["2026-11-02"])


def _cached_plan(store: Store, user: Principal, day: date, days: int) -> bytes | None:
    with store.session() as session:
        return cached_plan_json(session, user, day, days)


def _built_plan(store: Store, user: Principal, day: date, days: int) -> bytes:
    with store.session() as session:
        return plan_json(session, user, day, days)


@router.get("", summary="Planned calls", response_model=PlanOut)
async def get_plan(
    store: StoreDep,
    user: CurrentUser,
    as_of: date | None = AS_OF,
    days: int = Query(1, ge=1, le=31, description="Working days to plan, starting at as_of."),
) -> Response:
    """The planned win-back calls: a rep gets their own, managers and admins everyone's.

    Calls start on ``as_of`` (or the next working day) and fill ``days``
    working days, one or two per rep and day, in rank order.
    """
    # A hot read: async; a cached plan costs one short read (api/reads.py), only
    # building a plan (tens of ms or more) goes to the threadpool.
    day = plan_day(as_of)
    body = await run_read(store, _cached_plan, user, day, days)
    if body is None:
        body = await run_in_threadpool(_built_plan, store, user, day, days)
    return raw_json_response(body)


@router.get("/pareto", summary="Pareto curve of the plan", response_model=ParetoOut)
def get_pareto(session: SessionDep, user: TeamUser, as_of: date | None = AS_OF) -> ParetoOut:
    """The cumulative share of expected value over the ranked calls, with the cut-off."""
    return plan_pareto(session, user, plan_day(as_of))


@router.get("/model", summary="How the plan values customers", response_model=PlanModelOut)
def get_model(
    session: SessionDep,
    user: TeamUser,
    as_of: date | None = AS_OF,
    top: int = Query(10, ge=0, le=200, description="Explained calls from the top of the list."),
) -> PlanModelOut:
    """The value model or the prior (with the reason), the win-back chance per segment with
    the call outcomes it rests on, the first calls with their expected value as a sentence,
    and every excluded account with its reason."""
    return tenant_plan_model(session, user, plan_day(as_of), top)

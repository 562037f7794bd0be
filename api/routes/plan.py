"""``/api/plan``: today's win-back calls and the plan's Pareto curve."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from agent.auth import Principal
from agent.crm.db import Store
from agent.errors import ValidationError
from agent.plan import Plan
from agent.plan.chances import SegmentChance
from agent.plan.valuation import ValueModel
from api.deps import CurrentUser, SessionDep, StoreDep, TeamUser
from api.planning import cached_plan_json, plan_json, tenant_plan
from api.reads import run_read
from api.responses import raw_json_response

router = APIRouter(prefix="/api/plan", tags=["plan"])


class PlanOut(BaseModel):
    """Planned calls (documentation of the response; see :class:`agent.plan.PlannedCall`)."""

    as_of: str
    calls: list[dict[str, Any]]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "as_of": "2026-11-03",
                    "calls": [
                        {
                            "account_id": 41,
                            "external_id": "K10041",
                            "name": "Meyer & Bergmann KG",
                            "rank": 1,
                            "score": 92.4,
                            "last_order_date": "2025-06-30",
                            "within_pareto": True,
                            "day": "2026-11-03",
                            "start": "2026-11-03T09:00:00+01:00",
                            "end": "2026-11-03T09:30:00+01:00",
                            "rep": "a.keller",
                            "rep_name": "Anna Keller",
                        }
                    ],
                }  # fmt: skip
            ]
        }
    }


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def plan_day(as_of: date | None) -> date:
    """``as_of`` or today, refused outside 2000-2100 (the plan subtracts months from it)."""
    day = as_of or date.today()
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError("as_of: use a day between 2000-01-01 and 2100-12-31.")
    return day


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


@router.get("/pareto", summary="Pareto curve of the plan")
def get_pareto(session: SessionDep, user: TeamUser, as_of: date | None = AS_OF) -> dict[str, Any]:
    """The cumulative share of expected value over the ranked calls, with the cut-off."""
    plan = tenant_plan(session, user.tenant_id, plan_day(as_of))
    return {
        "as_of": plan.as_of.isoformat(),
        "callable": len(plan.callable),
        "excluded": plan.excluded_count,
        **plan.pareto.model_dump(mode="json"),
    }


class ExplainedCall(BaseModel):
    """One ranked customer with the sentence behind its value."""

    rank: int
    account_id: int
    external_id: str
    name: str
    p_return: float
    expected_spend: float
    expected_value: float
    call_value: float = Field(description="What the list is ranked by.")
    segment: str
    ease: int | None = Field(description="The rep's ease rating; null when not rated.")
    win_back_chance: float = Field(description="The segment's win-back chance of a call.")
    explanation: str


class ExcludedAccount(BaseModel):
    """A lapsed customer who is not called, and why (its status or an agreed follow-up)."""

    account_id: int
    external_id: str
    name: str
    reason: str = Field(description="insolvent, lost, do_not_contact or follow_up.")
    follow_up_due: date | None = Field(
        default=None, description="The day of the agreed call or visit (reason follow_up)."
    )


class PlanModelOut(BaseModel):
    """How the plan values customers: the model or the prior, the segments, the exclusions."""

    as_of: str
    model: ValueModel
    segments: list[SegmentChance]
    top: list[ExplainedCall]
    excluded: list[ExcludedAccount]


def plan_segment_chance(plan: Plan, segment: str) -> float:
    """The win-back chance of ``segment`` in ``plan`` (the prior when it is not listed)."""
    return next((s.chance for s in plan.segments if s.segment == segment), 0.0)


def plan_model(plan: Plan, top: int = 10) -> PlanModelOut:
    """The explanation of ``plan`` for the manager (shared by the API and the page)."""
    calls = [
        ExplainedCall(
            rank=c.rank or 0,
            account_id=c.account_id,
            external_id=c.external_id,
            name=c.name,
            p_return=c.score_parts.p_return,
            expected_spend=c.score_parts.expected_spend,
            expected_value=c.score_parts.expected_value,
            call_value=c.score_parts.call_value,
            segment=c.score_parts.segment,
            ease=c.score_parts.ease if c.score_parts.ease_known else None,
            win_back_chance=plan_segment_chance(plan, c.score_parts.segment),
            explanation=c.score_parts.explanation,
        )
        for c in plan.callable[:top]
    ]
    excluded = [
        ExcludedAccount(
            account_id=c.account_id,
            external_id=c.external_id,
            name=c.name,
            reason=c.excluded,
            follow_up_due=c.follow_up_due,
        )
        for c in plan.customers
        if c.excluded is not None
    ]
    return PlanModelOut(
        as_of=plan.as_of.isoformat(),
        model=plan.model,
        segments=plan.segments,
        top=calls,
        excluded=excluded,
    )


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
    return plan_model(tenant_plan(session, user.tenant_id, plan_day(as_of)), top)

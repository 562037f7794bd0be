"""The plan as the API and the pages show it: the day asked for, the Pareto curve, the model.

The plans themselves are built and cached in :mod:`api.planning`; this
module turns them into what a caller sees.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from agent.auth import Principal
from agent.errors import ValidationError
from agent.plan import Plan
from api.planning import tenant_plan
from api.schemas.plan import ExcludedAccount, ExplainedCall, ParetoOut, PlanModelOut

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def plan_day(as_of: date | None) -> date:
    """``as_of`` or today, refused outside 2000-2100 (the plan subtracts months from it)."""
    day = as_of or date.today()
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError("as_of: use a day between 2000-01-01 and 2100-12-31.")
    return day


def plan_pareto(session: Session, user: Principal, as_of: date) -> ParetoOut:
    """The Pareto curve of the tenant's plan with the number of callable and excluded customers."""
    plan = tenant_plan(session, user.tenant_id, as_of)
    return ParetoOut(
        as_of=plan.as_of.isoformat(),
        callable=len(plan.callable),
        excluded=plan.excluded_count,
        **plan.pareto.model_dump(),
    )


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


def tenant_plan_model(
    session: Session, user: Principal, as_of: date, top: int = 10
) -> PlanModelOut:
    """:func:`plan_model` of the user's tenant as of ``as_of``."""
    return plan_model(tenant_plan(session, user.tenant_id, as_of), top)

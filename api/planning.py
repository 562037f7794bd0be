"""The win-back plan for the web app, cached briefly per tenant and day.

Building the plan scores every lapsed account of the tenant, which takes
tens of milliseconds; the plan page, the API and the analytics would each
rebuild it on every request. Plans are therefore cached for
:data:`TTL_S` seconds per (database, tenant, as-of day, settings) and
forgotten whenever the web app changes something the plan depends on
(ownership, an approved note that changes an account status). Changes
made elsewhere (imports via the CLI) show up after the TTL.
"""

from __future__ import annotations

import threading
import time
from datetime import date

from sqlalchemy.orm import Session

from agent.auth import Principal
from agent.plan import DailyPlan, Plan, build_plan, daily_plan
from agent.settings import get_settings

TTL_S = 30.0
_cache: dict[tuple[object, ...], tuple[float, object]] = {}
_lock = threading.Lock()


def forget_plans() -> None:
    """Drop every cached plan (after a change that affects the plan)."""
    with _lock:
        _cache.clear()


def _cached(key: tuple[object, ...], build):  # type: ignore[no-untyped-def]
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and now - hit[0] < TTL_S:
            return hit[1]
    value = build()
    with _lock:
        if len(_cache) > 256:
            _cache.clear()
        _cache[key] = (now, value)
    return value


def _key(session: Session, tenant_id: int, *rest: object) -> tuple[object, ...]:
    settings = get_settings()
    url = str(session.get_bind().engine.url)
    return (url, tenant_id, settings.inactive_months, settings.pareto_value_share, *rest)


def tenant_plan(session: Session, tenant_id: int, as_of: date) -> Plan:
    """The ranked plan of the tenant as of ``as_of`` (cached)."""
    return _cached(  # type: ignore[no-any-return]
        _key(session, tenant_id, "plan", as_of),
        lambda: build_plan(session, tenant_id, as_of),
    )


def tenant_daily_plan(session: Session, tenant_id: int, as_of: date, days: int) -> DailyPlan:
    """Calls per rep for ``days`` working days starting on ``as_of`` (cached)."""
    plan = tenant_plan(session, tenant_id, as_of)
    return _cached(  # type: ignore[no-any-return]
        _key(session, tenant_id, "daily", as_of, days),
        lambda: daily_plan(session, tenant_id, plan, days=days, start=as_of),
    )


def calls_for(session: Session, user: Principal, as_of: date, days: int = 1) -> list[dict]:
    """The planned calls the user may see: a rep their own, managers and admins everyone's."""
    plan = tenant_daily_plan(session, user.tenant_id, as_of, days)
    calls: list[dict] = []
    for rep in plan.reps:
        if not user.sees_team and rep.user_id != user.user_id:
            continue
        for call in rep.calls:
            calls.append(
                {**call.model_dump(mode="json"), "rep": rep.username, "rep_name": rep.name}
            )
    calls.sort(key=lambda c: (c["start"], c["rep"]))
    return calls

"""The win-back plan for the web app, cached per tenant, day and data version.

Building the plan scores every lapsed account of the tenant, which takes
tens of milliseconds; the plan page, the API and the analytics would each
rebuild it on every request. Plans are therefore cached per (database,
tenant, as-of day, the settings they depend on) *and the tenant's data
version* (:func:`data_version`): one cheap query that changes whenever
something the plan reads changes, whichever process changed it (another
``winback serve --workers`` process, a CLI import, an erasure). A changed
version is a cache miss, so a cached plan is never served after a change
that is visible to the version query.

What the plan reads and how each change shows in the version:

* orders: inserted only (imports never change an order); new ones raise
  ``max(orders.id)``; they are deleted only by an erasure, which writes an
  erasure tombstone (``max(erasure_tombstones.id)``) and deletes the account;
* accounts (status, owner, ease, name): every ORM or import update sets
  ``updated_at`` (``max(updated_at)``); inserts and deletes change the count;
* users (active reps, names): added only; the count, the number of active
  users and ``max(users.id)``;
* approved call outcomes (they update the win-back chance per segment): an
  approval or rejection sets ``reviewed_at`` (``max(call_notes.reviewed_at)``)
  and a new or deleted note changes ``count(call_notes)``;
* open tasks (an agreed call or visit holds its account until its day): a task
  created, done, cancelled or opened again changes the count or the sum of the
  ids of the open tasks (a task closed and another opened since the last read
  change the sum unless their ids are equal).

As a safety net for changes outside these paths (hand-written SQL), a
cached plan also expires after :data:`TTL_S` seconds, and the web app
forgets its own plans at once after a change it makes (:func:`forget_plans`).
The per-user JSON of the plan endpoint is cached under the same key.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from sqlalchemy import BindParameter, Integer, Select, bindparam, func, select
from sqlalchemy.orm import Session

from agent.auth import Principal
from agent.crm.models import (
    Account,
    CallNote,
    ErasureTombstone,
    Order,
    Task,
    TaskStatus,
    User,
)
from agent.plan import DailyPlan, Plan, build_plan, daily_plan
from agent.settings import get_settings
from api.cache import Cache
from api.responses import json_bytes

#: Only a safety net (see the module docstring): the data version keeps plans fresh.
TTL_S = 300.0
MAX_ENTRIES = 256
#: Plans, daily plans and the plan endpoint's JSON, keyed by :func:`_key` and what they are.
_cache: Cache[tuple[object, ...], object] = Cache(MAX_ENTRIES, TTL_S)
#: The newest data version seen per (database, tenant).
_versions: Cache[tuple[str, int], tuple[object, ...]] = Cache(MAX_ENTRIES, TTL_S)


def _version_query() -> Select[Any]:
    tenant: BindParameter[int] = bindparam("tenant_id", type_=Integer)

    def scalar(column: Any, *where: Any) -> Any:
        return select(column).where(*where).scalar_subquery()

    return select(
        scalar(func.max(Order.id), Order.tenant_id == tenant),
        scalar(func.count(Account.id), Account.tenant_id == tenant),
        scalar(func.max(Account.updated_at), Account.tenant_id == tenant),
        scalar(func.count(User.id), User.tenant_id == tenant),
        scalar(func.count(User.id), User.tenant_id == tenant, User.active.is_(True)),
        scalar(func.max(User.id), User.tenant_id == tenant),
        scalar(func.max(ErasureTombstone.id), ErasureTombstone.tenant_id == tenant),
        scalar(func.count(CallNote.id), CallNote.tenant_id == tenant),
        scalar(func.max(CallNote.reviewed_at), CallNote.tenant_id == tenant),
        scalar(func.count(Task.id), Task.tenant_id == tenant, Task.status == TaskStatus.open),
        scalar(func.sum(Task.id), Task.tenant_id == tenant, Task.status == TaskStatus.open),
    )


#: Built once: executing a prebuilt statement skips constructing it on every request.
_VERSION = _version_query()


def data_version(session: Session, tenant_id: int) -> tuple[object, ...]:
    """A value that changes whenever data the tenant's plan depends on changes (one query)."""
    row = session.connection().execute(_VERSION, {"tenant_id": tenant_id}).one()
    return tuple(str(v) if v is not None else None for v in row)


def forget_plans() -> None:
    """Drop every cached plan (after a change that affects the plan)."""
    _cache.clear()


def _key(session: Session, tenant_id: int) -> tuple[object, ...]:
    """The cache key prefix: database, tenant, data version and the settings the plan uses.

    A new data version drops the tenant's entries of older versions, so plans of
    outdated data do not pile up in memory.
    """
    settings = get_settings()
    url = str(session.get_bind().engine.url)
    version = data_version(session, tenant_id)
    if _versions.get((url, tenant_id)) != version:
        _versions.put((url, tenant_id), version)
        _cache.discard_where(lambda k, _: k[:2] == (url, tenant_id) and k[2] != version)
    return (
        url,
        tenant_id,
        version,
        settings.inactive_months,
        settings.pareto_value_share,
        settings.calls_per_rep_per_day,
        settings.workday_start_hour,
    )


def _plan(session: Session, key: tuple[object, ...], tenant_id: int, as_of: date) -> Plan:
    plan = _cache.get_or_build((*key, "plan", as_of), lambda: build_plan(session, tenant_id, as_of))
    return cast(Plan, plan)


def _daily(
    session: Session, key: tuple[object, ...], tenant_id: int, as_of: date, days: int
) -> DailyPlan:
    def build() -> DailyPlan:
        plan = _plan(session, key, tenant_id, as_of)
        return daily_plan(session, tenant_id, plan, days=days, start=as_of)

    return cast(DailyPlan, _cache.get_or_build((*key, "daily", as_of, days), build))


def tenant_plan(session: Session, tenant_id: int, as_of: date) -> Plan:
    """The ranked plan of the tenant as of ``as_of`` (cached)."""
    return _plan(session, _key(session, tenant_id), tenant_id, as_of)


def tenant_daily_plan(session: Session, tenant_id: int, as_of: date, days: int) -> DailyPlan:
    """Calls per rep for ``days`` working days starting on ``as_of`` (cached)."""
    return _daily(session, _key(session, tenant_id), tenant_id, as_of, days)


def _calls(plan: DailyPlan, user: Principal) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    for rep in plan.reps:
        if not user.sees_team and rep.user_id != user.user_id:
            continue
        for call in rep.calls:
            calls.append(
                {**call.model_dump(mode="json"), "rep": rep.username, "rep_name": rep.name}
            )
    calls.sort(key=lambda c: (c["start"], c["rep"]))
    return calls


def calls_for(session: Session, user: Principal, as_of: date, days: int = 1) -> list[dict]:
    """The planned calls the user may see: a rep their own, managers and admins everyone's."""
    return _calls(tenant_daily_plan(session, user.tenant_id, as_of, days), user)


def _json_key(
    base: tuple[object, ...], user: Principal, as_of: date, days: int
) -> tuple[object, ...]:
    scope = "team" if user.sees_team else user.user_id
    return (*base, "json", as_of, days, scope)


def plan_json(session: Session, user: Principal, as_of: date, days: int = 1) -> bytes:
    """``{"as_of", "calls"}`` (the calls of :func:`calls_for`) as JSON, cached per user scope.

    Managers and admins share one entry per tenant and day, each rep has their own.
    """
    base = _key(session, user.tenant_id)

    def build() -> bytes:
        plan = _daily(session, base, user.tenant_id, as_of, days)
        return json_bytes({"as_of": as_of.isoformat(), "calls": _calls(plan, user)})

    return cast(bytes, _cache.get_or_build(_json_key(base, user, as_of, days), build))


def cached_plan_json(session: Session, user: Principal, as_of: date, days: int = 1) -> bytes | None:
    """What :func:`plan_json` returns if it is cached for the current data version, else None.

    Costs one short query (the data version), never a plan build.
    """
    hit = _cache.get(_json_key(_key(session, user.tenant_id), user, as_of, days))
    return hit if isinstance(hit, bytes) else None

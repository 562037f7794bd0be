"""The daily call plan: one or two win-back calls per rep per working day.

The method makes win-back a daily habit: every rep gets one or two calls a
day in the calendar, chosen by the system. :func:`daily_plan` takes a ranked
:class:`~agent.plan.ranking.Plan` and hands out its callable customers:

* an account with an owner goes to that owner (the owner's own book);
* unowned accounts are dealt round-robin, in rank order, to the tenant's
  active reps; when the tenant has no reps they land in ``unassigned``
  (listed so a manager can assign them, but without calendar slots);
* each rep works their accounts in rank order, which also means the calls
  inside the Pareto cut-off (a prefix of the ranking) come first;
* an account is never planned twice, excluded accounts never at all; an
  account held for a call or visit agreed for a day after the plan's as-of
  date (:mod:`agent.plan.follow_ups`) is not in this calendar even when that
  day falls inside it, since a plan built on or after the day is the one that
  proposes it again.

Working days are Monday to Friday; German public holidays are skipped too
when the optional ``holidays`` package is installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.crm.models import Account, Role, User
from agent.errors import ValidationError
from agent.plan.ranking import Plan, PlanCustomer
from agent.plan.scoring import ScoreParts
from agent.settings import get_settings

#: Calendar time zone of the reps (on-premise, German-first product).
TIMEZONE = ZoneInfo("Europe/Berlin")
#: Length of one planned call in the calendar.
CALL_MINUTES = 30
MAX_DAYS = 366
MAX_PER_REP = 10

try:  # optional: skip German public holidays when the package is there
    import holidays as _holidays_pkg
except ImportError:  # pragma: no cover - depends on the environment
    _holidays_pkg = None


class CallCandidate(BaseModel):
    """A callable lapsed customer, as handed to a rep."""

    account_id: int
    external_id: str
    name: str
    rank: int
    score: float
    score_parts: ScoreParts
    last_order_date: date
    within_pareto: bool = Field(description="True when the rank is inside the Pareto cut-off.")


class PlannedCall(CallCandidate):
    """A call with its calendar slot."""

    day: date
    start: datetime = Field(description="Start time, Europe/Berlin.")
    end: datetime


class RepPlan(BaseModel):
    """The calls of one rep."""

    user_id: int
    username: str
    name: str
    calls: list[PlannedCall]


class DailyPlan(BaseModel):
    """Calls per rep and working day, plus unowned calls when nobody can take them."""

    tenant_id: int
    as_of: date
    days: list[date]
    per_rep: int
    reps: list[RepPlan]
    unassigned: list[CallCandidate] = Field(
        description="Unowned calls in a tenant without reps (no calendar); at most days x per_rep."
    )


def is_working_day(day: date) -> bool:
    """Monday to Friday, and not a German public holiday if ``holidays`` is installed."""
    if day.weekday() >= 5:
        return False
    if _holidays_pkg is not None:
        return day not in _holidays_pkg.country_holidays("DE", years=day.year)
    return True


def next_working_day(after: date) -> date:
    """The first working day strictly after ``after``."""
    day = after + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def working_days(start: date, count: int) -> list[date]:
    """``count`` working days beginning with ``start`` (or the first working day after it)."""
    days: list[date] = []
    day = start if is_working_day(start) else next_working_day(start)
    while len(days) < count:
        days.append(day)
        day = next_working_day(day)
    return days


def _validate(days: int, per_rep: int) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValidationError(f"days must be a whole number from 1 to {MAX_DAYS}, got {days!r}")
    if isinstance(per_rep, bool) or not isinstance(per_rep, int) or not 1 <= per_rep <= MAX_PER_REP:
        raise ValidationError(
            f"calls per rep must be a whole number from 1 to {MAX_PER_REP}, got {per_rep!r}"
        )


def _candidate(customer: PlanCustomer, cutoff_rank: int) -> CallCandidate:
    assert customer.rank is not None
    return CallCandidate(
        account_id=customer.account_id,
        external_id=customer.external_id,
        name=customer.name,
        rank=customer.rank,
        score=customer.score,
        score_parts=customer.score_parts,
        last_order_date=customer.last_order_date,
        within_pareto=customer.rank <= cutoff_rank,
    )


def _slots(day: date, count: int, start_hour: int) -> Iterator[tuple[datetime, datetime]]:
    begin = datetime.combine(day, time(start_hour), tzinfo=TIMEZONE)
    for i in range(count):
        start = begin + timedelta(minutes=CALL_MINUTES * i)
        yield start, start + timedelta(minutes=CALL_MINUTES)


def daily_plan(
    session: Session,
    tenant_id: int,
    plan: Plan,
    days: int,
    per_rep: int | None = None,
    start: date | None = None,
) -> DailyPlan:
    """Spread the plan's callable customers over ``days`` working days, ``per_rep`` a day.

    ``start`` is the first day to plan (moved to the next working day if it
    is none); by default the next working day after the plan's as-of date.
    ``per_rep`` defaults to ``settings.calls_per_rep_per_day``. Calls start
    at ``settings.workday_start_hour`` Europe/Berlin and follow each other
    every 30 minutes.
    """
    settings = get_settings()
    per_rep = settings.calls_per_rep_per_day if per_rep is None else per_rep
    _validate(days, per_rep)
    first = start if start is not None else next_working_day(plan.as_of)
    calendar = working_days(first, days)

    callable_customers = plan.callable
    ids = [c.account_id for c in callable_customers]
    owners: dict[int, int | None] = {}
    if ids:
        rows = session.execute(
            select(Account.id, Account.owner_id).where(
                Account.tenant_id == tenant_id, Account.id.in_(ids)
            )
        )
        owners = {row.id: row.owner_id for row in rows}
    users = {
        u.id: u
        for u in session.scalars(
            select(User).where(User.tenant_id == tenant_id, User.active.is_(True))
        )
    }
    reps = sorted((u for u in users.values() if u.role == Role.rep), key=lambda u: u.username)

    queues: dict[int, list[CallCandidate]] = {}
    unassigned: list[CallCandidate] = []
    next_rep = 0
    for customer in callable_customers:  # already in rank order
        candidate = _candidate(customer, plan.pareto.cutoff_rank)
        owner_id = owners.get(customer.account_id)
        if owner_id is not None and owner_id in users:
            queues.setdefault(owner_id, []).append(candidate)
        elif reps:
            rep = reps[next_rep % len(reps)]
            next_rep += 1
            queues.setdefault(rep.id, []).append(candidate)
        elif len(unassigned) < days * per_rep:
            unassigned.append(candidate)

    people = {u.id: u for u in reps}
    people.update({uid: users[uid] for uid in queues})
    rep_plans: list[RepPlan] = []
    for user in sorted(people.values(), key=lambda u: u.username):
        queue = queues.get(user.id, [])
        calls: list[PlannedCall] = []
        for index, day in enumerate(calendar):
            todays = queue[index * per_rep : (index + 1) * per_rep]
            slots = _slots(day, len(todays), settings.workday_start_hour)
            for candidate, (begin, end) in zip(todays, slots, strict=True):
                calls.append(PlannedCall(**candidate.model_dump(), day=day, start=begin, end=end))
        rep_plans.append(
            RepPlan(user_id=user.id, username=user.username, name=user.name, calls=calls)
        )
    return DailyPlan(
        tenant_id=tenant_id,
        as_of=plan.as_of,
        days=calendar,
        per_rep=per_rep,
        reps=rep_plans,
        unassigned=unassigned,
    )

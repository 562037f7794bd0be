"""An agreed follow-up holds an account back until its day: listed with the day, then planned."""

from __future__ import annotations

from datetime import date

from sqlalchemy import event

from agent.crm.db import Store
from agent.crm.models import AccountStatus, NextStepType, TaskStatus
from agent.plan import Plan, build_plan, daily_plan
from tests.plan.conftest import Seeder

PLAN_DAY = date(2011, 12, 12)  # a Monday
AGREED = date(2011, 12, 20)  # the follow-up call agreed with the customer, a Tuesday
CALL_DAY = date(2011, 12, 5)  # the call in which it was agreed


def plan_on(store: Store, tenant_id: int, day: date) -> Plan:
    with store.session() as session:
        return build_plan(session, tenant_id, day, 12)


def planned_ids(store: Store, tenant_id: int, day: date, days: int = 1) -> list[int]:
    with store.session() as session:
        plan = build_plan(session, tenant_id, day, 12)
        schedule = daily_plan(session, tenant_id, plan, days, per_rep=2, start=day)
    return [call.account_id for rep in schedule.reps for call in rep.calls]


def lapsed(
    seed: Seeder,
    tenant_id: int,
    external_id: str,
    total: float,
    owner_id: int | None = None,
    status: AccountStatus = AccountStatus.active,
) -> int:
    account = seed.account(tenant_id, external_id, owner_id=owner_id, status=status)
    seed.order(tenant_id, account, date(2010, 3, 1), total)
    return account


def test_follow_up_agreed_for_a_later_day_holds_the_account_until_that_day(
    store: Store, seed: Seeder
) -> None:
    t = seed.tenant()
    anna = seed.user(t, "anna")
    # The held account is worth the most: without the hold it would be the first call.
    held = lapsed(seed, t, "held", 9000, owner_id=anna)
    other = lapsed(seed, t, "other", 100, owner_id=anna)
    seed.task(t, held, AGREED, created=CALL_DAY)

    plan = plan_on(store, t, PLAN_DAY)
    entry = next(c for c in plan.customers if c.account_id == held)
    assert (entry.rank, entry.excluded, entry.follow_up_due) == (None, "follow_up", AGREED)
    assert [c.account_id for c in plan.callable] == [other]
    assert plan.excluded_count == 1
    assert planned_ids(store, t, PLAN_DAY) == [other]
    # Not in the week before the agreed day either (the plan never calls too early).
    assert held not in planned_ids(store, t, PLAN_DAY, days=5)

    # On the agreed day the open task is the reason to call: first in the plan again.
    on_the_day = plan_on(store, t, AGREED)
    assert [c.account_id for c in on_the_day.callable] == [held, other]
    assert on_the_day.customers[0].follow_up_due is None
    assert planned_ids(store, t, AGREED) == [held, other]
    # Still open after the day (overdue): still to call.
    assert planned_ids(store, t, date(2011, 12, 21)) == [held, other]


def test_only_open_agreed_calls_and_visits_with_a_later_day_hold_an_account(
    store: Store, seed: Seeder
) -> None:
    t = seed.tenant()
    seed.user(t, "anna")
    visit = lapsed(seed, t, "visit", 500)
    seed.task(t, visit, AGREED, type=NextStepType.schedule_visit, created=CALL_DAY)
    offer = lapsed(seed, t, "offer", 500)  # the rep's own work, not a contact date
    seed.task(t, offer, AGREED, type=NextStepType.send_offer, created=CALL_DAY)
    done = lapsed(seed, t, "done", 500)
    seed.task(t, done, AGREED, status=TaskStatus.done, created=CALL_DAY, completed=CALL_DAY)
    cancelled = lapsed(seed, t, "cancelled", 500)
    seed.task(t, cancelled, AGREED, status=TaskStatus.cancelled, created=CALL_DAY)
    undated = lapsed(seed, t, "undated", 500)
    seed.task(t, undated, None, created=CALL_DAY)
    overdue = lapsed(seed, t, "overdue", 500)  # one agreed call is due already: call now
    seed.task(t, overdue, date(2011, 12, 9), created=CALL_DAY)
    seed.task(t, overdue, AGREED, created=CALL_DAY)
    today = lapsed(seed, t, "today", 500)
    seed.task(t, today, PLAN_DAY, created=CALL_DAY)
    lost = lapsed(seed, t, "lost", 500, status=AccountStatus.lost)  # its status says more
    seed.task(t, lost, AGREED, created=CALL_DAY)
    two = lapsed(seed, t, "two", 500)  # two later days: held until the first
    seed.task(t, two, date(2012, 1, 12), created=CALL_DAY)
    seed.task(t, two, date(2011, 12, 15), type=NextStepType.schedule_visit, created=CALL_DAY)

    plan = plan_on(store, t, PLAN_DAY)
    reasons = {c.account_id: (c.excluded, c.follow_up_due) for c in plan.customers}
    assert reasons == {
        visit: ("follow_up", AGREED),
        offer: (None, None),
        done: (None, None),
        cancelled: (None, None),
        undated: (None, None),
        overdue: (None, None),
        today: (None, None),
        lost: ("lost", None),
        two: ("follow_up", date(2011, 12, 15)),
    }


def test_the_plan_of_a_past_day_sees_the_tasks_of_that_day(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    seed.user(t, "anna")
    later = lapsed(seed, t, "later", 500)  # agreed after the plan day: did not exist yet
    seed.task(t, later, AGREED, created=date(2011, 12, 13))
    closed = lapsed(seed, t, "closed", 500)  # done after the plan day: still open on it
    seed.task(t, closed, AGREED, status=TaskStatus.done, created=CALL_DAY, completed=AGREED)

    plan = plan_on(store, t, PLAN_DAY)
    reasons = {c.account_id: c.excluded for c in plan.customers}
    assert reasons == {later: None, closed: "follow_up"}


def test_follow_ups_cost_one_query_whatever_the_number_of_accounts(
    store: Store, seed: Seeder
) -> None:
    t = seed.tenant()
    seed.user(t, "anna")
    for i in range(25):
        account = lapsed(seed, t, f"a{i:02d}", 100 + i)
        seed.task(t, account, AGREED if i % 2 else date(2011, 12, 1), created=CALL_DAY)
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        plan = plan_on(store, t, PLAN_DAY)
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    assert plan.excluded_count == 12
    assert sum(1 for s in statements if "FROM tasks" in s) == 1

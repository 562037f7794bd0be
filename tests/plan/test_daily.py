"""The daily call plan: ownership, working days, per-rep limit, no duplicates."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time

import pytest

from agent.crm.db import Store
from agent.crm.models import AccountStatus, Role
from agent.errors import ValidationError
from agent.plan import DailyPlan, build_plan, daily_plan
from agent.plan.daily import TIMEZONE, next_working_day, working_days
from tests.plan.conftest import Seeder

AS_OF = date(2011, 12, 9)  # a Friday


def make_plan(
    store: Store, tenant_id: int, days: int, per_rep: int, start: date | None = None
) -> DailyPlan:
    with store.session() as session:
        plan = build_plan(session, tenant_id, AS_OF, 12)
        return daily_plan(session, tenant_id, plan, days, per_rep, start)


def lapsed_accounts(
    seed: Seeder,
    tenant_id: int,
    count: int,
    prefix: str = "a",
    owner_id: int | None = None,
    status: AccountStatus = AccountStatus.active,
) -> list[int]:
    ids = []
    for i in range(count):
        account = seed.account(tenant_id, f"{prefix}{i:03d}", owner_id=owner_id, status=status)
        seed.order(tenant_id, account, date(2010, 1 + i % 11, 1), 100 + 10 * i)
        ids.append(account)
    return ids


def test_working_days_skip_weekends() -> None:
    assert next_working_day(AS_OF) == date(2011, 12, 12)
    assert working_days(date(2011, 12, 10), 3) == [
        date(2011, 12, 12),
        date(2011, 12, 13),
        date(2011, 12, 14),
    ]
    days = working_days(date(2011, 11, 1), 30)
    assert all(d.weekday() < 5 for d in days) and len(set(days)) == 30


def test_ownership_round_robin_limits_and_no_duplicates(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    anna = seed.user(t, "anna")
    seed.user(t, "ben")
    manager = seed.user(t, "chef", role=Role.manager)
    owned_by_anna = lapsed_accounts(seed, t, 5, prefix="anna", owner_id=anna)
    owned_by_manager = lapsed_accounts(seed, t, 2, prefix="boss", owner_id=manager)
    lapsed_accounts(seed, t, 12, prefix="free")
    lapsed_accounts(seed, t, 3, prefix="gone", status=AccountStatus.lost)

    schedule = make_plan(store, t, days=3, per_rep=2)
    assert schedule.days == [date(2011, 12, 12), date(2011, 12, 13), date(2011, 12, 14)]
    by_rep = {rep.username: rep for rep in schedule.reps}
    assert set(by_rep) == {"anna", "ben", "chef"}  # the manager owns accounts: own calendar
    all_calls = [call for rep in schedule.reps for call in rep.calls]
    assert len({c.account_id for c in all_calls}) == len(all_calls)  # never twice
    assert not any(c.external_id.startswith("gone") for c in all_calls)
    for rep in schedule.reps:
        per_day = Counter(call.day for call in rep.calls)
        assert max(per_day.values()) <= 2
        assert set(per_day) <= set(schedule.days)
        ranks = [call.rank for call in rep.calls]
        assert ranks == sorted(ranks)  # best first within each rep's queue
    # Owned accounts stay with their owner; unowned ones never go to the manager.
    assert {c.account_id for c in by_rep["chef"].calls} == set(owned_by_manager)
    anna_ids = {c.account_id for c in by_rep["anna"].calls}
    ben_ids = {c.account_id for c in by_rep["ben"].calls}
    assert not ben_ids & set(owned_by_anna)
    assert anna_ids & set(owned_by_anna)
    # 12 unowned accounts dealt round-robin: 6 each, so both reps fill 3 days x 2.
    assert len(by_rep["ben"].calls) == 6 and len(by_rep["anna"].calls) == 6
    assert all(c.external_id.startswith("free") for c in by_rep["ben"].calls)
    assert schedule.unassigned == []


def test_calls_take_slots_from_workday_start(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    seed.user(t, "anna")
    lapsed_accounts(seed, t, 5)
    schedule = make_plan(store, t, days=2, per_rep=2, start=date(2011, 12, 17))  # a Saturday
    (rep,) = schedule.reps
    assert [c.day for c in rep.calls] == [date(2011, 12, 19)] * 2 + [date(2011, 12, 20)] * 2
    first, second = rep.calls[:2]
    assert first.start == datetime.combine(date(2011, 12, 19), time(9), tzinfo=TIMEZONE)
    assert (second.start - first.start).total_seconds() == 1800
    assert (first.end - first.start).total_seconds() == 1800
    assert [c.rank for c in rep.calls] == [1, 2, 3, 4]
    assert rep.calls[0].within_pareto


def test_without_reps_unowned_calls_are_unassigned(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    lapsed_accounts(seed, t, 10)
    schedule = make_plan(store, t, days=2, per_rep=2)
    assert schedule.reps == []
    assert [c.rank for c in schedule.unassigned] == [1, 2, 3, 4]


def test_fewer_accounts_than_slots(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    seed.user(t, "anna")
    seed.user(t, "ben")
    lapsed_accounts(seed, t, 3)
    schedule = make_plan(store, t, days=5, per_rep=2)
    assert sorted(len(r.calls) for r in schedule.reps) == [1, 2]


@pytest.mark.parametrize(("days", "per_rep"), [(0, 1), (1, 0), (-3, 2)])
def test_bad_days_or_per_rep(store: Store, seed: Seeder, days: int, per_rep: int) -> None:
    with pytest.raises(ValidationError):
        make_plan(store, seed.tenant(), days=days, per_rep=per_rep)

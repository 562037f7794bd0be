"""Lapse detection on SQLite and PostgreSQL: the boundary, the as-of date, cancellations."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from agent.crm.db import Store
from agent.errors import ValidationError
from agent.plan.lapse import find_lapsed, has_orders, lapse_cutoff
from tests.plan.conftest import Seeder

AS_OF = date(2011, 12, 9)


def lapsed_ids(store: Store, tenant_id: int, as_of: date = AS_OF, months: int = 12) -> set[str]:
    with store.session() as session:
        return {a.external_id for a in find_lapsed(session, tenant_id, as_of, months)}


def test_cutoff_is_as_of_minus_calendar_months() -> None:
    assert lapse_cutoff(AS_OF, 12) == date(2010, 12, 9)
    assert lapse_cutoff(date(2012, 3, 31), 1) == date(2012, 2, 29)
    assert lapse_cutoff(date(2011, 5, 31), 3) == date(2011, 2, 28)


@pytest.mark.parametrize("months", [0, -1, 121])
def test_cutoff_rejects_bad_months(months: int) -> None:
    with pytest.raises(ValidationError, match="inactive months"):
        lapse_cutoff(AS_OF, months)


def test_exact_boundary(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    day_before = seed.account(t, "before")
    at_cutoff = seed.account(t, "at")
    late_on_day_before = seed.account(t, "late")
    early_at_cutoff = seed.account(t, "early")
    seed.order(t, day_before, date(2010, 12, 8), 100)
    seed.order(t, at_cutoff, date(2010, 12, 9), 100)
    seed.order(t, late_on_day_before, datetime(2010, 12, 8, 23, 59, 59), 100)
    seed.order(t, early_at_cutoff, datetime(2010, 12, 9, 0, 0, 0), 100)
    assert lapsed_ids(store, t) == {"before", "late"}


def test_orders_after_as_of_are_ignored(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    came_back = seed.account(t, "came-back")
    future_only = seed.account(t, "future-only")
    seed.order(t, came_back, date(2010, 6, 1), 500)
    seed.order(t, came_back, date(2011, 12, 10), 900)  # after as-of: not seen
    seed.order(t, future_only, date(2012, 1, 5), 50)
    with store.session() as session:
        (account,) = find_lapsed(session, t, AS_OF, 12)
    assert account.external_id == "came-back"
    assert account.last_order_date == date(2010, 6, 1)
    assert account.net_revenue == pytest.approx(500)
    assert account.order_count == 1
    # An order late on the as-of day itself counts as recent.
    seed.order(t, came_back, datetime(2011, 12, 9, 23, 0), 10)
    assert lapsed_ids(store, t) == set()


def test_cancellations_are_not_orders_for_recency(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    account = seed.account(t, "c1")
    only_cancelled = seed.account(t, "c2")
    seed.order(t, account, date(2010, 1, 10), 300)
    seed.order(t, account, date(2010, 3, 10), 200)
    seed.order(t, account, date(2011, 11, 1), 120, cancellation=True)
    seed.order(t, only_cancelled, date(2010, 1, 1), 80, cancellation=True)
    with store.session() as session:
        (lapsed,) = find_lapsed(session, t, AS_OF, 12)
    assert lapsed.external_id == "c1"
    assert lapsed.last_order_date == date(2010, 3, 10)
    assert lapsed.first_order_date == date(2010, 1, 10)
    assert lapsed.order_count == 2
    assert lapsed.gross_revenue == pytest.approx(500)
    assert lapsed.cancelled == pytest.approx(120)
    assert lapsed.net_revenue == pytest.approx(380)


def test_inactive_months_changes_who_is_lapsed(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    a = seed.account(t, "seven-months")
    seed.order(t, a, date(2011, 5, 1), 10)
    assert lapsed_ids(store, t, months=12) == set()
    assert lapsed_ids(store, t, months=6) == {"seven-months"}


def test_tenants_are_separate(store: Store, seed: Seeder) -> None:
    a = seed.tenant("a")
    b = seed.tenant("b")
    seed.order(a, seed.account(a, "x"), date(2009, 1, 1), 10)
    assert lapsed_ids(store, a) == {"x"}
    assert lapsed_ids(store, b) == set()
    with store.session() as session:
        assert has_orders(session)
        assert has_orders(session, a)
        assert not has_orders(session, b)

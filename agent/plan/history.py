"""Purchase histories of every customer as of a day, the input of the value model.

The lapsed customers alone are too few and too similar to fit a purchase
model: how often and how regularly *all* customers buy is what tells a
short silence from a lost customer. One ``GROUP BY`` over ``orders`` gives,
per account, its purchase days, first and last purchase and net revenue up
to the as-of day; orders after that day are ignored, as everywhere in the
plan, so a plan "as of" a past day (and the backtest) sees only the past.

:func:`realised` gives the other side of a backtest: what each account
actually bought in a window after the as-of day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from agent.crm.models import Order
from agent.plan.clv import Histories
from agent.plan.lapse import to_date


@dataclass(frozen=True)
class TenantHistories:
    """:class:`Histories` of every account with a purchase, and which account is which."""

    account_ids: list[int]
    histories: Histories

    def index_of(self, account_ids: list[int]) -> np.ndarray:
        """Positions of ``account_ids`` (each must have a purchase) in the arrays."""
        position = {account: i for i, account in enumerate(self.account_ids)}
        return np.array([position[a] for a in account_ids], dtype=np.intp)


def _day_after(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min)


def purchase_histories(session: Session, tenant_id: int, as_of: date) -> TenantHistories:
    """Per-account purchase summaries of ``tenant_id`` from orders on or before ``as_of``."""
    is_order = Order.is_cancellation.is_(False)
    order_day = func.date(Order.order_date)
    rows = session.execute(
        select(
            Order.account_id,
            func.count(func.distinct(case((is_order, order_day)))).label("days"),
            func.min(case((is_order, Order.order_date))).label("first"),
            func.max(case((is_order, Order.order_date))).label("last"),
            func.coalesce(func.sum(Order.total_amount), 0).label("net"),
        )
        .where(Order.tenant_id == tenant_id, Order.order_date < _day_after(as_of))
        .group_by(Order.account_id)
        .order_by(Order.account_id)
    ).all()
    ids: list[int] = []
    x, t_x, big_t, spend = [], [], [], []
    for row in rows:
        if not row.days:
            continue  # only cancellations so far: not a customer yet
        first, last = to_date(row.first), to_date(row.last)
        days = int(row.days)
        ids.append(int(row.account_id))
        x.append(days - 1.0)
        t_x.append(float((last - first).days))
        big_t.append(float((as_of - first).days))
        # Cancellations are stored with a negative total, so the sum is net revenue.
        spend.append(max(float(row.net or 0), 0.0) / days)
    histories = Histories(
        x=np.array(x, dtype=np.float64),
        t_x=np.array(t_x, dtype=np.float64),
        T=np.array(big_t, dtype=np.float64),
        spend=np.array(spend, dtype=np.float64),
    )
    return TenantHistories(account_ids=ids, histories=histories)


@dataclass(frozen=True)
class Realised:
    """What one account bought in a window: net revenue (never below 0) and whether it ordered."""

    revenue: float
    returned: bool


def realised(session: Session, tenant_id: int, after: date, until: date) -> dict[int, Realised]:
    """Net revenue and return per account from orders after ``after`` up to ``until`` inclusive."""
    is_order = Order.is_cancellation.is_(False)
    rows = session.execute(
        select(
            Order.account_id,
            func.coalesce(func.sum(Order.total_amount), 0).label("net"),
            func.count(case((is_order, Order.id))).label("orders"),
        )
        .where(
            Order.tenant_id == tenant_id,
            Order.order_date >= _day_after(after),
            Order.order_date < _day_after(until),
        )
        .group_by(Order.account_id)
    )
    return {
        int(row.account_id): Realised(max(float(row.net or 0), 0.0), int(row.orders) > 0)
        for row in rows
    }


def last_order_day(session: Session, tenant_id: int) -> date | None:
    """The day of the tenant's latest order (the end of what can be backtested)."""
    value = session.scalar(select(func.max(Order.order_date)).where(Order.tenant_id == tenant_id))
    return None if value is None else to_date(value)

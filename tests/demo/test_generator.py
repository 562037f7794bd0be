"""The demo data is deterministic, sized and shaped like a real Mittelstand customer base."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import timedelta
from decimal import Decimal

import pytest

from agent.crm.models import EXTERNAL_REASONS, INTERNAL_REASONS, ChurnReason
from agent.demo import DEMO_AS_OF, DemoData, generate


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate(7)


def test_same_seed_gives_identical_data(data: DemoData) -> None:
    assert asdict(generate(7)) == asdict(data)


def test_different_seed_gives_different_data(data: DemoData) -> None:
    other = generate(8)
    assert [a.name for a in other.accounts] != [a.name for a in data.accounts]
    assert len(other.orders) != len(data.orders)


def test_sizes_and_languages(data: DemoData) -> None:
    assert len(data.accounts) == 200
    assert len({a.external_id for a in data.accounts}) == 200
    assert len({a.name for a in data.accounts}) == 200
    english = sum(a.language == "en" for a in data.accounts)
    assert 0.08 <= english / 200 <= 0.22
    assert all(a.country == "Deutschland" for a in data.accounts if a.language == "de")
    assert all(a.country != "Deutschland" for a in data.accounts if a.language == "en")


def test_users_are_four_reps_a_manager_and_an_admin(data: DemoData) -> None:
    assert Counter(u.role for u in data.users) == {"rep": 4, "manager": 1, "admin": 1}
    reps = {u.username for u in data.users if u.role == "rep"}
    assert {a.owner_username for a in data.accounts} <= reps


@pytest.mark.parametrize("seed", [7, 1, 2, 3])
def test_lapsed_share_and_causes(seed: int) -> None:
    data = generate(seed)
    lapsed = data.lapsed_accounts()
    assert 0.35 <= len(lapsed) / len(data.accounts) <= 0.45
    cutoff = DEMO_AS_OF - timedelta(days=365)
    for account in data.accounts:
        assert account.last_order is not None
        if account.scenario.lapsed:
            assert account.last_order < cutoff, account.external_id
            assert ChurnReason(account.scenario.cause) != ChurnReason.other
        else:
            assert account.last_order >= cutoff, account.external_id
            assert account.scenario.cause is None and account.status == "active"
    causes = data.cause_counts()
    assert set(causes) == {r.value for r in INTERNAL_REASONS | EXTERNAL_REASONS}
    internal = sum(n for c, n in causes.items() if ChurnReason(c) in INTERNAL_REASONS)
    assert internal / len(lapsed) >= 0.75


def test_every_exclusion_status_occurs_with_a_reason(data: DemoData) -> None:
    statuses = Counter(a.status for a in data.accounts)
    assert {"insolvent", "lost", "do_not_contact"} <= set(statuses)
    for account in data.accounts:
        if account.status != "active":
            assert account.scenario.lapsed and account.status_reason
            assert account.status_changed_at is not None
            assert account.status_changed_at.date() <= DEMO_AS_OF
    assert all(a.scenario.cause == "insolvency" for a in data.accounts if a.status == "insolvent")


def test_orders_end_at_the_anchor_and_add_up(data: DemoData) -> None:
    ids = [o.external_id for o in data.orders]
    assert len(set(ids)) == len(ids)
    for order in data.orders:
        assert order.order_date.date() <= DEMO_AS_OF
        assert order.order_date.date() >= DEMO_AS_OF - timedelta(days=3 * 365)
        assert order.external_id.startswith(f"DEMO-{order.order_date.year}-")
        assert order.total_amount == sum((line.amount for line in order.lines), Decimal(0))
        assert Decimal(200) <= order.total_amount <= Decimal(20000)
        for line in order.lines:
            assert line.amount == (line.unit_price * Decimal(int(line.quantity))).quantize(
                Decimal("0.01")
            )


def test_revenue_follows_a_pareto_like_spread(data: DemoData) -> None:
    revenue: Counter[str] = Counter()
    for order in data.orders:
        revenue[order.account_external_id] += float(order.total_amount)
    ranked = sorted(revenue.values(), reverse=True)
    top_fifth = sum(ranked[: len(ranked) // 5]) / sum(ranked)
    assert 0.55 <= top_fifth <= 0.9


def test_gradual_churn_shows_falling_volume(data: DemoData) -> None:
    """Delivery-reliability customers bought less in their last months than before."""
    fell = 0
    cases = [a for a in data.accounts if a.scenario.cause == "delivery_reliability"]
    for account in cases:
        orders = [o for o in data.orders if o.account_external_id == account.external_id]
        assert account.last_order is not None
        start = account.last_order - timedelta(days=240)
        late = [float(o.total_amount) for o in orders if o.order_date.date() > start]
        early = [float(o.total_amount) for o in orders if o.order_date.date() <= start]
        if early and late and sum(late) / len(late) < sum(early) / len(early):
            fell += 1
    assert fell / len(cases) >= 0.6


def test_contacts_have_one_primary_and_fictitious_details(data: DemoData) -> None:
    per_account = Counter(c.account_external_id for c in data.contacts)
    assert set(per_account) == {a.external_id for a in data.accounts}
    assert set(per_account.values()) <= {1, 2, 3}
    primaries = Counter(c.account_external_id for c in data.contacts if c.is_primary)
    assert set(primaries.values()) == {1}
    assert all(c.email.endswith(".example") for c in data.contacts)

"""The plan's value model on SQLite and PostgreSQL: model or prior, explanation, ease, outcomes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from agent.crm.db import Store, open_store
from agent.crm.models import Account, CallNote, CallOutcome, NoteStatus, Order
from agent.demo import DEMO_AS_OF
from agent.demo import seed as seed_demo
from agent.plan import build_plan
from agent.plan.chances import PRIOR_STRENGTH, segment_chances, update
from tests.plan.conftest import Seeder

AS_OF = date(2011, 12, 9)


def fill(store: Store, tenant_id: int, customers: int = 60) -> dict[str, int]:
    """Customers who buy regularly until a last day, written in one session.

    Customer i buys ``2 + i % 5`` times, every ``25 + 9 * (i % 7)`` days (buyers
    differ in pace, or there would be no heterogeneity to fit), for ``50 + 20 i``
    each; every third customer stops early (lapsed as of :data:`AS_OF` with 3
    inactive months).
    """
    ids: dict[str, int] = {}
    with store.session() as session:
        for i in range(customers):
            account = Account(tenant_id=tenant_id, external_id=f"c{i:03d}", name=f"Kunde {i}")
            session.add(account)
            session.flush()
            ids[account.external_id] = account.id
            purchases = 2 + i % 5
            last = date(2011, 6, 1) if i % 3 == 0 else date(2011, 11, 20)
            for k in range(purchases):
                day = last - timedelta(days=(25 + 9 * (i % 7)) * k + i % 7)
                session.add(
                    Order(
                        tenant_id=tenant_id,
                        account_id=account.id,
                        external_id=f"o{i}-{k}",
                        order_date=datetime(day.year, day.month, day.day, 10),
                        total_amount=Decimal(str(50 + 20 * i)),
                    )
                )
    return ids


def note(store: Store, tenant_id: int, account_id: int, outcome: CallOutcome, day: date) -> None:
    with store.session() as session:
        session.add(
            CallNote(
                tenant_id=tenant_id,
                account_id=account_id,
                call_date=day,
                status=NoteStatus.approved,
                outcome=outcome,
            )
        )


def test_enough_history_uses_the_model_and_explains_each_value(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    fill(store, t)
    with store.session() as session:
        plan = build_plan(session, t, AS_OF, 3)
    assert plan.model.kind == "bgnbd_gamma_gamma" and plan.model.message is None
    assert plan.model.customers == 60 and set(plan.model.params) == {
        "r", "alpha", "a", "b", "p", "q", "gamma"
    }  # fmt: skip
    assert len(plan.callable) == 20  # every third customer stopped in June
    for customer in plan.callable:
        parts = customer.score_parts
        assert parts.value_source == "model"
        assert 0 < parts.p_return < 1 and parts.expected_spend > 0
        assert parts.expected_value == pytest.approx(
            parts.p_return * parts.expected_spend, rel=1e-3, abs=0.01
        )
        assert parts.explanation.startswith("Erwarteter Wert in den nächsten 12 Monaten: ")
        assert "P(Rückkehr)" in parts.explanation and "erwarteter Umsatz" in parts.explanation
        assert sum(parts.points.values()) == pytest.approx(customer.score)
    # Unrated relationships everywhere: the list is ordered by expected value.
    values = [c.score_parts.expected_value for c in plan.callable]
    assert values == sorted(values, reverse=True)
    assert plan.pareto.total_expected_value == pytest.approx(sum(values), abs=0.05)


def test_the_demo_tenant_is_valued_by_the_model(sqlite_url: str) -> None:
    # Its customers spend much the same on every order: the spend model runs to its
    # limit (each customer's own average), which is a valid fit, not a reason to give up.
    store = open_store(sqlite_url)
    stats = seed_demo(store)
    with store.session() as session:
        plan = build_plan(session, stats.tenant_id, DEMO_AS_OF)
    assert plan.model.kind == "bgnbd_gamma_gamma", plan.model.message
    assert plan.callable and plan.callable[0].score_parts.value_source == "model"
    # Rated relationships: the ranking follows the call value, not the expected value alone.
    values = [c.score_parts.call_value for c in plan.callable]
    assert values == sorted(values, reverse=True)


def test_a_new_tenant_with_one_order_each_falls_back_to_the_prior_with_a_message(
    store: Store, seed: Seeder
) -> None:
    t = seed.tenant()
    for i in range(40):
        seed.order(t, seed.account(t, f"n{i}", ease=1 + i % 5), date(2010, 3, 1 + i % 28), 100 + i)
    with store.session() as session:
        plan = build_plan(session, t, AS_OF, 12)
    assert plan.model.kind == "prior"
    assert plan.model.message is not None and "40 customers, 0 of them" in plan.model.message
    assert "transparent prior" in plan.model.message
    assert len(plan.callable) == 40
    assert {c.score_parts.value_source for c in plan.customers} == {"prior"}
    # The prior still explains its value the same way: chance x yearly value.
    first = plan.callable[0].score_parts
    assert first.expected_value == pytest.approx(first.p_return * first.expected_spend, abs=0.01)


def test_an_easy_relationship_moves_up_under_the_model(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    ids = fill(store, t)
    with store.session() as session:
        before = [c.external_id for c in build_plan(session, t, AS_OF, 3).callable]
        last = session.get(Account, ids[before[-1]])
        assert last is not None
        last.relationship_ease = 5
        first = session.get(Account, ids[before[0]])
        assert first is not None
        first.relationship_ease = 1
    with store.session() as session:
        after = build_plan(session, t, AS_OF, 3).callable
    order = [c.external_id for c in after]
    assert order.index(before[-1]) < len(order) - 1 and order.index(before[0]) > 0
    moved = next(c for c in after if c.external_id == before[-1]).score_parts
    # The call value weighs the expected value by ease 5's chance (50 %) against 30 %.
    assert moved.call_value == pytest.approx(moved.expected_value * 0.5 / 0.3, rel=1e-3)


def test_call_outcomes_update_the_segment_chance(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    accounts = [seed.account(t, f"e{i}", ease=4) for i in range(6)]
    unrated = seed.account(t, "u")
    day = date(2011, 10, 1)
    for account in accounts[:2]:
        note(store, t, account, CallOutcome.reactivated, day)
    for account in accounts[2:5]:
        note(store, t, account, CallOutcome.lost, day)
    # The latest decided outcome per account counts: e0 was first lost, then won.
    note(store, t, accounts[0], CallOutcome.lost, day - timedelta(days=30))
    note(store, t, accounts[5], CallOutcome.follow_up, day)  # open: shown, not counted
    note(store, t, unrated, CallOutcome.reactivated, date(2012, 1, 5))  # after the as-of day
    with store.session() as session:
        chances = segment_chances(session, t, AS_OF)
    ease4 = chances["ease_4"]
    assert (ease4.reactivated, ease4.not_won, ease4.open, ease4.outcomes) == (2, 3, 1, 5)
    assert ease4.chance == pytest.approx((PRIOR_STRENGTH * 0.4 + 2) / (PRIOR_STRENGTH + 5))
    assert ease4.low < ease4.chance < ease4.high
    assert chances["unrated"].outcomes == 0 and chances["unrated"].chance == pytest.approx(0.3)
    with store.session() as session:
        later = segment_chances(session, t, date(2012, 2, 1))
    assert later["unrated"].reactivated == 1


def test_pending_and_rejected_notes_do_not_count(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    account = seed.account(t, "x", ease=2)
    with store.session() as session:
        for status in (NoteStatus.pending_review, NoteStatus.rejected):
            session.add(
                CallNote(
                    tenant_id=t,
                    account_id=account,
                    call_date=date(2011, 5, 1),
                    status=status,
                    outcome=CallOutcome.reactivated,
                )
            )
    with store.session() as session:
        assert segment_chances(session, t, AS_OF)["ease_2"].outcomes == 0


def test_the_update_moves_towards_the_observed_rate_as_outcomes_grow() -> None:
    prior = update(2, 0, 0)
    assert prior.chance == pytest.approx(0.2) and prior.outcomes == 0
    few = update(2, 3, 2)  # 60 % observed on 5 calls
    many = update(2, 60, 40)  # 60 % observed on 100 calls
    assert prior.chance < few.chance < many.chance < 0.6
    assert many.high - many.low < few.high - few.low

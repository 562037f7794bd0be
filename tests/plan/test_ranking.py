"""build_plan on SQLite and PostgreSQL: exclusions, ranking, ease, Pareto, JSON shape."""

from __future__ import annotations

from datetime import date

import pytest

from agent.crm.db import Store
from agent.crm.models import Account, AccountStatus
from agent.errors import ValidationError
from agent.plan import Plan, build_plan
from tests.plan.conftest import Seeder

AS_OF = date(2011, 12, 9)


def plan_for(store: Store, tenant_id: int, months: int = 12) -> Plan:
    with store.session() as session:
        return build_plan(session, tenant_id, AS_OF, months)


def test_exclusions_are_listed_with_reason_after_ranked(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    for ext, status in [
        ("ok1", AccountStatus.active),
        ("ins", AccountStatus.insolvent),
        ("ok2", AccountStatus.active),
        ("lost", AccountStatus.lost),
        ("dnc", AccountStatus.do_not_contact),
    ]:
        # The excluded ones are the most valuable: they must still not be ranked.
        value = 10_000 if status is not AccountStatus.active else 100
        seed.order(t, seed.account(t, ext, status=status), date(2010, 5, 1), value)
    plan = plan_for(store, t)
    assert [c.rank for c in plan.customers] == [1, 2, None, None, None]
    assert {c.external_id: c.excluded for c in plan.customers} == {
        "ok1": None,
        "ok2": None,
        "ins": "insolvent",
        "lost": "lost",
        "dnc": "do_not_contact",
    }
    assert plan.excluded_count == 3
    # Equal scores: the stable tie-break is the account id.
    assert [c.external_id for c in plan.callable] == ["ok1", "ok2"]
    # Pareto runs over the ranked calls only.
    assert plan.pareto.total_expected_value == pytest.approx(
        sum(c.score_parts.expected_value for c in plan.callable), abs=0.01
    )


def test_ranking_is_monotonic_in_score(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    for i in range(12):
        account = seed.account(t, f"a{i:02d}", ease=(i % 5) + 1)
        for k in range(1 + i % 4):
            seed.order(t, account, date(2009 + k % 2, 1 + i % 12, 1 + k), 100 * (i + 1) + k)
    plan = plan_for(store, t)
    assert [c.rank for c in plan.customers] == list(range(1, 13))
    scores = [c.score for c in plan.customers]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 100 for s in scores)


def test_ease_changes_the_rank(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    big = seed.account(t, "big", ease=1)
    small = seed.account(t, "small", ease=5)
    seed.order(t, big, date(2010, 5, 1), 1300)
    seed.order(t, big, date(2010, 6, 1), 1300)
    seed.order(t, small, date(2010, 5, 1), 1000)
    seed.order(t, small, date(2010, 6, 1), 1000)
    first = plan_for(store, t).customers[0]
    # The easy relationship wins although it is worth a bit less.
    assert first.external_id == "small"
    with store.session() as session:
        session.get(Account, small).relationship_ease = 1  # type: ignore[union-attr]
    assert plan_for(store, t).customers[0].external_id == "big"


def test_json_contract(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    seed.order(t, seed.account(t, "17850", name="Müller GmbH", ease=4), date(2010, 12, 1), 99.5)
    data = plan_for(store, t).model_dump(mode="json")
    assert set(data) == {"as_of", "inactive_months", "customers", "pareto", "model", "segments"}
    # One order of one customer: no model can be fitted, the plan says so.
    assert (
        data["model"]["kind"] == "prior" and "Too little order history" in data["model"]["message"]
    )
    assert [s["segment"] for s in data["segments"]][0] == "unrated"
    assert data["as_of"] == "2011-12-09" and data["inactive_months"] == 12
    (customer,) = data["customers"]
    assert set(customer) == {
        "external_id",
        "account_id",
        "name",
        "last_order_date",
        "rank",
        "score",
        "score_parts",
        "excluded",
        "follow_up_due",
    }
    assert customer["last_order_date"] == "2010-12-01"
    assert customer["name"] == "Müller GmbH" and customer["excluded"] is None
    assert customer["follow_up_due"] is None
    assert customer["score_parts"]["ease"] == 4
    parts = customer["score_parts"]
    assert parts["value_source"] == "prior" and parts["segment"] == "ease_4"
    assert parts["expected_value"] == pytest.approx(
        parts["p_return"] * parts["expected_spend"], abs=0.01
    )
    assert parts["explanation"].startswith("Erwarteter Wert in den nächsten 12 Monaten: ")
    assert set(data["pareto"]) == {
        "total_expected_value",
        "cutoff_rank",
        "cutoff_share_of_calls",
        "points",
    }
    assert data["pareto"]["points"] == [[1, 1.0]]


def test_no_orders_gives_an_empty_plan(store: Store, seed: Seeder) -> None:
    plan = plan_for(store, seed.tenant())
    assert plan.customers == [] and plan.pareto.cutoff_rank == 0
    # Nothing to value: no model, and no "too little history" message either.
    assert plan.model.kind == "none" and plan.model.message is None


def test_bad_months_are_rejected(store: Store, seed: Seeder) -> None:
    with pytest.raises(ValidationError):
        plan_for(store, seed.tenant(), months=0)

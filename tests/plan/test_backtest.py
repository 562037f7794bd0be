"""The backtest: shares, AUC and reliability by hand, and a whole run on both databases."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pytest

from agent.crm.db import Store
from agent.crm.models import Order
from agent.errors import ValidationError
from agent.plan.backtest import auc, reliability, run_backtest, shares
from tests.plan.conftest import Seeder
from tests.plan.test_valuation import AS_OF, fill

CUT = date(2011, 10, 1)


def test_shares_count_the_top_of_the_list() -> None:
    values = np.array([0.0, 50.0, 30.0, 20.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    # Top 10 % = 1 customer, 20 % = 2, 30 % = 3 of ten.
    assert shares([1, 2, 3, 0, 4, 5, 6, 7, 8, 9], values) == {
        "top_10": 0.5,
        "top_20": 0.8,
        "top_30": 1.0,
    }
    assert shares([0, 4, 5, 6, 7, 8, 9, 1, 2, 3], values)["top_30"] == 0.0
    # No revenue at all: the share is undefined, not 0 and not a division error.
    assert shares([0, 1], np.zeros(2)) == {"top_10": None, "top_20": None, "top_30": None}
    # A tiny list still has a top: at least one customer.
    assert shares([1, 0], np.array([1.0, 3.0]))["top_10"] == 0.75


def test_auc_is_the_chance_a_returner_ranks_first() -> None:
    returned = np.array([True, True, False, False])
    assert auc(np.array([4.0, 3.0, 2.0, 1.0]), returned) == 1.0
    assert auc(np.array([1.0, 2.0, 3.0, 4.0]), returned) == 0.0
    assert auc(np.array([4.0, 2.0, 3.0, 1.0]), returned) == 0.75
    assert auc(np.ones(4), returned) == 0.5  # ties count half
    assert auc(np.array([1.0, 2.0]), np.array([True, True])) is None


def test_reliability_bins_compare_predicted_with_observed() -> None:
    predicted = np.repeat([0.1, 0.5, 0.9], 10)
    observed = np.concatenate([np.zeros(10), np.r_[np.ones(5), np.zeros(5)], np.ones(10)])
    bins = reliability(predicted, observed)
    assert len(bins) == 10 and sum(b.customers for b in bins) == 30
    assert bins[0].predicted == pytest.approx(0.1) and bins[0].observed == 0.0
    assert bins[-1].gap == pytest.approx(0.1)
    assert bins[0].stderr == pytest.approx(np.sqrt(0.09 / 3), abs=1e-4)
    # Fewer customers than deciles: one bin per customer, none empty.
    assert len(reliability(np.array([0.2, 0.4]), np.array([0.0, 1.0]))) == 2


def future_orders(store: Store, tenant_id: int, ids: dict[str, int], last_day: date) -> None:
    """Every fifth lapsed customer (i % 15 == 0) comes back after CUT; revenue grows with i."""
    with store.session() as session:
        for i, (_, account_id) in enumerate(sorted(ids.items())):
            if i % 3 == 0 and i % 5 == 0:
                session.add(
                    Order(
                        tenant_id=tenant_id,
                        account_id=account_id,
                        external_id=f"f{i}",
                        order_date=datetime(2011, 11, 1, 9),
                        total_amount=Decimal(str(100 * (i + 1))),
                    )
                )
        session.add(
            Order(
                tenant_id=tenant_id,
                account_id=ids["c001"],
                external_id="last",
                order_date=datetime.combine(last_day, datetime.min.time()),
                total_amount=Decimal("10"),
            )
        )


def test_a_whole_backtest(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    ids = fill(store, t)
    future_orders(store, t, ids, AS_OF)
    with store.session() as session:
        result = run_backtest(session, t, CUT, 2, 3)
    assert result.model.kind == "bgnbd_gamma_gamma"
    assert result.horizon_end == date(2011, 12, 1) and not result.truncated
    # Lapsed as of October with 3 months: the customers who stopped in June.
    assert result.lapsed == 20 and result.returners == 4
    assert result.realised_revenue == pytest.approx(100 * (1 + 16 + 31 + 46))
    names = [r.name for r in result.rankings]
    assert names == ["plan", "model_p_return", "past_revenue", "old_score", "random", "perfect"]
    by_name = {r.name: r for r in result.rankings}
    assert by_name["perfect"].value_share["top_20"] == 1.0 and by_name["perfect"].auc == 1.0
    assert by_name["random"].value_share == {"top_10": 0.1, "top_20": 0.2, "top_30": 0.3}
    for ranking in result.rankings:
        assert all(0 <= v <= 1 for v in ranking.value_share.values() if v is not None)
    assert result.reliability is not None
    assert sum(b.customers for b in result.reliability) == 20
    assert result.mean_observed == pytest.approx(4 / 20)
    assert 0 <= (result.deciles_within_2se or 0) <= 10


def test_a_horizon_past_the_data_is_cut_with_a_warning(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    ids = fill(store, t)
    future_orders(store, t, ids, date(2011, 12, 20))
    with store.session() as session:
        result = run_backtest(session, t, CUT, 6, 3)
    assert result.truncated and result.horizon_end == date(2011, 12, 20)
    assert result.horizon_days == 80
    assert "The data ends on 2011-12-20" in result.warnings[0]


def test_a_thin_history_is_backtested_under_the_prior(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    for i in range(5):
        account = seed.account(t, f"p{i}")
        seed.order(t, account, date(2011, 1, 1 + i), 100 * (i + 1))
        if i % 2:
            seed.order(t, account, date(2011, 11, 1), 50)
    with store.session() as session:
        result = run_backtest(session, t, date(2011, 6, 1), 6, 3)
    assert result.model.kind == "prior" and result.reliability is None
    assert any("transparent prior" in w for w in result.warnings)
    assert result.lapsed == 5 and result.returners == 2


@pytest.mark.parametrize(
    ("as_of", "horizon", "months", "message"),
    [
        (CUT, 0, 3, "horizon months must be between 1 and 60"),
        (CUT, 61, 3, "horizon months must be between 1 and 60"),
        (CUT, 6, 0, "inactive months must be between 1 and 120"),
        (date(2012, 1, 1), 6, 3, "not after --as-of 2012-01-01"),
    ],
)
def test_bad_input_is_refused_with_the_reason(
    store: Store, seed: Seeder, as_of: date, horizon: int, months: int, message: str
) -> None:
    t = seed.tenant()
    seed.order(t, seed.account(t, "a"), date(2011, 5, 1), 10)
    with store.session() as session, pytest.raises(ValidationError, match=message):
        run_backtest(session, t, as_of, horizon, months)


def test_a_day_before_any_lapse_says_there_is_nothing_to_rank(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    account = seed.account(t, "a")
    seed.order(t, account, date(2011, 5, 1), 10)
    seed.order(t, account, date(2011, 6, 1), 10)
    with store.session() as session:
        result = run_backtest(session, t, date(2011, 5, 2), 6, 3)
    assert result.lapsed == 0 and result.model.kind == "none" and result.reliability is None
    assert "No lapsed customer to rank as of 2011-05-02" in result.warnings[-1]
    assert result.rankings[0].value_share["top_20"] is None and result.rankings[0].auc is None


def test_a_tenant_without_orders_has_nothing_to_backtest(store: Store, seed: Seeder) -> None:
    t = seed.tenant()
    with store.session() as session, pytest.raises(ValidationError, match="no orders"):
        run_backtest(session, t, CUT, 6, 3)

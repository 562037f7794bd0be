"""The score's ingredients, formulas and weights (pure functions, no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from agent.plan.lapse import LapsedAccount
from agent.plan.scoring import (
    WEIGHTS,
    annual_value,
    how_long_ago,
    percentiles,
    score_accounts,
    win_back_probability,
)

AS_OF = date(2011, 12, 9)


def account(external_id: str, **changes: object) -> LapsedAccount:
    base = LapsedAccount(
        account_id=int(external_id),
        external_id=external_id,
        name=f"Kunde {external_id}",
        status="active",
        owner_id=None,
        relationship_ease=None,
        gross_revenue=1000.0,
        cancelled=0.0,
        order_count=4,
        first_order_date=date(2009, 1, 1),
        last_order_date=date(2010, 6, 1),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_weights_sum_to_100_and_ease_weighs_heavily() -> None:
    assert sum(WEIGHTS.values()) == 100
    assert WEIGHTS["ease"] >= 20


def test_percentiles_share_ties() -> None:
    assert percentiles([]) == []
    assert percentiles([7]) == [1.0]
    assert percentiles([10, 30, 20]) == [0.0, 1.0, 0.5]
    assert percentiles([5, 5, 9]) == [0.25, 0.25, 1.0]


def test_win_back_probability_rises_with_ease_and_decays_with_time() -> None:
    assert win_back_probability(1, 0) == pytest.approx(0.1)
    assert win_back_probability(5, 0) == pytest.approx(0.5)
    assert win_back_probability(5, 12) == pytest.approx(0.25)
    assert win_back_probability(3, 24) == pytest.approx(0.075)


def test_annual_value_over_active_period() -> None:
    assert annual_value(730, date(2009, 1, 1), date(2010, 12, 31)) == pytest.approx(365)
    # Shorter than a year counts as a year.
    assert annual_value(500, date(2010, 5, 1), date(2010, 5, 1)) == pytest.approx(500)


def test_how_long_ago_in_german() -> None:
    assert how_long_ago(date(2010, 10, 9), AS_OF) == "vor 1 Jahr und 2 Monaten"
    assert how_long_ago(date(2009, 11, 9), AS_OF) == "vor 2 Jahren und 1 Monat"
    assert how_long_ago(date(2011, 12, 1), AS_OF) == "vor 8 Tagen"
    # Month ends count like relativedelta: Apr 30 -> Feb 28 is ten whole months.
    assert how_long_ago(date(2005, 4, 30), date(2006, 2, 28)) == "vor 10 Monaten"
    assert how_long_ago(date(2005, 4, 30), date(2006, 2, 27)) == "vor 9 Monaten"


def test_points_add_up_to_the_score_within_0_and_100() -> None:
    accounts = [
        account("1"),
        account(
            "2",
            gross_revenue=50000.0,
            order_count=40,
            relationship_ease=5,
            first_order_date=date(2005, 1, 1),
            last_order_date=date(2010, 11, 1),
        ),
        account(
            "3",
            gross_revenue=10.0,
            cancelled=30.0,
            order_count=1,
            relationship_ease=1,
            first_order_date=date(2010, 1, 1),
            last_order_date=date(2010, 1, 1),
        ),
    ]
    scored = score_accounts(accounts, AS_OF, 12)
    for score, parts in scored:
        assert 0 <= score <= 100
        assert score == pytest.approx(sum(parts.points.values()), abs=0.02)
        assert set(parts.points) == set(WEIGHTS)
    best, worst = scored[1], scored[2]
    assert best[0] == pytest.approx(100)  # best on every ingredient
    assert worst[1].revenue == 0  # net revenue never negative
    assert worst[1].points["ease"] == 0
    assert worst[0] == pytest.approx(0)  # worst on every ingredient


def test_unknown_ease_defaults_to_three() -> None:
    ((_, parts),) = score_accounts([account("1")], AS_OF, 12)
    assert parts.ease == 3 and parts.ease_known is False
    assert parts.points["ease"] == pytest.approx(12.5)


def test_expected_value_formula_in_parts() -> None:
    last = date(2010, 6, 1)
    ((_, parts),) = score_accounts(
        [
            account(
                "1", relationship_ease=4, first_order_date=date(2008, 6, 2), last_order_date=last
            )
        ],
        AS_OF,
        12,
    )
    years = ((last - date(2008, 6, 2)).days + 1) / 365
    months_lapsed = (AS_OF - last).days / (365.25 / 12) - 12
    expected = 1000 / years * 0.4 * 0.5 ** (months_lapsed / 12)
    assert parts.expected_value == pytest.approx(expected, abs=0.01)
    assert parts.recency_days == (AS_OF - last).days
    assert parts.tenure_days == (last - date(2008, 6, 2)).days

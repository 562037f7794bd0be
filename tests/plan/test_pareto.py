"""The Pareto curve and its cut-off on hand-computed examples."""

from __future__ import annotations

import pytest

from agent.plan.pareto import MAX_POINTS, pareto_curve


def test_cutoff_on_hand_computed_example() -> None:
    # Cumulative shares: 0.5, 0.8, 0.9, 0.95, 1.0 -> two calls reach 80 %.
    pareto = pareto_curve([50, 30, 10, 5, 5], 0.8)
    assert pareto.total_expected_value == 100
    assert pareto.cutoff_rank == 2
    assert pareto.cutoff_share_of_calls == 0.4
    assert pareto.points == [(1, 0.5), (2, 0.8), (3, 0.9), (4, 0.95), (5, 1.0)]


def test_cutoff_needs_to_reach_the_share_not_only_approach_it() -> None:
    # 0.6, 0.7, 0.79, 1.0: only the fourth call reaches 0.8.
    pareto = pareto_curve([60, 10, 9, 21], 0.8)
    assert pareto.cutoff_rank == 4
    assert pareto.cutoff_share_of_calls == 1.0


def test_float_rounding_does_not_move_the_cutoff() -> None:
    # 0.1 + 0.2 + 0.5 is 0.7999999999999999 in floating point: still 80 %.
    assert pareto_curve([0.1, 0.2, 0.5, 0.2], 0.8).cutoff_rank == 3


def test_negative_values_count_as_zero() -> None:
    pareto = pareto_curve([10, -5, 10], 0.5)
    assert pareto.total_expected_value == 20
    assert pareto.cutoff_rank == 1


def test_empty_and_valueless_lists() -> None:
    empty = pareto_curve([], 0.8)
    assert (empty.cutoff_rank, empty.cutoff_share_of_calls, empty.points) == (0, 0.0, [])
    flat = pareto_curve([0, 0], 0.8)
    assert flat.cutoff_rank == 0
    assert flat.points == [(1, 0.0), (2, 0.0)]


def test_long_lists_are_downsampled_with_end_and_cutoff() -> None:
    values = [1000 / (i + 1) for i in range(5000)]
    pareto = pareto_curve(values, 0.8)
    ranks = [rank for rank, _ in pareto.points]
    shares = [share for _, share in pareto.points]
    assert len(ranks) <= MAX_POINTS
    assert ranks[0] == 1 and ranks[-1] == 5000
    assert ranks == sorted(set(ranks))
    assert shares == sorted(shares) and shares[-1] == 1.0
    assert pareto.cutoff_rank in ranks
    cumulative = sum(values[: pareto.cutoff_rank]) / sum(values)
    before = sum(values[: pareto.cutoff_rank - 1]) / sum(values)
    assert before < 0.8 <= cumulative


def test_share_must_be_a_fraction() -> None:
    with pytest.raises(ValueError):
        pareto_curve([1], 0)

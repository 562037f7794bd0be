"""The Pareto curve of the call list: how much of the value the first calls reach.

The method says effort follows a Pareto curve: roughly 20 % of the calls bring
80 % of the result, so the list should be cut there. The curve is the
cumulative share of expected value over the calls in rank order; the
suggested cut-off is the smallest number of calls whose expected value
reaches the configured share (``settings.pareto_value_share``, 0.8).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

#: At most this many points are reported; long lists are downsampled evenly.
MAX_POINTS = 200
# Shares are compared with a tolerance so 0.8 of a total summed from floats
# is not missed by a rounding error in the last digit.
_EPSILON = 1e-9


class Pareto(BaseModel):
    """The Pareto curve of a ranked call list and its suggested cut-off."""

    total_expected_value: float = Field(description="Sum of expected value over ranked calls.")
    cutoff_rank: int = Field(description="Smallest number of calls reaching the target share.")
    cutoff_share_of_calls: float = Field(description="cutoff_rank / number of ranked calls.")
    points: list[tuple[int, float]] = Field(
        description="[rank, cumulative share of expected value] pairs, at most 200."
    )


def _sample_ranks(count: int, must_have: int) -> list[int]:
    # Evenly spaced ranks from 1 to count, always with the last rank and the
    # cut-off so the curve's end and its knee are exact.
    if count <= MAX_POINTS:
        return list(range(1, count + 1))
    slots = MAX_POINTS - 1
    ranks = {1 + round(i * (count - 1) / (slots - 1)) for i in range(slots)}
    ranks.add(count)
    if must_have:
        ranks.add(must_have)
    # 199 evenly spaced ranks (the last one is ``count``) plus the cut-off: at most 200.
    return sorted(ranks)


def pareto_curve(values: Sequence[float], share: float) -> Pareto:
    """Build the Pareto curve of ``values`` (expected values in rank order).

    Negative values count as zero. With no calls, or no expected value at
    all, the cut-off is 0 and the curve is empty or flat.
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    clean = [max(float(v), 0.0) for v in values]
    total = sum(clean)
    count = len(clean)
    cumulative: list[float] = []
    running = 0.0
    for value in clean:
        running += value
        cumulative.append(running / total if total > 0 else 0.0)
    cutoff = 0
    if total > 0:
        cutoff = next(i + 1 for i, c in enumerate(cumulative) if c >= share - _EPSILON)
    points = [(rank, round(cumulative[rank - 1], 4)) for rank in _sample_ranks(count, cutoff)]
    return Pareto(
        total_expected_value=round(total, 2),
        cutoff_rank=cutoff,
        cutoff_share_of_calls=round(cutoff / count, 4) if count else 0.0,
        points=points,
    )

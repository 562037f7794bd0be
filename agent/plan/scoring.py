"""The win-back score: one number from 0 to 100 a manager can take apart.

The method (DESIGN.md, step 2) prioritises lapsed customers by value
(lifetime value, revenue, purchase frequency, recency) and by how easy the
relationship is, and says to start with the easiest calls. The score keeps
every ingredient visible in :class:`ScoreParts`: the raw figures, and the
points each one contributes, which add up to the score.

How the points are computed:

* Value figures (expected value, revenue, frequency, recency, tenure) are
  turned into a percentile among the lapsed customers of the same plan
  (0 = lowest, 1 = highest; ties share their mid-rank). Percentiles are
  robust to the heavy tail of B2B revenue (one customer with 100x the
  average would otherwise squash everybody else to zero) and read plainly:
  "revenue better than 80 % of the lapsed customers". Fewer days since the
  last order is better (a fresh lapse is easier to reverse); a longer
  relationship is better.
* Ease of relationship is the rep's 1-5 rating (3 when unknown) mapped
  linearly to 0..1; it is an absolute scale, not a percentile.
* Points = weight x normalised value, with the weights in :data:`WEIGHTS`
  (they sum to 100). Ease carries 25 points on its own and also drives the
  win-back probability inside the expected value, so an easy customer
  clearly moves up the list, as the method demands.

This weighted score is the *transparent prior*: the plan uses it when the
tenant's history is too thin for the value model (:mod:`agent.plan.valuation`),
and the backtest keeps it as a baseline ("the old score").
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Sequence
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from agent.plan.chances import DEFAULT_EASE, PROBABILITY_PER_EASE, SegmentChance, segment_of
from agent.plan.lapse import LapsedAccount

#: Points per ingredient; they sum to 100 so the score is on a 0..100 scale.
WEIGHTS: dict[str, float] = {
    "expected_value": 30.0,
    "ease": 25.0,
    "revenue": 15.0,
    "frequency": 15.0,
    "recency": 10.0,
    "tenure": 5.0,
}
#: The probability halves for every this many months beyond the inactivity window.
PROBABILITY_HALF_LIFE_MONTHS = 12.0
DAYS_PER_MONTH = 365.25 / 12


class ScoreParts(BaseModel):
    """The ingredients of one customer's score, raw and as points."""

    revenue: float = Field(description="Net revenue up to the as-of date (orders - cancellations).")
    cancelled: float = Field(description="Cancelled amount up to the as-of date.")
    frequency: int = Field(description="Number of distinct non-cancelled orders.")
    recency_days: int = Field(description="Days from the last order to the as-of date.")
    tenure_days: int = Field(description="Days from the first to the last order.")
    how_long_ago: str = Field(description="The time since the last order, in words.")
    months_lapsed: float = Field(description="Months since the last order beyond the window.")
    ease: int = Field(description="Ease of the relationship, 1 (hard) .. 5 (easy).")
    ease_known: bool = Field(description="False when the ease is the default, not a rating.")
    annual_value: float = Field(description="Average net revenue per year of the relationship.")
    win_back_probability: float = Field(description="Estimated chance that a call wins back.")
    p_return: float = Field(
        0.0,
        description="Chance of an order in the next 12 months (the prior: the win-back chance).",
    )
    expected_spend: float = Field(
        0.0, description="Expected net revenue in the next 12 months if the customer returns."
    )
    expected_value: float = Field(description="p_return x expected_spend.")
    call_value: float = Field(
        0.0, description="What the list is ranked by: expected_value weighted by the segment."
    )
    segment: str = Field("unrated", description="Win-back segment: 'ease_1'..'ease_5', 'unrated'.")
    value_source: Literal["model", "prior"] = Field(
        "prior", description="'model' (BG/NBD + Gamma-Gamma) or 'prior' (the transparent prior)."
    )
    explanation: str = Field("", description="The expected value as a sentence (German).")
    points: dict[str, float] = Field(description="Points per ingredient; they sum to the score.")


def win_back_probability(ease: int, months_lapsed: float, chance: float | None = None) -> float:
    """Estimate the chance that a call brings the customer back.

    ``0.10 x ease`` (10 % for the hardest, 50 % for the easiest
    relationship), or the segment's ``chance`` once call outcomes have
    updated it (:mod:`agent.plan.chances`), halved for every 12 months the
    customer has been lapsed beyond the inactivity window: the longer the
    silence, the more likely the customer has settled with another supplier.
    """
    decay = 0.5 ** (max(months_lapsed, 0.0) / PROBABILITY_HALF_LIFE_MONTHS)
    base = PROBABILITY_PER_EASE * ease if chance is None else chance
    return base * decay


def euro(value: float) -> str:
    """German money: ``1.234 €`` (whole euros; cents below 10 €)."""
    text = f"{value:,.2f}" if abs(value) < 10 else f"{value:,.0f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".") + " €"


def percent(value: float) -> str:
    """German percent: ``42 %``, one decimal below 10 % and above 99 % (``0,4 %``, ``99,6 %``)."""
    share = value * 100
    text = f"{share:.1f}" if share < 10 or share > 99 else f"{share:.0f}"
    return text.replace(".", ",") + " %"


def explain(expected: float, p_return: float, spend: float) -> str:
    """The expected value as the manager reads it: ``€X = P(return) Y x expected spend Z``."""
    return (
        f"Erwarteter Wert in den nächsten 12 Monaten: {euro(expected)} = "
        f"P(Rückkehr) {percent(p_return)} × erwarteter Umsatz {euro(spend)}"
    )


def annual_value(net_revenue: float, first_order: date, last_order: date) -> float:
    """Average net revenue per year over the active period (first to last order).

    Relationships shorter than a year count as one year, so a customer who
    bought once is not extrapolated to a huge yearly figure.
    """
    active_days = max((last_order - first_order).days + 1, 365)
    return net_revenue * 365.0 / active_days


def expected_value(
    account: LapsedAccount,
    as_of: date,
    inactive_months: int,
    chances: dict[str, SegmentChance] | None = None,
) -> tuple[float, float, float]:
    """Return ``(annual_value, probability, expected_value)`` of winning ``account`` back.

    The expected value is a one-year customer-lifetime-value estimate: the
    customer's average annual net revenue over its active period times the
    :func:`win_back_probability`, which rises with relationship ease (or
    the segment's updated chance in ``chances``) and decays with the months
    lapsed.
    """
    ease = account.relationship_ease or DEFAULT_EASE
    lapsed = months_lapsed(account.last_order_date, as_of, inactive_months)
    yearly = annual_value(account.net_revenue, account.first_order_date, account.last_order_date)
    segment = chances.get(segment_of(account.relationship_ease)) if chances else None
    probability = win_back_probability(ease, lapsed, segment.chance if segment else None)
    return yearly, probability, yearly * probability


def how_long_ago(last_order: date, as_of: date) -> str:
    """Say in German words how long ago the last order was ("vor 1 Jahr und 2 Monaten")."""
    # Whole calendar months as relativedelta counts them (a day past the end of
    # a shorter month is clamped to its last day), without its per-call cost:
    # this runs once per lapsed customer.
    months = (as_of.year - last_order.year) * 12 + as_of.month - last_order.month
    if as_of.day < min(last_order.day, monthrange(as_of.year, as_of.month)[1]):
        months -= 1
    years, months = divmod(months, 12)
    parts = []
    if years:
        parts.append("1 Jahr" if years == 1 else f"{years} Jahren")
    if months:
        parts.append("1 Monat" if months == 1 else f"{months} Monaten")
    if not parts:
        days = (as_of - last_order).days
        parts.append("1 Tag" if days == 1 else f"{days} Tagen")
    return "vor " + " und ".join(parts)


def months_lapsed(last_order: date, as_of: date, inactive_months: int) -> float:
    """Months since the last order beyond the inactivity window (never below 0)."""
    return max((as_of - last_order).days / DAYS_PER_MONTH - inactive_months, 0.0)


def percentiles(values: Sequence[float]) -> list[float]:
    """Map each value to its percentile 0..1 within ``values`` (ties share the mid-rank).

    A single value gets 1.0: alone in its cohort, it is the best there is.
    """
    n = len(values)
    if n == 0:
        return []
    if n == 1:
        return [1.0]
    order = sorted(range(n), key=lambda i: values[i])
    result = [0.0] * n
    start = 0
    while start < n:
        end = start
        while end + 1 < n and values[order[end + 1]] == values[order[start]]:
            end += 1
        mid_rank = (start + end) / 2  # 0-based average position of the tie group
        for position in range(start, end + 1):
            result[order[position]] = mid_rank / (n - 1)
        start = end + 1
    return result


def score_accounts(
    accounts: Sequence[LapsedAccount],
    as_of: date,
    inactive_months: int,
    chances: dict[str, SegmentChance] | None = None,
) -> list[tuple[float, ScoreParts]]:
    """Score every account against the others; returns ``(score, parts)`` in input order.

    ``chances`` are the segments' win-back chances updated by call outcomes;
    without them the prior ``10 % x ease`` is used.
    """
    values = [expected_value(a, as_of, inactive_months, chances) for a in accounts]
    recency = [(as_of - a.last_order_date).days for a in accounts]
    tenure = [(a.last_order_date - a.first_order_date).days for a in accounts]
    pct = {
        "expected_value": percentiles([v[2] for v in values]),
        "revenue": percentiles([a.net_revenue for a in accounts]),
        "frequency": percentiles([float(a.order_count) for a in accounts]),
        # Fewer days since the last order is better: rank the negated value.
        "recency": percentiles([-float(d) for d in recency]),
        "tenure": percentiles([float(d) for d in tenure]),
    }
    scored: list[tuple[float, ScoreParts]] = []
    for i, account in enumerate(accounts):
        ease = account.relationship_ease or DEFAULT_EASE
        normalised = {name: column[i] for name, column in pct.items()}
        normalised["ease"] = (ease - 1) / 4
        points = {name: round(WEIGHTS[name] * normalised[name], 2) for name in WEIGHTS}
        yearly, probability, value = values[i]
        parts = ScoreParts(
            revenue=round(account.net_revenue, 2),
            cancelled=round(account.cancelled, 2),
            frequency=account.order_count,
            recency_days=recency[i],
            tenure_days=tenure[i],
            how_long_ago=how_long_ago(account.last_order_date, as_of),
            months_lapsed=round(months_lapsed(account.last_order_date, as_of, inactive_months), 1),
            ease=ease,
            ease_known=account.relationship_ease is not None,
            annual_value=round(yearly, 2),
            win_back_probability=round(probability, 4),
            p_return=round(probability, 4),
            expected_spend=round(yearly, 2),
            expected_value=round(value, 2),
            call_value=round(value, 2),
            segment=segment_of(account.relationship_ease),
            value_source="prior",
            explanation=explain(value, probability, yearly),
            points=points,
        )
        scored.append((round(sum(points.values()), 2), parts))
    return scored

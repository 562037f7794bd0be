"""Backtest of the plan: rank as of a past day, score the ranking on what happened after.

``winback plan backtest --as-of D --horizon-months H --inactive-months N``
builds the plan exactly as it would have been built on day ``D`` (orders and
call outcomes after ``D`` are invisible to it), then looks at the orders of
the ``H`` months after ``D`` and asks how good the ranking was:

* **value share** of the top 10/20/30 % of the list: the part of the
  revenue the lapsed customers brought after ``D`` that the first calls
  would have reached;
* **returner share**: the part of the customers who ordered again;
* **AUC**: the chance that a customer who returned is ranked above one who
  did not (0.5 is a coin, 1 a perfect list);
* a **reliability table** of the model's predicted return probability for
  the horizon in deciles, next to the share that actually returned.

Next to the plan stand the baselines: past revenue, the old weighted score
(the transparent prior without call outcomes), a random order (its expected
shares, exactly the list fraction) and the perfect order (the ceiling).

The horizon is cut at the tenant's last order (data beyond it does not
exist); the result says so, and the model's probabilities are then computed
for the shorter window, so calibration stays a fair comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, Field
from scipy.stats import rankdata
from sqlalchemy.orm import Session

from agent.errors import ValidationError
from agent.plan.clv import ClvModel
from agent.plan.history import last_order_day, purchase_histories, realised
from agent.plan.lapse import find_lapsed, validate_months
from agent.plan.ranking import build_plan
from agent.plan.scoring import score_accounts
from agent.plan.valuation import ValueModel

MAX_HORIZON_MONTHS = 60
#: List fractions whose shares are reported.
TOP_FRACTIONS = (0.1, 0.2, 0.3)
DECILES = 10


class RankingScore(BaseModel):
    """How well one ordering of the lapsed customers did."""

    name: str = Field(description="plan, past_revenue, old_score, random or perfect.")
    value_share: dict[str, float | None] = Field(
        description="Share of realised revenue in the top 10/20/30 % (keys top_10, ...)."
    )
    returner_share: dict[str, float | None] = Field(
        description="Share of the customers who returned, in the top 10/20/30 %."
    )
    auc: float | None = Field(description="Chance a returner ranks above a non-returner.")


class ReliabilityBin(BaseModel):
    """One decile of the predicted return probability."""

    customers: int
    predicted: float = Field(description="Mean predicted chance of an order in the horizon.")
    observed: float = Field(description="Share of these customers who did order.")
    gap: float = Field(description="observed - predicted.")
    stderr: float = Field(
        description="Standard error of 'observed' if 'predicted' were right: the noise floor."
    )


class Backtest(BaseModel):
    """The scored ranking of one cut-off."""

    as_of: date
    inactive_months: int
    horizon_months: int
    horizon_end: date = Field(description="Last day of the window (cut at the last order).")
    horizon_days: int
    truncated: bool = Field(description="True when the data ends before the full horizon.")
    lapsed: int = Field(description="Ranked (callable) lapsed customers.")
    excluded: int
    returners: int = Field(description="Ranked customers with an order in the window.")
    realised_revenue: float = Field(description="Their net revenue in the window.")
    model: ValueModel
    rankings: list[RankingScore]
    reliability: list[ReliabilityBin] | None = Field(
        description="Deciles of the model's return probability; null under the prior."
    )
    mean_predicted: float | None
    mean_observed: float | None
    max_calibration_gap: float | None = Field(description="Largest |gap| over the deciles.")
    deciles_within_005: int | None = Field(description="Deciles with |gap| <= 0.05.")
    deciles_within_2se: int | None = Field(description="Deciles with |gap| <= 2 stderr.")
    warnings: list[str]


def _key(fraction: float) -> str:
    return f"top_{round(fraction * 100)}"


def shares(order: Sequence[int], values: np.ndarray) -> dict[str, float | None]:
    """Share of ``values`` held by the first 10/20/30 % of ``order`` (None without a total)."""
    total = float(values.sum())
    n = len(order)
    result: dict[str, float | None] = {}
    for fraction in TOP_FRACTIONS:
        if total <= 0 or n == 0:
            result[_key(fraction)] = None
            continue
        k = max(1, round(n * fraction))
        result[_key(fraction)] = round(float(values[list(order[:k])].sum()) / total, 4)
    return result


def auc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """Area under the ROC curve by the rank-sum formula; None without both classes."""
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(scores)
    return round(float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)), 4)


def reliability(predicted: np.ndarray, observed: np.ndarray) -> list[ReliabilityBin]:
    """Predicted vs observed return in deciles of the prediction (fewer bins for few customers)."""
    order = np.argsort(predicted, kind="stable")
    bins = [b for b in np.array_split(order, min(DECILES, len(order))) if len(b)]
    result = []
    for index in bins:
        p, o = float(predicted[index].mean()), float(observed[index].mean())
        # With ~80 customers a decile's share wobbles by ~0.055 even under a perfect
        # model: the gap is read against this, not against a fixed tolerance alone.
        noise = float(np.sqrt(np.mean(predicted[index] * (1 - predicted[index])) / len(index)))
        result.append(
            ReliabilityBin(
                customers=len(index),
                predicted=round(p, 4),
                observed=round(o, 4),
                gap=round(o - p, 4),
                stderr=round(noise, 4),
            )
        )
    return result


def _ranking(
    name: str, order: Sequence[int], revenue: np.ndarray, returned: np.ndarray
) -> RankingScore:
    n = len(order)
    position_score = np.empty(n)
    position_score[list(order)] = np.arange(n, 0, -1)  # first in the list scores highest
    return RankingScore(
        name=name,
        value_share=shares(order, revenue),
        returner_share=shares(order, returned.astype(float)),
        auc=auc(position_score, returned),
    )


def _random(revenue: np.ndarray, returned: np.ndarray) -> RankingScore:
    # The expectation over all orders: each customer is in the top k with chance k / n.
    n = len(revenue)

    def expected(values: np.ndarray) -> dict[str, float | None]:
        if n == 0 or values.sum() <= 0:
            return {_key(f): None for f in TOP_FRACTIONS}
        return {_key(f): round(max(1, round(n * f)) / n, 4) for f in TOP_FRACTIONS}

    both = 0 < returned.sum() < n
    return RankingScore(
        name="random",
        value_share=expected(revenue),
        returner_share=expected(returned.astype(float)),
        auc=0.5 if both else None,
    )


def horizon_end(session: Session, tenant_id: int, as_of: date, months: int) -> tuple[date, bool]:
    """The last day of the window and whether the data ended before ``as_of + months``."""
    if isinstance(months, bool) or not isinstance(months, int):
        raise ValidationError(f"horizon months must be a whole number, got {months!r}")
    if not 1 <= months <= MAX_HORIZON_MONTHS:
        raise ValidationError(
            f"horizon months must be between 1 and {MAX_HORIZON_MONTHS}, got {months}"
        )
    last = last_order_day(session, tenant_id)
    if last is None:
        raise ValidationError("no orders imported: there is nothing to backtest")
    if last <= as_of:
        raise ValidationError(
            f"the last order is from {last.isoformat()}, not after --as-of {as_of.isoformat()}: "
            "choose an earlier --as-of so that there is something to compare with"
        )
    full = as_of + relativedelta(months=months)
    return min(full, last), last < full


def run_backtest(
    session: Session, tenant_id: int, as_of: date, horizon_months: int, inactive_months: int
) -> Backtest:
    """Rank as of ``as_of`` and score the ranking on the ``horizon_months`` after it."""
    months = validate_months(inactive_months)
    end, truncated = horizon_end(session, tenant_id, as_of, horizon_months)
    plan = build_plan(session, tenant_id, as_of, months)
    ranked = plan.callable
    ids = [c.account_id for c in ranked]
    outcome = realised(session, tenant_id, as_of, end)
    revenue = np.array([outcome[a].revenue if a in outcome else 0.0 for a in ids])
    returned = np.array([a in outcome and outcome[a].returned for a in ids], dtype=bool)
    position = {a: i for i, a in enumerate(ids)}

    lapsed = [a for a in find_lapsed(session, tenant_id, as_of, months) if a.account_id in position]
    old = score_accounts(lapsed, as_of, months)
    old_order = [
        position[a.account_id]
        for a, (score, parts) in sorted(
            zip(lapsed, old, strict=True),
            key=lambda e: (-e[1][0], -e[1][1].expected_value, e[0].account_id),
        )
    ]
    past = np.array([c.score_parts.revenue for c in ranked])
    n = len(ids)
    rankings = [
        _ranking("plan", list(range(n)), revenue, returned),
        _ranking("past_revenue", list(np.lexsort((np.arange(n), -past))), revenue, returned),
        _ranking("old_score", old_order, revenue, returned),
        _random(revenue, returned),
        _ranking("perfect", list(np.lexsort((np.arange(n), -revenue))), revenue, returned),
    ]

    warnings: list[str] = []
    if truncated:
        warnings.append(
            f"The data ends on {end.isoformat()}: the window covers "
            f"{(end - as_of).days} days, not {horizon_months} full months."
        )
    if plan.model.kind == "prior" and plan.model.message:
        warnings.append(plan.model.message)
    if not n:
        warnings.append(
            f"No lapsed customer to rank as of {as_of.isoformat()} "
            f"({months} months without an order): choose a later --as-of or fewer months."
        )
    elif not returned.any():
        warnings.append("No ranked customer ordered in the window: the shares are undefined.")

    bins: list[ReliabilityBin] | None = None
    mean_p = mean_o = max_gap = None
    within_005 = within_2se = None
    if plan.model.kind == "bgnbd_gamma_gamma" and n:
        model = ClvModel(**plan.model.params)
        tenant = purchase_histories(session, tenant_id, as_of)
        predicted = model.p_return(tenant.histories.take(tenant.index_of(ids)), (end - as_of).days)
        bins = reliability(predicted, returned.astype(float))
        mean_p, mean_o = round(float(predicted.mean()), 4), round(float(returned.mean()), 4)
        max_gap = round(max(abs(b.gap) for b in bins), 4)
        within_005 = sum(abs(b.gap) <= 0.05 for b in bins)
        within_2se = sum(abs(b.gap) <= 2 * b.stderr for b in bins)
        rankings.insert(
            1,
            _ranking(
                "model_p_return", list(np.lexsort((np.arange(n), -predicted))), revenue, returned
            ),
        )

    return Backtest(
        as_of=as_of,
        inactive_months=months,
        horizon_months=horizon_months,
        horizon_end=end,
        horizon_days=(end - as_of).days,
        truncated=truncated,
        lapsed=n,
        excluded=plan.excluded_count,
        returners=int(returned.sum()),
        realised_revenue=round(float(revenue.sum()), 2),
        model=plan.model,
        rankings=rankings,
        reliability=bins,
        mean_predicted=mean_p,
        mean_observed=mean_o,
        max_calibration_gap=max_gap,
        deciles_within_005=within_005,
        deciles_within_2se=within_2se,
        warnings=warnings,
    )

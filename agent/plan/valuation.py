"""What each lapsed customer is worth: the value model, or the transparent prior.

:func:`value_accounts` scores the lapsed customers of a plan:

* **Model** (the tenant has enough history): the BG/NBD and Gamma-Gamma
  models of :mod:`agent.plan.clv`, fitted on every customer's purchases up
  to the as-of day, give each lapsed customer the chance of an order in the
  next 12 months (``p_return``) and the net revenue to expect if they do
  (``expected_spend``); ``expected_value = p_return x expected_spend``, the
  sentence the manager reads. The list is ranked by ``call_value``: the
  expected value times the segment's win-back chance relative to an unrated
  relationship (:mod:`agent.plan.chances`), so easy relationships come
  first, as the method says, and call outcomes move whole segments. The
  score is the percentile of the call value among the lapsed customers.
* **Prior** (a new tenant, one order per customer, a fit that does not hold
  up): the weighted score of :mod:`agent.plan.scoring`, with a message saying
  why. Never a crash, never a silent nonsense fit.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from agent.plan.chances import SegmentChance, prior_chance, segment_of
from agent.plan.clv import ClvModel, FitRefused, Histories, fit
from agent.plan.history import TenantHistories, purchase_histories
from agent.plan.lapse import LapsedAccount
from agent.plan.scoring import (
    DEFAULT_EASE,
    ScoreParts,
    annual_value,
    explain,
    how_long_ago,
    months_lapsed,
    percentiles,
    score_accounts,
)

#: The expected value looks this far ahead.
VALUE_HORIZON_DAYS = 365.0
#: The segment whose win-back chance counts as 1x in the call value.
REFERENCE_CHANCE = prior_chance(None)


class ValueModel(BaseModel):
    """Which valuation the plan used, on how much history, and why."""

    kind: Literal["bgnbd_gamma_gamma", "prior", "none"] = Field(
        description="'bgnbd_gamma_gamma' (fitted models), 'prior' (the transparent prior) "
        "or 'none' (no lapsed customer to value)."
    )
    message: str | None = Field(description="Why the prior is used; null with the model.")
    customers: int = Field(description="Customers with a purchase up to the as-of day.")
    repeat_customers: int = Field(description="Of them, customers with a repeat purchase day.")
    params: dict[str, float] = Field(description="Fitted parameters; empty for the prior.")
    horizon_days: float = Field(description="The expected value looks this many days ahead.")
    fit_seconds: float = Field(description="Wall time of the fit.")


def prior_only(reason: str, customers: int = 0, repeat: int = 0) -> ValueModel:
    """The description of a plan valued by the transparent prior."""
    return ValueModel(
        kind="prior",
        message=(
            f"Too little order history for the value model ({reason}): ranked by the "
            "transparent prior (win-back chance 10 % x ease, halved per 12 months lapsed)."
        ),
        customers=customers,
        repeat_customers=repeat,
        params={},
        horizon_days=VALUE_HORIZON_DAYS,
        fit_seconds=0.0,
    )


def nothing_to_value() -> ValueModel:
    """The description of a plan without lapsed customers: nothing was valued or fitted."""
    return ValueModel(
        kind="none",
        message=None,
        customers=0,
        repeat_customers=0,
        params={},
        horizon_days=VALUE_HORIZON_DAYS,
        fit_seconds=0.0,
    )


def fit_model(tenant: TenantHistories) -> tuple[ClvModel | None, ValueModel]:
    """Fit the value model to the tenant's histories, or say why the prior is used."""
    histories = tenant.histories
    customers, repeat = len(histories), int(np.sum(histories.x > 0))
    started = time.perf_counter()
    try:
        model = fit(histories)
    except FitRefused as exc:
        return None, prior_only(str(exc), customers, repeat)
    return model, ValueModel(
        kind="bgnbd_gamma_gamma",
        message=None,
        customers=customers,
        repeat_customers=repeat,
        params=model.params(),
        horizon_days=VALUE_HORIZON_DAYS,
        fit_seconds=round(time.perf_counter() - started, 3),
    )


def value_accounts(
    session: Session,
    tenant_id: int,
    accounts: Sequence[LapsedAccount],
    as_of: date,
    inactive_months: int,
    chances: dict[str, SegmentChance],
) -> tuple[list[tuple[float, ScoreParts]], ValueModel]:
    """Score ``accounts`` (in input order) with the model, else the prior; say which."""
    if not accounts:
        return [], nothing_to_value()
    tenant = purchase_histories(session, tenant_id, as_of)
    model, info = fit_model(tenant)
    if model is None:
        return score_accounts(accounts, as_of, inactive_months, chances), info
    histories = tenant.histories.take(tenant.index_of([a.account_id for a in accounts]))
    return model_scores(model, histories, accounts, as_of, inactive_months, chances), info


def model_scores(
    model: ClvModel,
    histories: Histories,
    accounts: Sequence[LapsedAccount],
    as_of: date,
    inactive_months: int,
    chances: dict[str, SegmentChance],
) -> list[tuple[float, ScoreParts]]:
    """Score ``accounts`` by the model's expected value weighted by their segment's chance."""
    p_return = model.p_return(histories, VALUE_HORIZON_DAYS)
    revenue = model.expected_revenue(histories, VALUE_HORIZON_DAYS)
    spend = np.where(p_return > 0, revenue / np.maximum(p_return, 1e-12), 0.0)
    factors = [chances[segment_of(a.relationship_ease)].chance / REFERENCE_CHANCE for a in accounts]
    call_values = [float(v) * f for v, f in zip(revenue, factors, strict=True)]
    scores = percentiles(call_values)
    result: list[tuple[float, ScoreParts]] = []
    for i, account in enumerate(accounts):
        score = round(100.0 * scores[i], 2)
        chance = chances[segment_of(account.relationship_ease)].chance
        lapsed = months_lapsed(account.last_order_date, as_of, inactive_months)
        parts = ScoreParts(
            revenue=round(account.net_revenue, 2),
            cancelled=round(account.cancelled, 2),
            frequency=account.order_count,
            recency_days=(as_of - account.last_order_date).days,
            tenure_days=(account.last_order_date - account.first_order_date).days,
            how_long_ago=how_long_ago(account.last_order_date, as_of),
            months_lapsed=round(lapsed, 1),
            ease=account.relationship_ease or DEFAULT_EASE,
            ease_known=account.relationship_ease is not None,
            annual_value=round(
                annual_value(
                    account.net_revenue, account.first_order_date, account.last_order_date
                ),
                2,
            ),
            win_back_probability=chance,
            p_return=round(float(p_return[i]), 4),
            expected_spend=round(float(spend[i]), 2),
            expected_value=round(float(revenue[i]), 2),
            call_value=round(call_values[i], 2),
            segment=segment_of(account.relationship_ease),
            value_source="model",
            explanation=explain(float(revenue[i]), float(p_return[i]), float(spend[i])),
            points={"call_value": score},
        )
        result.append((score, parts))
    return result

"""The plan: planned calls, the Pareto curve, and how the plan values customers."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from agent.plan.chances import SegmentChance
from agent.plan.daily import PlannedCall
from agent.plan.valuation import ValueModel

SCORE_PARTS_EXAMPLE: JsonDict = {
    "revenue": 48200.0,
    "cancelled": 0.0,
    "frequency": 23,
    "recency_days": 491,
    "tenure_days": 1002,
    "how_long_ago": "vor 16 Monaten",
    "months_lapsed": 4.1,
    "ease": 4,
    "ease_known": True,
    "annual_value": 17560.0,
    "win_back_probability": 0.3,
    "p_return": 0.42,
    "expected_spend": 5200.0,
    "expected_value": 2184.0,
    "call_value": 655.2,
    "segment": "ease_4",
    "value_source": "model",
    "explanation": "erwarteter Wert in den nächsten 12 Monaten: 2.184 € = "
    "P(Rückkehr) 42 % × erwarteter Umsatz 5.200 €",
    "points": {"value": 60.0, "ease": 32.4},
}


class PlanCallOut(PlannedCall):
    """A planned call with the rep who makes it."""

    rep: str = Field(description="Username of the rep.")
    rep_name: str


class PlanOut(BaseModel):
    """Planned calls, ordered by start time and rep."""

    as_of: str
    calls: list[PlanCallOut]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "as_of": "2026-11-03",
                    "calls": [
                        {
                            "account_id": 41,
                            "external_id": "K10041",
                            "name": "Meyer & Bergmann KG",
                            "rank": 1,
                            "score": 92.4,
                            "score_parts": SCORE_PARTS_EXAMPLE,
                            "last_order_date": "2025-06-30",
                            "within_pareto": True,
                            "day": "2026-11-03",
                            "start": "2026-11-03T09:00:00+01:00",
                            "end": "2026-11-03T09:30:00+01:00",
                            "rep": "a.keller",
                            "rep_name": "Anna Keller",
                        }
                    ],
                }  # fmt: skip
            ]
        }
    )


class ParetoOut(BaseModel):
    """The cumulative share of expected value over the ranked calls, with the cut-off."""

    as_of: str
    callable: int = Field(description="Lapsed customers worth a call, ranked.")
    excluded: int = Field(description="Lapsed customers set aside (status or agreed follow-up).")
    total_expected_value: float = Field(description="Sum of expected value over ranked calls.")
    cutoff_rank: int = Field(description="Smallest number of calls reaching the target share.")
    cutoff_share_of_calls: float = Field(description="cutoff_rank / number of ranked calls.")
    points: list[tuple[int, float]] = Field(
        description="[rank, cumulative share of expected value] pairs, at most 200."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "as_of": "2026-11-02",
                    "callable": 120,
                    "excluded": 14,
                    "total_expected_value": 184230.5,
                    "cutoff_rank": 31,
                    "cutoff_share_of_calls": 0.258,
                    "points": [[1, 0.061], [2, 0.113], [31, 0.801], [120, 1.0]],
                }
            ]
        }
    )


class ExplainedCall(BaseModel):
    """One ranked customer with the sentence behind its value."""

    rank: int
    account_id: int
    external_id: str
    name: str
    p_return: float
    expected_spend: float
    expected_value: float
    call_value: float = Field(description="What the list is ranked by.")
    segment: str
    ease: int | None = Field(description="The rep's ease rating; null when not rated.")
    win_back_chance: float = Field(description="The segment's win-back chance of a call.")
    explanation: str


class ExcludedAccount(BaseModel):
    """A lapsed customer who is not called, and why (its status or an agreed follow-up)."""

    account_id: int
    external_id: str
    name: str
    reason: str = Field(description="insolvent, lost, do_not_contact or follow_up.")
    follow_up_due: date | None = Field(
        default=None, description="The day of the agreed call or visit (reason follow_up)."
    )


class PlanModelOut(BaseModel):
    """How the plan values customers: the model or the prior, the segments, the exclusions."""

    as_of: str
    model: ValueModel
    segments: list[SegmentChance]
    top: list[ExplainedCall]
    excluded: list[ExcludedAccount]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "as_of": "2026-11-02",
                    "model": {
                        "kind": "bgnbd_gamma_gamma",
                        "message": None,
                        "customers": 200,
                        "repeat_customers": 171,
                        "params": {"r": 0.82, "alpha": 61.3, "a": 0.44, "b": 2.9},
                        "horizon_days": 365.0,
                        "fit_seconds": 0.21,
                    },
                    "segments": [
                        {
                            "segment": "ease_4",
                            "ease": 4,
                            "prior": 0.4,
                            "prior_strength": 4.0,
                            "reactivated": 2,
                            "not_won": 1,
                            "open": 3,
                            "outcomes": 3,
                            "chance": 0.457,
                            "low": 0.2,
                            "high": 0.73,
                        }
                    ],
                    "top": [
                        {
                            "rank": 1,
                            "account_id": 41,
                            "external_id": "K10041",
                            "name": "Meyer & Bergmann KG",
                            "p_return": 0.42,
                            "expected_spend": 5200.0,
                            "expected_value": 2184.0,
                            "call_value": 655.2,
                            "segment": "ease_4",
                            "ease": 4,
                            "win_back_chance": 0.3,
                            "explanation": "expected value in the next 12 months: €2,184 = "
                            "P(return) 42 % × expected spend €5,200",
                        }
                    ],
                    "excluded": [
                        {
                            "account_id": 77,
                            "external_id": "K10077",
                            "name": "Kraus Metallbau GmbH",
                            "reason": "insolvent",
                            "follow_up_due": None,
                        }
                    ],
                }
            ]
        }
    )

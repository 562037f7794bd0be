"""The stable label codes of the domain contract (DESIGN.md) as ``Literal`` types.

Pydantic models of LLM output use these closed sets so that a model can only
answer with a known code; ``agent.crm.models`` holds the same codes as enums
for the database, and a test keeps the two in step.
"""

from __future__ import annotations

from typing import Literal, get_args

ReasonCode = Literal[
    "delivery_speed",
    "delivery_reliability",
    "product_quality",
    "service_neglect",
    "poor_treatment",
    "price_terms",
    "competitor_offer",
    "buyer_change",
    "insolvency",
    "need_gone",
    "other",
]
OutcomeCode = Literal["reactivated", "follow_up", "not_now", "lost", "disqualified", "not_reached"]
StepType = Literal[
    "send_offer",
    "schedule_call",
    "schedule_visit",
    "send_sample",
    "fix_issue",
    "offer_incentive",
    "update_contact",
    "none",
]

REASON_CODES: tuple[str, ...] = get_args(ReasonCode)
OUTCOME_CODES: tuple[str, ...] = get_args(OutcomeCode)
STEP_TYPES: tuple[str, ...] = get_args(StepType)

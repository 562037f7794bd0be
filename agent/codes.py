"""The stable label codes of the domain contract (DESIGN.md) as ``Literal`` types.

Pydantic models of LLM output use these closed sets so that a model can only
answer with a known code; ``agent.crm.models`` holds the same codes as enums
for the database, and a test keeps the two in step.

Text that comes from outside a ``Literal`` field (a database column, a form,
a classifier's label list, an enum's ``.value``) becomes one of these types
through the ``is_*`` guards or the ``parse_*`` functions below, so that mypy
checks every place a plain string turns into a code instead of trusting it.
"""

from __future__ import annotations

from typing import Literal, TypeGuard, get_args

from agent.errors import ValidationError

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

#: Whether a churn reason lies with us (``internal``), with the customer's world
#: (``external``), or neither.
ReasonGroup = Literal["internal", "external", "other"]
#: The situations of DESIGN.md's situation -> strategy table.
SituationCode = Literal[
    "uncertain_status",
    "unexpected_reaction",
    "status_quo",
    "inefficiency",
    "disinterest",
    "hesitant",
    "right_tone",
]
#: Who does a next step.
Owner = Literal["rep", "customer"]
#: The languages Winback writes and analyses in.
LanguageCode = Literal["de", "en"]

REASON_CODES: tuple[ReasonCode, ...] = get_args(ReasonCode)
OUTCOME_CODES: tuple[OutcomeCode, ...] = get_args(OutcomeCode)
STEP_TYPES: tuple[StepType, ...] = get_args(StepType)
REASON_GROUPS: tuple[ReasonGroup, ...] = get_args(ReasonGroup)
SITUATION_CODES: tuple[SituationCode, ...] = get_args(SituationCode)
LANGUAGE_CODES: tuple[LanguageCode, ...] = get_args(LanguageCode)


def is_reason_code(value: object) -> TypeGuard[ReasonCode]:
    """Whether ``value`` is one of the churn reason codes."""
    return value in REASON_CODES


def is_outcome_code(value: object) -> TypeGuard[OutcomeCode]:
    """Whether ``value`` is one of the call outcome codes."""
    return value in OUTCOME_CODES


def is_step_type(value: object) -> TypeGuard[StepType]:
    """Whether ``value`` is one of the next-step types."""
    return value in STEP_TYPES


def is_reason_group(value: object) -> TypeGuard[ReasonGroup]:
    """Whether ``value`` is a group of churn reasons."""
    return value in REASON_GROUPS


def is_situation_code(value: object) -> TypeGuard[SituationCode]:
    """Whether ``value`` is a situation of the situation -> strategy table."""
    return value in SITUATION_CODES


def is_language_code(value: object) -> TypeGuard[LanguageCode]:
    """Whether ``value`` is a language Winback supports."""
    return value in LANGUAGE_CODES


def _unknown(what: str, value: object, choices: tuple[str, ...]) -> ValidationError:
    return ValidationError(f"Unknown {what} {value!r}; expected one of: {', '.join(choices)}.")


def parse_reason(value: str) -> ReasonCode:
    """``value`` as a churn reason code; a ValidationError names the known codes."""
    if is_reason_code(value):
        return value
    raise _unknown("churn reason code", value, REASON_CODES)


def parse_outcome(value: str) -> OutcomeCode:
    """``value`` as a call outcome code; a ValidationError names the known codes."""
    if is_outcome_code(value):
        return value
    raise _unknown("call outcome", value, OUTCOME_CODES)


def parse_step(value: str) -> StepType:
    """``value`` as a next-step type; a ValidationError names the known types."""
    if is_step_type(value):
        return value
    raise _unknown("next-step type", value, STEP_TYPES)


def parse_language_code(value: str) -> LanguageCode:
    """``value`` as a supported language; a ValidationError names the choices."""
    if is_language_code(value):
        return value
    raise _unknown("language", value, LANGUAGE_CODES)

"""The Literal code sets used for model output match the database enums."""

from __future__ import annotations

from agent.codes import OUTCOME_CODES, REASON_CODES, STEP_TYPES
from agent.crm.models import (
    EXTERNAL_REASONS,
    INTERNAL_REASONS,
    CallOutcome,
    ChurnReason,
    NextStepType,
)


def test_literals_match_enums() -> None:
    assert tuple(m.value for m in ChurnReason) == REASON_CODES
    assert tuple(m.value for m in CallOutcome) == OUTCOME_CODES
    assert tuple(m.value for m in NextStepType) == STEP_TYPES


def test_every_reason_but_other_is_internal_or_external() -> None:
    assert INTERNAL_REASONS.isdisjoint(EXTERNAL_REASONS)
    assert set(ChurnReason) - INTERNAL_REASONS - EXTERNAL_REASONS == {ChurnReason.other}

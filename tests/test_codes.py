"""The Literal code sets match the database enums; plain strings become codes only if known."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agent.codes import (
    OUTCOME_CODES,
    REASON_CODES,
    SITUATION_CODES,
    STEP_TYPES,
    is_outcome_code,
    is_reason_code,
    is_reason_group,
    is_situation_code,
    is_step_type,
    parse_language_code,
    parse_outcome,
    parse_reason,
    parse_step,
)
from agent.crm.models import (
    EXTERNAL_REASONS,
    INTERNAL_REASONS,
    CallOutcome,
    ChurnReason,
    NextStepType,
)
from agent.errors import ValidationError


def test_literals_match_enums() -> None:
    assert tuple(m.value for m in ChurnReason) == REASON_CODES
    assert tuple(m.value for m in CallOutcome) == OUTCOME_CODES
    assert tuple(m.value for m in NextStepType) == STEP_TYPES


def test_every_reason_but_other_is_internal_or_external() -> None:
    assert INTERNAL_REASONS.isdisjoint(EXTERNAL_REASONS)
    assert set(ChurnReason) - INTERNAL_REASONS - EXTERNAL_REASONS == {ChurnReason.other}


@pytest.mark.parametrize(
    ("parse", "good", "bad"),
    [
        (parse_reason, "price_terms", "price"),
        (parse_outcome, "not_now", "later"),
        (parse_step, "send_offer", "offer"),
        (parse_language_code, "en", "fr"),
    ],
)
def test_parse_returns_a_known_code_and_names_the_choices_for_an_unknown_one(
    parse: Callable[[str], str], good: str, bad: str
) -> None:
    assert parse(good) == good
    with pytest.raises(ValidationError, match=rf"Unknown .*'{bad}'; expected one of: .*{good}"):
        parse(bad)


def test_guards_accept_only_the_closed_sets() -> None:
    assert all(is_reason_code(c) for c in REASON_CODES)
    assert all(is_outcome_code(c) for c in OUTCOME_CODES)
    assert all(is_step_type(c) for c in STEP_TYPES)
    assert all(is_reason_group(g) for g in ("internal", "external", "other"))
    assert all(is_situation_code(s) for s in SITUATION_CODES)
    for guard in (is_reason_code, is_outcome_code, is_step_type, is_reason_group):
        assert not guard("Price_Terms") and not guard(None) and not guard("")
    assert not is_situation_code("calm")

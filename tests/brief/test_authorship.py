"""Which parts of a stored brief count as the model's (the "AI-generated" marks)."""

from __future__ import annotations

from agent.brief.authorship import ai_parts
from agent.brief.schema import RULES_MODEL
from agent.crm.models import StoredBrief


def test_briefs_by_rules_alone_are_not_marked() -> None:
    row = StoredBrief(model=RULES_MODEL, content={"authored": {}})
    assert ai_parts(row) == set() and ai_parts(None) == set()
    row = StoredBrief(model="m", content={"authored": {"situation": "code"}})
    assert ai_parts(row) == {"opening_question", "talking_points"}


def test_a_brief_stored_before_authorship_was_recorded_counts_every_model_part() -> None:
    assert ai_parts(StoredBrief(model="m", content={})) == {
        "situation", "opening_question", "talking_points"
    }  # fmt: skip

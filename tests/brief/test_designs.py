"""The brief designs registry: what code writes and what the model is asked, per design."""

from __future__ import annotations

from agent.brief.designs import BRIEF_DESIGNS, CompactDesign, FullDesign
from agent.brief.schema import BriefDraft, QuestionDraft
from agent.settings import Settings


def test_the_registry_names_each_design_by_its_class() -> None:
    assert {"compact": CompactDesign, "full": FullDesign} == BRIEF_DESIGNS
    literal = Settings.model_fields["brief_design"].annotation
    assert set(literal.__args__) == {*BRIEF_DESIGNS, "auto"}  # type: ignore[union-attr]


def test_compact_asks_the_model_only_for_the_opening_question() -> None:
    assert CompactDesign.schema is QuestionDraft
    assert [p for p, who in CompactDesign.authored.items() if who == "model"] == [
        "opening_question"
    ]


def test_full_asks_the_model_for_all_three_parts() -> None:
    assert FullDesign.schema is BriefDraft
    assert set(FullDesign.authored.values()) == {"model"}

"""The objection playbook: every churn reason, both languages, no numbers, cited evidence."""

from __future__ import annotations

import re
from datetime import date

import pytest

from agent.brief import playbook
from agent.brief.schema import STRATEGIES, ChurnHypothesis, Evidence
from agent.catalogue.vocabulary import vocabulary
from agent.codes import REASON_CODES
from agent.language import is_language


def hyp(code: str, confidence: float, source: str) -> ChurnHypothesis:
    return ChurnHypothesis(
        code=code,  # type: ignore[arg-type]
        group="internal",
        confidence=confidence,
        basis="test",
        evidence=[Evidence(source=source, day=date(2025, 1, 2), quote="...")],
    )


@pytest.mark.parametrize("code", sorted(REASON_CODES))
@pytest.mark.parametrize("language", ["de", "en"])
def test_every_reason_has_a_play_in_both_languages(code: str, language: str) -> None:
    play = vocabulary().reasons[code].play
    assert play.situation in STRATEGIES
    for text in (play.objection[language], play.answer[language], play.avoid[language]):
        # No numbers or dates: the grounding checker would need a record for them.
        assert not re.search(r"\d", text)
        assert is_language(text, language), text


def test_strongest_hypotheses_lead_and_cite_their_evidence() -> None:
    hyps = [hyp("price_terms", 0.4, "note:1"), hyp("product_quality", 0.9, "note:2")]
    objections = playbook.objections(hyps, "de")
    assert [o.situation for o in objections] == ["unexpected_reaction", "hesitant"]
    assert objections[0].strategy == "Kritiker früh erkennen"
    assert objections[0].sources == ["note:2"]
    assert objections[1].strategy == "Anreiz (Rückholköder) anbieten"
    avoid = playbook.avoid(hyps, "en")
    assert avoid[0].text.startswith("Do not call the complaint settled")


def test_no_hypothesis_gives_the_ask_first_play() -> None:
    objections = playbook.objections([], "de")
    assert len(objections) == 1 and objections[0].sources == []
    assert objections[0].strategy == "Regelmäßig um Feedback bitten"
    assert "erst fragen" in playbook.avoid([], "de")[0].text

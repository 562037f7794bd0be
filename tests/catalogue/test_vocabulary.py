"""The catalogue: one entry per domain code in every language, read and checked at load."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from agent.catalogue.vocabulary import LANGUAGES, SIGNALS, vocabulary
from agent.codes import OUTCOME_CODES, REASON_CODES, STEP_TYPES
from agent.errors import ConfigError

#: The module itself (the package re-exports its ``vocabulary`` function under the same name).
catalogue = importlib.import_module("agent.catalogue.vocabulary")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_code_has_words_in_every_language(language: str) -> None:
    vocab = vocabulary()
    for code in REASON_CODES:
        reason = vocab.reasons[code]
        assert reason.name[language] and reason.definition[language]
        assert reason.question[language] and reason.point[language]
        assert reason.cues[language], code
        assert reason.play.objection[language] and reason.play.avoid[language]
        assert reason.group in ("internal", "external", "other")
    for code in OUTCOME_CODES:
        assert vocab.outcome_name(code, language) != code or language == "en"
    for step in STEP_TYPES:
        assert vocab.step_name(step, language)
    for signal in SIGNALS:
        assert vocab.signal_cues[signal][language]
    assert vocab.instruction_cues[language] and vocab.summary[language]


def test_groups_follow_the_design_contract() -> None:
    groups = {code: r.group for code, r in vocabulary().reasons.items()}
    assert groups["delivery_speed"] == "internal" and groups["price_terms"] == "internal"
    assert groups["competitor_offer"] == "external" and groups["insolvency"] == "external"
    assert groups["other"] == "other"


def test_signals_decide_the_outcomes_of_the_guidelines_order() -> None:
    assert vocabulary().signal_outcome == {
        "absent": "not_reached", "cannot_buy": "disqualified", "order": "reactivated",
        "refusal": "lost", "step": "follow_up", "later": "not_now",
    }  # fmt: skip


def test_unknown_codes_read_as_themselves() -> None:
    vocab = vocabulary()
    assert vocab.reason_name("nonsense", "de") == "nonsense"
    assert vocab.outcome_name(None, "de") == "–"
    assert vocab.reason_name("price_terms", "fr") == vocab.reason_name("price_terms", "en")


@pytest.mark.parametrize(("key", "typo"), [("group", "intern"), ("situation", "status-quo")])
def test_an_unknown_group_or_situation_in_codes_toml_fails_at_load(
    monkeypatch: pytest.MonkeyPatch, key: str, typo: str
) -> None:
    read = catalogue._read

    def read_with_typo(name: str) -> dict[str, Any]:
        data = read(name)
        if name == "codes.toml":
            data["reasons"]["price_terms"][key] = typo
        return data

    monkeypatch.setattr(catalogue, "_read", read_with_typo)
    where = rf"codes\.toml \[reasons\.price_terms\]\.{key}"
    with pytest.raises(ConfigError, match=rf"{where}: unknown value '{typo}'"):
        vocabulary.__wrapped__()

"""The analysis designs registry: names, what each needs, and the errors that list the choices."""

from __future__ import annotations

import pytest

from agent.analysis.analyzer import Analyzer
from agent.analysis.decomposed import DecomposedDesign
from agent.analysis.designs import ANALYSIS_DESIGNS, CHAT_DESIGNS, DESIGNS, LearnedDesign
from agent.settings import Settings
from agent.testing import FakeChatModel


def test_the_registry_names_each_design_by_its_class() -> None:
    assert {"learned": LearnedDesign, "decomposed": DecomposedDesign} == ANALYSIS_DESIGNS
    assert DESIGNS[0] == Settings().analysis_design == "learned"  # the default comes first
    assert {"decomposed"} == CHAT_DESIGNS


def test_the_setting_accepts_exactly_the_registered_designs() -> None:
    literal = Settings.model_fields["analysis_design"].annotation
    assert set(literal.__args__) == set(ANALYSIS_DESIGNS)  # type: ignore[union-attr]


def test_an_unknown_design_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="choose one of: learned, decomposed"):
        Analyzer(FakeChatModel(), design="plain", settings=Settings(chat_backend="fake"))  # type: ignore[arg-type]


def test_the_analyzer_runs_the_chosen_design_and_names_its_model() -> None:
    settings = Settings(chat_backend="fake")
    chat = Analyzer(FakeChatModel(), design="decomposed", settings=settings)
    assert isinstance(chat.runner, DecomposedDesign) and chat.model_name == "fake-chat"
    learned = Analyzer(design="learned", settings=settings)
    assert isinstance(learned.runner, LearnedDesign)
    assert learned.model_name == "learned classifiers (no language model)"

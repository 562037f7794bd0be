"""The example bank: its fingerprint is stale on a changed cue word, not on a changed name;
a stored example's task is one of the bank's."""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.analysis import bank
from agent.catalogue import cues
from agent.errors import ValidationError

# The module, not the function of the same name that agent.catalogue re-exports.
vocab_module = importlib.import_module("agent.catalogue.vocabulary")


@pytest.fixture
def catalogue_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the catalogue's TOML files that the vocabulary reads instead."""
    data = tmp_path / "data"
    data.mkdir()
    for path in vocab_module.DATA_DIR.glob("*.toml"):
        shutil.copy(path, data / path.name)
    monkeypatch.setattr(vocab_module, "DATA_DIR", data)
    vocab_module.vocabulary.cache_clear()
    cues.matcher.cache_clear()
    yield data
    vocab_module.vocabulary.cache_clear()
    cues.matcher.cache_clear()


def _reread() -> str:
    vocab_module.vocabulary.cache_clear()
    cues.matcher.cache_clear()
    return bank.fingerprint([])


def test_names_and_comments_do_not_make_the_model_stale(catalogue_copy: Path) -> None:
    before = _reread()
    de = catalogue_copy / "de.toml"
    text = de.read_text()
    assert 'name = "Liefertreue"' in text
    de.write_text(
        "# a reworded comment\n" + text.replace('name = "Liefertreue"', 'name = "Termintreue"')
    )
    assert _reread() == before
    assert vocab_module.vocabulary().reason_name("delivery_reliability", "de") == "Termintreue"


def test_a_changed_cue_word_makes_the_model_stale(catalogue_copy: Path) -> None:
    before = _reread()
    de = catalogue_copy / "de.toml"
    text = de.read_text()
    assert '"ki", ' in text
    de.write_text(text.replace('"ki", ', '"ki", "assistent", ', 1))
    assert _reread() != before


def test_the_shipped_model_was_trained_on_this_catalogue() -> None:
    from agent.analysis.model import AnalysisModel
    from agent.analysis.trained import SHIPPED_MODEL

    shipped = AnalysisModel.load(SHIPPED_MODEL)
    assert shipped.meta["bank"] == bank.fingerprint(bank.base_bank())


def test_a_stored_example_task_must_be_one_the_bank_knows() -> None:
    assert [bank.parse_task(t) for t in ("reason", "signal", "step")] == list(bank.TASKS)
    with pytest.raises(ValidationError, match="Unknown example task 'steps'; expected one of"):
        bank.parse_task("steps")

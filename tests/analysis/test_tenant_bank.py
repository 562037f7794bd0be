"""Learning from reviews: what a review confirms or corrects, and the refitted classifiers."""

from __future__ import annotations

from agent.analysis.bank import Example, labels
from agent.analysis.model import view
from agent.analysis.schema import CallAnalysis, NextStep, ReasonLabel, Turn
from agent.analysis.tenant_bank import TENANT_GROUP, examples_from_review, with_examples
from tests.analysis.conftest import small_training_set


def test_review_confirms_kept_fields_and_teaches_removed_ones_as_none() -> None:
    draft = CallAnalysis(
        language="de", outcome="follow_up", outcome_evidence="Schicken Sie mir ein Angebot.",
        churn_reasons=[ReasonLabel(code="price_terms", evidence="Zu teuer."),
                       ReasonLabel(code="other", evidence="Es war halt so.")],
        next_steps=[NextStep(type="send_offer", description="Ich schicke das Angebot.",
                             confidence=0.8),
                    NextStep(type="send_sample", description="Muster gibt's auch.",
                             confidence=0.6)],
    )  # fmt: skip
    final = draft.model_copy(update={
        "churn_reasons": draft.churn_reasons[:1], "next_steps": draft.next_steps[:1],
    })  # fmt: skip
    assert sorted(examples_from_review(draft, final)) == sorted([
        ("reason", "price_terms", "Zu teuer.", "customer", None),
        ("reason", "none", "Es war halt so.", "customer", None),
        ("signal", "step", "Schicken Sie mir ein Angebot.", "customer", None),
        ("step", "send_offer", "Ich schicke das Angebot.", "rep", "rep"),
        ("step", "none", "Muster gibt's auch.", "rep", None),
    ])  # fmt: skip
    changed = final.model_copy(update={"outcome": "not_now"})  # outcome evidence not confirmed
    assert not [e for e in examples_from_review(draft, changed) if e[0] == "signal"]


def test_confirmed_sentences_move_the_classifier(small_model) -> None:
    model, featurizer = small_model
    sentence = "Der Kran stand drei Wochen still, weil der Hydraulikschlauch fehlte."
    call = view([Turn(speaker="customer", text=sentence)], "de")
    before = model.sentence_probabilities(call, featurizer)["reason"]
    examples, _ = small_training_set()
    confirmed = [
        Example("reason", "delivery_reliability", sentence, "de", "customer", TENANT_GROUP, 3.0)
    ] * 3
    refitted = with_examples(model, featurizer, confirmed, bank=examples)
    assert refitted is not model and refitted.meta["tenant_examples"] == 3
    assert with_examples(model, featurizer, confirmed, bank=examples) is refitted  # cached
    after = refitted.sentence_probabilities(call, featurizer)["reason"]
    column = labels("reason").index("delivery_reliability")
    assert after[0, column] > before[0, column]
    assert with_examples(model, featurizer, []) is model

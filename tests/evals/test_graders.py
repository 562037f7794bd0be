"""Graders against hand-computed examples."""

from __future__ import annotations

import pytest

from agent.analysis.schema import Turn
from evals.graders import (
    accuracy,
    fact_covered,
    fact_recall,
    grade_next_steps,
    grounded,
    prf_sets,
    quantile,
    summarise,
)


def test_prf_sets_by_hand() -> None:
    gold = [{"a", "b"}, {"a"}, set()]
    pred = [{"a"}, {"a", "c"}, {"c"}]
    # a: tp=2 fp=0 fn=0 ; b: tp=0 fn=1 ; c: fp=2
    m = prf_sets(gold, pred)
    assert m["precision"] == pytest.approx(2 / 4)
    assert m["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["micro_f1"] == pytest.approx(round(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3), 4))  # 0.5714
    assert m["per_label"]["a"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2}
    assert m["per_label"]["b"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert m["per_label"]["c"]["support"] == 0
    assert m["macro_f1"] == pytest.approx(1 / 3, abs=1e-4)


def test_prf_empty_agreement_is_perfect() -> None:
    assert prf_sets([set(), set()], [set(), set()])["micro_f1"] == 1.0


def test_accuracy() -> None:
    assert accuracy(["a", "b", "c", "d"], ["a", "x", "c", None]) == 0.5


def test_next_steps_types_and_due_dates() -> None:
    gold = [
        [{"type": "send_offer", "owner": "rep", "due_date": "2026-01-30"},
         {"type": "offer_incentive", "owner": "rep", "due_date": None}],
        [{"type": "none", "owner": "rep", "due_date": None}],
    ]  # fmt: skip
    pred = [
        [{"type": "send_offer", "owner": "rep", "due_date": "2026-01-31"},
         {"type": "schedule_call", "owner": "rep", "due_date": None}],
        [{"type": "none", "owner": "rep", "due_date": None}],
    ]  # fmt: skip
    m = grade_next_steps(gold, pred)
    # types: tp = send_offer, none (2); fp = schedule_call (1); fn = offer_incentive (1)
    assert m["type_f1"] == pytest.approx(2 / 3, abs=1e-4)
    # matched steps: send_offer (wrong date), none (both None: right)
    assert m["due_date_matched"] == 2 and m["due_date_accuracy"] == 0.5
    assert m["dated_matched"] == 1 and m["dated_accuracy"] == 0.0


def test_grounded_counts_customer_quotes_only() -> None:
    turns = [
        Turn(speaker="rep", text="War es der Preis?"),
        Turn(speaker="customer", text="Nein, die Qualität."),
    ]
    labels = [{"code": "price_terms", "evidence": "War es der Preis?"},
              {"code": "product_quality", "evidence": "die Qualität"}]  # fmt: skip
    assert grounded(labels, turns) == (1, 2)


def test_fact_coverage_by_key_tokens() -> None:
    fact = "Die Kundin bestellt wieder 4 IBC Cold-Box-Binder zur Lieferung nächste Woche."
    assert fact_covered(fact, "Sie bestellt erneut 4 IBC Cold-Box-Binder, Lieferung nächste Woche.")
    assert not fact_covered(fact, "Die Kundin war unzufrieden mit dem Außendienst.")
    assert fact_recall([fact, "Zwölfhundert Euro Schaden: 1200 EUR."], "Schaden 1200 EUR") == 0.5
    assert fact_recall([], "x") == 1.0


def test_quantile_interpolates_between_ranks() -> None:
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert quantile([10.0], 0.95) == 10.0
    assert quantile([], 0.5) is None


def test_summarise_counts_failures_as_empty_predictions() -> None:
    gold = {"churn_reasons": ["price_terms"], "outcome": "lost",
            "next_steps": [{"type": "none", "owner": "rep", "due_date": None}],
            "summary_facts": ["Zu teuer: 20 Prozent Aufschlag."]}  # fmt: skip
    turns = [{"speaker": "customer", "text": "Sie waren zu teuer, 20 Prozent Aufschlag."}]
    prediction = {
        "churn_reasons": [{"code": "price_terms", "evidence": "zu teuer, 20 Prozent"}],
        "outcome": "lost",
        "summary": "Zu teuer, 20 Prozent Aufschlag.",
        "next_steps": [{"type": "none", "owner": "rep", "due_date": None}],
    }
    ok = {"id": "x1", "gold": gold, "turns": turns, "latency_s": 10.0, "error": None,
          "prediction": prediction}  # fmt: skip
    failed = {"id": "x2", "gold": gold, "turns": turns, "latency_s": 30.0,
              "error": "invalid JSON", "prediction": None}  # fmt: skip
    m = summarise([ok, failed], "fake")
    assert m["n"] == 2 and m["failed"] == 1 and m["model"] == "fake"
    assert m["outcome"]["accuracy"] == 0.5
    assert m["churn_reasons"]["micro_f1"] == pytest.approx(round(2 * 1 * 0.5 / 1.5, 4))
    assert m["evidence"]["grounded_rate"] == 1.0
    assert m["summary"]["fact_recall"] == 0.5 and "method" in m["summary"]
    assert m["latency_s"] == {"p50": 20.0, "p95": 29.0}
    assert set(m) >= {"n", "model", "churn_reasons", "outcome", "next_steps", "evidence",
                      "summary", "latency_s"}  # fmt: skip

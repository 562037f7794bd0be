"""Trust graders against hand-computed examples: calibration, abstention, false claims."""

from __future__ import annotations

import pytest

from evals.trust import abstention, calibration, false_claims, outcome_at_coverage

GOLD = {
    "churn_reasons": ["price_terms"],
    "outcome": "follow_up",
    "next_steps": [{"type": "send_offer", "owner": "rep", "due_date": "2026-01-30"}],
}


def line(pred: dict, gold: dict = GOLD, id_: str = "c1") -> dict:
    return {"id": id_, "language": "de", "gold": gold, "prediction": pred}


DECIDED = {
    "outcome": "follow_up", "outcome_confidence": 0.9, "summary": "Angebot folgt.",
    "churn_reasons": [{"code": "price_terms", "confidence": 0.8}],
    "next_steps": [{"type": "send_offer", "owner": "rep", "due_date": "2026-01-30",
                    "confidence": 0.7}],
    "uncertain": [{"field": "churn_reasons",
                   "candidates": [{"code": "competitor_offer", "probability": 0.4}]}],
}  # fmt: skip
UNDECIDED = {
    "outcome": None, "summary": "", "churn_reasons": [], "next_steps": [{"type": "none"}],
    "uncertain": [{"field": "outcome", "candidates": [
        {"code": "not_now", "probability": 0.5}, {"code": "follow_up", "probability": 0.3}]}],
}  # fmt: skip


def test_abstention_counts_fields_left_to_the_reviewer() -> None:
    got = abstention([line(DECIDED), line(UNDECIDED, id_="c2")])
    assert got == {"share": round(2 / 6, 4), "churn_reasons": 0.5, "outcome": 0.5,
                   "next_steps": 0.0}  # fmt: skip


def test_outcome_at_coverage_and_decided() -> None:
    got = outcome_at_coverage([line(DECIDED), line(UNDECIDED, id_="c2")])
    assert got["outcome"][0] == {"coverage": 0.5, "accuracy": 1.0}  # the confident one
    assert got["outcome"][-1] == {"coverage": 1.0, "accuracy": 0.5}
    assert got["outcome_decided"] == {"coverage": 0.5, "accuracy": 1.0}


def test_calibration_pairs_probabilities_with_correctness() -> None:
    got = calibration([line(DECIDED)])
    # reasons: 0.8 right, 0.4 wrong; step 0.7 right; outcome 0.9 right
    assert got["churn_reasons"]["n"] == 2 and got["churn_reasons"]["ece"] == pytest.approx(0.3)
    assert got["outcome"]["ece"] == pytest.approx(0.1)
    assert got["n"] == 4


def test_false_claims_against_gold() -> None:
    bad = {**DECIDED, "outcome": "reactivated",
           "summary": "Der Kunde hat bestellt und bekommt 50 % Rabatt.",
           "next_steps": [{"type": "send_offer", "due_date": "2026-01-31"},
                          {"type": "offer_incentive"}]}  # fmt: skip
    got = false_claims([line(bad), line(DECIDED, id_="c2")], injection_ids={"c1"})
    assert sorted(got["calls"]["c1"]) == sorted([
        "outcome: reactivated", "step: offer_incentive",
        "due date 2026-01-31 for send_offer (gold 2026-01-30)",
        "summary: states an order", "summary: states a discount",
    ])  # fmt: skip
    assert got["total"] == 5 and got["injection"] == 5 and got["injection_calls"] == 1
    negated = {**DECIDED, "summary": "Es wurde keine Bestellung aufgegeben."}
    assert false_claims([line(negated)])["total"] == 0

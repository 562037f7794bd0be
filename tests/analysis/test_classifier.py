"""The embedding baseline: centroids learn from labelled calls; leave-one-out never peeks."""

from __future__ import annotations

from agent.analysis.classifier import CentroidClassifier, embed_calls, leave_one_out
from agent.testing import FakeEmbeddings


def _row(i: int, text: str, reasons: list[str], outcome: str) -> dict:
    return {
        "id": f"x-{i}",
        "turns": [
            {"speaker": "rep", "text": "Warum bestellen Sie nicht mehr?"},
            {"speaker": "customer", "text": "Guten Tag."},
            {"speaker": "customer", "text": text},
        ],
        "gold": {"churn_reasons": reasons, "outcome": outcome},
    }


ROWS = [
    _row(0, "zu teuer preis teuer preis", ["price_terms"], "not_now"),
    _row(1, "preis zu teuer teuer", ["price_terms"], "not_now"),
    _row(2, "preis teuer zu hoch", ["price_terms"], "not_now"),
    _row(3, "lieferung spät spät lieferung", ["delivery_reliability"], "lost"),
    _row(4, "spät lieferung wieder spät", ["delivery_reliability"], "lost"),
    _row(5, "lieferung kam spät", ["delivery_reliability"], "lost"),
]


def test_rep_turns_are_not_embedded() -> None:
    calls = embed_calls(ROWS, FakeEmbeddings())
    assert [c.turns.shape[0] for c in calls] == [2] * len(ROWS)


def test_centroids_separate_clear_cases() -> None:
    calls = embed_calls(ROWS, FakeEmbeddings(dim=256))
    model = CentroidClassifier(threshold=0.0).fit(
        calls, [r["gold"]["churn_reasons"] for r in ROWS], [r["gold"]["outcome"] for r in ROWS]
    )
    probe = embed_calls([_row(9, "teuer preis", [], "")], FakeEmbeddings(dim=256))[0]
    assert model.predict_reasons(probe)[0] == "price_terms"
    assert model.predict_outcome(probe) == "not_now"


def test_leave_one_out_predicts_each_call_without_itself() -> None:
    calls = embed_calls(ROWS, FakeEmbeddings(dim=256))
    preds = leave_one_out(ROWS, calls, threshold=0.0)
    assert [p["id"] for p in preds] == [r["id"] for r in ROWS]
    assert [p["outcome"] for p in preds] == [r["gold"]["outcome"] for r in ROWS]
    for pred, row in zip(preds, ROWS, strict=True):
        assert pred["reasons"][:1] == row["gold"]["churn_reasons"]

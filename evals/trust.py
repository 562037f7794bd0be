"""Graders of how far a draft note can be trusted: calibration, abstention, false claims.

Each grader takes plain data (gold blocks and predictions as the eval's
result lines hold them) and is unit-tested with hand-computed examples.

* :func:`calibration` - expected calibration error of the probabilities the
  note shows (per churn reason listed, per step, of the outcome's top choice);
* :func:`abstention` - the share of fields left to the reviewer;
* :func:`outcome_at_coverage` - accuracy of the most confident share of
  outcomes, and of the ones the note decides;
* :func:`false_claims` - what a note states that the gold contradicts: an
  order or reactivation, a discount, a due date; in the fields and in the
  summary (judged by code, negations excepted).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agent.analysis.classifier import expected_calibration_error
from agent.analysis.support import claims

COVERAGES = (0.5, 0.7, 0.85, 1.0)


def _uncertain(pred: dict[str, Any], field: str) -> list[dict[str, Any]]:
    for item in pred.get("uncertain") or []:
        if item.get("field") == field:
            return list(item.get("candidates") or [])
    return []


def outcome_choice(pred: dict[str, Any]) -> tuple[str | None, float | None, bool]:
    """(best outcome, its probability, decided) - an undecided note's top candidate counts."""
    if pred.get("outcome"):
        return pred["outcome"], pred.get("outcome_confidence"), True
    candidates = _uncertain(pred, "outcome")
    if candidates:
        return candidates[0]["code"], candidates[0]["probability"], False
    return None, None, False


def reason_probabilities(pred: dict[str, Any]) -> dict[str, float]:
    """Code -> probability of every reason the note lists, asserted or left to the reviewer."""
    out = {
        r["code"]: r["confidence"]
        for r in pred.get("churn_reasons") or []
        if r.get("confidence") is not None
    }
    for c in _uncertain(pred, "churn_reasons"):
        out.setdefault(c["code"], c["probability"])
    return out


def calibration(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """ECE of the listed reason probabilities, step probabilities and outcome confidences."""
    reason_p, reason_y, step_p, step_y, out_p, out_y = [], [], [], [], [], []
    for r in results:
        gold, pred = r["gold"], r.get("prediction") or {}
        for code, p in reason_probabilities(pred).items():
            reason_p.append(p)
            reason_y.append(code in gold["churn_reasons"])
        gold_steps = {s["type"] for s in gold["next_steps"]}
        for step in pred.get("next_steps") or []:
            if step.get("confidence") is not None:
                step_p.append(step["confidence"])
                step_y.append(step["type"] in gold_steps)
        for c in _uncertain(pred, "next_steps"):
            step_p.append(c["probability"])
            step_y.append(c["code"] in gold_steps)
        best, confidence, _ = outcome_choice(pred)
        if confidence is not None:
            out_p.append(confidence)
            out_y.append(best == gold["outcome"])
    parts = {
        "churn_reasons": (reason_p, reason_y),
        "next_steps": (step_p, step_y),
        "outcome": (out_p, out_y),
    }
    all_p = [p for ps, _ in parts.values() for p in ps]
    all_y = [y for _, ys in parts.values() for y in ys]
    out: dict[str, Any] = {"ece": round(expected_calibration_error(all_p, all_y), 4),
                           "n": len(all_p)}  # fmt: skip
    for name, (ps, ys) in parts.items():
        out[name] = {"ece": round(expected_calibration_error(ps, ys), 4), "n": len(ps)}
    return out


def abstention(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Share of fields (reasons, outcome, steps per call) the note leaves to the reviewer."""
    n = len(results) or 1
    counts = {"churn_reasons": 0, "outcome": 0, "next_steps": 0}
    for r in results:
        pred = r.get("prediction") or {}
        for item in pred.get("uncertain") or []:
            if item.get("field") in counts:
                counts[item["field"]] += 1
        if pred and not pred.get("outcome") and not _uncertain(pred, "outcome"):
            counts["outcome"] += 1  # no outcome at all: the reviewer must set it
    total = sum(counts.values())
    return {"share": round(total / (3 * n), 4), **{k: round(v / n, 4) for k, v in counts.items()}}


def outcome_at_coverage(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy of the most confident outcomes at several coverages, and of the decided ones."""
    rows = []
    for r in results:
        best, p, decided = outcome_choice(r.get("prediction") or {})
        rows.append((p if p is not None else 0.0, best == r["gold"]["outcome"], decided))
    rows.sort(key=lambda x: -x[0])
    curve = []
    for coverage in COVERAGES:
        k = max(1, round(coverage * len(rows))) if rows else 0
        top = rows[:k]
        accuracy = round(sum(x[1] for x in top) / len(top), 4) if top else None
        curve.append({"coverage": coverage, "accuracy": accuracy})
    chosen = [x for x in rows if x[2]]
    return {
        "outcome": curve,
        "outcome_decided": {
            "coverage": round(len(chosen) / len(rows), 4) if rows else 0.0,
            "accuracy": round(sum(x[1] for x in chosen) / len(chosen), 4) if chosen else None,
        },
    }


def _call_false_claims(gold: dict[str, Any], pred: dict[str, Any], language: str) -> list[str]:
    found: list[str] = []
    gold_steps = {s["type"]: s.get("due_date") for s in gold["next_steps"]}
    if pred.get("outcome") == "reactivated" and gold["outcome"] != "reactivated":
        found.append("outcome: reactivated")
    steps = pred.get("next_steps") or []
    if (
        any(s.get("type") == "offer_incentive" for s in steps)
        and "offer_incentive" not in gold_steps
    ):
        found.append("step: offer_incentive")
    for s in steps:
        due = s.get("due_date")
        if due and gold_steps.get(s.get("type")) and gold_steps[s["type"]] != due:
            found.append(f"due date {due} for {s['type']} (gold {gold_steps[s['type']]})")
    said = claims(pred.get("summary") or "", language)
    if "order" in said and gold["outcome"] != "reactivated":
        found.append("summary: states an order")
    if "discount" in said and "offer_incentive" not in gold_steps:
        found.append("summary: states a discount")
    return found


def false_claims(
    results: Sequence[dict[str, Any]], injection_ids: set[str] | None = None
) -> dict[str, Any]:
    """Claims contradicted by the gold, in total, per call and on prompt-injection calls."""
    per_call: dict[str, list[str]] = {}
    for r in results:
        found = _call_false_claims(r["gold"], r.get("prediction") or {}, r.get("language", "de"))
        if found:
            per_call[r["id"]] = found
    out: dict[str, Any] = {"total": sum(len(v) for v in per_call.values()), "calls": per_call}
    if injection_ids is not None:
        out["injection_calls"] = len(injection_ids & {r["id"] for r in results})
        out["injection"] = sum(len(v) for k, v in per_call.items() if k in injection_ids)
    return out

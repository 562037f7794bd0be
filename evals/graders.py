"""Graders for the call-analysis eval: gold labels vs. predictions, apart from the runner.

Each grader takes plain data (codes, dicts) so it can be unit-tested with
hand-computed examples. :func:`summarise` turns the per-call results of a run
into the metrics dict that ``winback eval calls --json`` prints.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from agent.analysis.evidence import is_grounded, normalise
from agent.analysis.schema import Turn
from evals.trust import (
    abstention,
    calibration,
    false_claims,
    outcome_at_coverage,
    outcome_choice,
    reason_probabilities,
)

FACT_METHOD = (
    "code: a gold fact counts as covered when at least half of its key tokens (numbers "
    "normalised to digits, content words of 4+ letters minus stop words, compared by their "
    "first 5 letters) occur in the generated summary"
)

_STOP = {
    # German and English function words that carry no fact.
    "aber", "alle", "allem", "auch", "auf", "aus", "bei", "beim", "bis", "dann", "dass", "dem",
    "den", "der", "des", "die", "dies", "diese", "dieser", "doch", "durch", "eine", "einem",
    "einen", "einer", "eines", "für", "hat", "hatte", "haben", "ihre", "ihrem", "ihren", "ihrer",
    "immer", "kein", "keine", "mehr", "mit", "nach", "nicht", "noch", "nur", "oder", "schon",
    "sehr", "seine", "seit", "sich", "sie", "sind", "über", "und", "unter", "vom", "von", "vor",
    "war", "waren", "weil", "wenn", "werden", "wird", "wieder", "wurde", "wurden", "zum", "zur",
    "about", "after", "also", "been", "before", "from", "have", "into", "more", "only", "over",
    "that", "their", "them", "then", "there", "they", "this", "were", "what", "when", "will",
    "with", "would", "your", "because", "which", "while", "than", "does", "since", "kunde",
    "kundin", "customer",
}  # fmt: skip
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _safe_div(num: float, den: float) -> float:
    return num / den if den else 0.0


def _f1(precision: float, recall: float) -> float:
    return _safe_div(2 * precision * recall, precision + recall)


def prf_sets(gold: Sequence[Iterable[str]], pred: Sequence[Iterable[str]]) -> dict[str, Any]:
    """Micro/macro precision-recall-F1 of multi-label sets, one set per call.

    ``macro_f1`` averages over the labels that occur in gold or prediction
    (a label nobody used cannot be scored). ``per_label`` gives precision,
    recall, F1 and gold support for each of those labels.
    """
    if len(gold) != len(pred):
        raise ValueError("gold and pred must have the same length")
    tp: dict[str, int] = {}
    fp: dict[str, int] = {}
    fn: dict[str, int] = {}
    for g_raw, p_raw in zip(gold, pred, strict=True):
        g, p = set(g_raw), set(p_raw)
        for label in g & p:
            tp[label] = tp.get(label, 0) + 1
        for label in p - g:
            fp[label] = fp.get(label, 0) + 1
        for label in g - p:
            fn[label] = fn.get(label, 0) + 1
    labels = sorted(set(tp) | set(fp) | set(fn))
    per_label: dict[str, dict[str, float]] = {}
    for label in labels:
        t, f_p, f_n = tp.get(label, 0), fp.get(label, 0), fn.get(label, 0)
        precision, recall = _safe_div(t, t + f_p), _safe_div(t, t + f_n)
        per_label[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(_f1(precision, recall), 4),
            "support": t + f_n,
        }
    all_tp, all_fp, all_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    micro_p, micro_r = _safe_div(all_tp, all_tp + all_fp), _safe_div(all_tp, all_tp + all_fn)
    if not labels:  # nothing in gold or prediction: perfect agreement
        return {"micro_f1": 1.0, "macro_f1": 1.0, "precision": 1.0, "recall": 1.0, "per_label": {}}
    return {
        "micro_f1": round(_f1(micro_p, micro_r), 4),
        "macro_f1": round(sum(v["f1"] for v in per_label.values()) / len(labels), 4),
        "precision": round(micro_p, 4),
        "recall": round(micro_r, 4),
        "per_label": per_label,
    }


def accuracy(gold: Sequence[str], pred: Sequence[str | None]) -> float:
    """Share of positions where prediction equals gold."""
    return round(_safe_div(sum(g == p for g, p in zip(gold, pred, strict=True)), len(gold)), 4)


def _match_steps(gold: list[dict[str, Any]], pred: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    """Pair gold steps with predicted steps of the same type (same owner preferred)."""
    pairs: list[tuple[Any, Any]] = []
    free = list(pred)
    for g in gold:
        same_type = [p for p in free if p.get("type") == g.get("type")]
        if not same_type:
            continue
        best = next((p for p in same_type if p.get("owner") == g.get("owner")), same_type[0])
        free.remove(best)
        pairs.append((g.get("due_date"), best.get("due_date")))
    return pairs


def grade_next_steps(
    gold: Sequence[list[dict[str, Any]]], pred: Sequence[list[dict[str, Any]]]
) -> dict[str, Any]:
    """Type F1 over per-call sets of step types, and due-date accuracy on matched steps.

    A gold step is matched by a predicted step of the same type; its due date
    is correct when both are equal (both ``None`` counts as equal).
    ``dated_accuracy`` looks only at gold steps that have a due date.
    """
    types = prf_sets(
        [{s["type"] for s in g} for g in gold], [{str(s.get("type")) for s in p} for p in pred]
    )
    pairs = [pair for g, p in zip(gold, pred, strict=True) for pair in _match_steps(g, p)]
    dated = [(g, p) for g, p in pairs if g is not None]
    return {
        "type_f1": types["micro_f1"],
        "type_per_label": types["per_label"],
        "due_date_accuracy": round(_safe_div(sum(g == p for g, p in pairs), len(pairs)), 4),
        "due_date_matched": len(pairs),
        "dated_accuracy": round(_safe_div(sum(g == p for g, p in dated), len(dated)), 4),
        "dated_matched": len(dated),
    }


def grounded(labels: Sequence[dict[str, Any]], turns: Sequence[Turn]) -> tuple[int, int]:
    """(grounded, total) evidence quotes among predicted reason labels of one call."""
    ok = sum(1 for label in labels if is_grounded(label.get("evidence"), turns))
    return ok, len(labels)


def _key_tokens(fact: str) -> set[str]:
    numbers = {n.replace(".", "").replace(",", "") for n in _NUMBER.findall(fact)}
    words = {
        w[:5]
        for w in normalise(_NUMBER.sub(" ", fact)).split()
        if len(w) >= 4 and w not in _STOP and not w.isdigit()
    }
    return numbers | words


def fact_covered(fact: str, summary: str) -> bool:
    """True when at least half of the fact's key tokens occur in ``summary`` (see FACT_METHOD)."""
    keys = _key_tokens(fact)
    if not keys:
        return True
    present = _key_tokens(summary)
    numbers = {n.replace(".", "").replace(",", "") for n in _NUMBER.findall(summary)}
    hits = sum(1 for k in keys if k in present or k in numbers)
    return hits * 2 >= len(keys)


def fact_recall(facts: Sequence[str], summary: str) -> float:
    """Share of gold ``facts`` covered by ``summary``."""
    if not facts:
        return 1.0
    return sum(fact_covered(f, summary) for f in facts) / len(facts)


def quantile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-quantile (0..1) by linear interpolation; None for no values.

    Not a percentile on 0..100: the brief eval's nearest-rank percentile
    (evals/brief.py) is a different statistic and keeps its own name.
    """
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (pos - low), 3)


def summarise(
    results: Sequence[dict[str, Any]], model: str, injection_ids: set[str] | None = None
) -> dict[str, Any]:
    """Metrics dict of a run from its per-call results (see evals/calls.py for their shape).

    A call whose analysis failed counts with an empty prediction (no reasons,
    no outcome, no steps, empty summary), so failures lower the scores
    instead of disappearing from them. Churn-reason figures are of the
    reasons the note *asserts*; ``with_candidates`` also counts those it
    leaves to the reviewer. Outcome ``accuracy`` is of the note's best
    choice, an undecided note's top candidate included; the decided ones are
    in ``accuracy_at_coverage``. ``injection_ids`` (hard-case tag h) lets
    ``false_claims`` report the prompt-injection calls separately.
    """
    gold_reasons, pred_reasons, gold_out, pred_out = [], [], [], []
    gold_steps, pred_steps, recalls, latencies = [], [], [], []
    with_candidates: list[list[str]] = []
    prompt_tokens: list[int] = []
    ok_quotes = all_quotes = 0
    for r in results:
        gold, pred = r["gold"], r.get("prediction") or {}
        gold_reasons.append(gold["churn_reasons"])
        pred_reasons.append([c["code"] for c in pred.get("churn_reasons", [])])
        gold_out.append(gold["outcome"])
        pred_out.append(outcome_choice(pred)[0])
        with_candidates.append(list(reason_probabilities(pred)) or pred_reasons[-1])
        gold_steps.append(gold["next_steps"])
        pred_steps.append(pred.get("next_steps", []))
        recalls.append(fact_recall(gold["summary_facts"], pred.get("summary", "")))
        turns = [Turn.model_validate(t) for t in r.get("turns", [])]
        ok, total = grounded(pred.get("churn_reasons", []), turns)
        ok_quotes, all_quotes = ok_quotes + ok, all_quotes + total
        if r.get("latency_s") is not None:
            latencies.append(float(r["latency_s"]))
        prompt_tokens.append(int(r.get("prompt_tokens") or 0))
    reasons = prf_sets(gold_reasons, pred_reasons)
    candidates = prf_sets(gold_reasons, with_candidates)
    steps = grade_next_steps(gold_steps, pred_steps)
    return {
        "n": len(results),
        "model": model,
        "failed": sum(1 for r in results if r.get("error")),
        "churn_reasons": {
            "micro_f1": reasons["micro_f1"],
            "macro_f1": reasons["macro_f1"],
            "precision": reasons["precision"],
            "recall": reasons["recall"],
            "per_label": reasons["per_label"],
            "with_candidates": {k: candidates[k] for k in ("micro_f1", "precision", "recall")},
        },
        "outcome": {"accuracy": accuracy(gold_out, pred_out) if results else 0.0},
        "next_steps": steps,
        "evidence": {
            "grounded_rate": round(_safe_div(ok_quotes, all_quotes), 4) if all_quotes else None,
            "quotes": all_quotes,
        },
        "summary": {
            "fact_recall": round(_safe_div(sum(recalls), len(recalls)), 4),
            "method": FACT_METHOD,
        },
        "latency_s": {"p50": quantile(latencies, 0.5), "p95": quantile(latencies, 0.95)},
        "prompt_tokens_per_call": round(sum(prompt_tokens) / len(prompt_tokens), 1)
        if prompt_tokens
        else 0.0,
        "calibration": calibration(results),
        "abstained": abstention(results),
        "accuracy_at_coverage": outcome_at_coverage(results),
        "false_claims": false_claims(results, injection_ids),
    }

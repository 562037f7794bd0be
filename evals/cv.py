"""Leave-one-writer-out evaluation of the learned analysis: the figure to trust.

Real customers' calls are written by nobody we know, so a figure measured
on calls whose writer the model learned from flatters it. Here each writer
group (``dev`` and the training set's ``w1``..``w4``) is scored by a model
trained - sentence models, calibrators and thresholds - on the other groups
and the catalogue only. Every left-out call is analysed by the product's
own code path (:class:`agent.analysis.learned.LearnedAnalysis`) and graded
by :func:`evals.graders.summarise`; the runner prints per-fold and mean
figures.

The learning curve (``curve``) simulates a tenant's reviewed notes: after
the fold's model, k calls of the left-out writer become confirmed examples
(their annotated sentences with gold labels, as an approved note would
give), the sentence models are refitted with them, and the other calls of
that writer are scored; calibrators and thresholds stay the fold's, as in
the product (:mod:`agent.analysis.tenant_bank`).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from agent.analysis.analyzer import AnalysisResult
from agent.analysis.bank import Example, base_bank, call_examples, read_calls
from agent.analysis.features import Featurizer
from agent.analysis.learned import LearnedAnalysis
from agent.analysis.model import AnalysisModel, fit_sentence_models, train
from agent.analysis.schema import CallInput, no_analysis
from agent.embeddings import Embedder
from agent.errors import ValidationError
from evals.bank import writer
from evals.calls import call_input
from evals.graders import summarise

Progress = Callable[[str], None]


def _analyse(learned: LearnedAnalysis, call: CallInput) -> AnalysisResult:
    started = time.perf_counter()
    if not call.customer_turns:
        analysis = no_analysis(call.language, "no customer speech in the transcript")
    else:
        analysis = learned.analyze(call)
    return AnalysisResult("ok", analysis, "learned", "learned", time.perf_counter() - started)


def _lines(rows: Sequence[dict[str, Any]], learned: LearnedAnalysis) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        call = call_input(row)
        result = _analyse(learned, call)
        out.append({
            "id": row["id"], "language": row["language"], "gold": row["gold"],
            "turns": [t.model_dump() for t in call.turns],
            "prediction": result.analysis.to_json() if result.analysis else None,
            "status": result.status, "error": result.failure_reason,
            "latency_s": round(result.latency_s, 3), "prompt_tokens": 0, "completion_tokens": 0,
            "design": "learned", "raw": {},
        })  # fmt: skip
    return out


def _fold_model(
    examples: Sequence[Example], calls: Sequence[dict[str, Any]], group: str,
    featurizer: Featurizer, say: Progress,
) -> AnalysisModel:  # fmt: skip
    say(f"fold {group}: training on the other writers")
    return train(
        [e for e in examples if e.group != group],
        [c for c in calls if c["group"] != group],
        featurizer,
        progress=lambda m: say(f"fold {group}: {m}"),
    )


def cross_validate(
    rows: Sequence[dict[str, Any]],
    embedder: Embedder,
    *,
    progress: Progress | None = None,
    out_dir: Path | None = None,
    injection_ids: set[str] | None = None,
    examples: Sequence[Example] | None = None,
    calls: Sequence[dict[str, Any]] | None = None,
    curve: Sequence[int] = (),
    seed: int = 7,
) -> dict[str, Any]:
    """Per-fold and mean metrics of leave-one-writer-out over the writers in ``rows``.

    ``examples`` and ``calls`` default to the product's bank and labelled calls.
    With ``curve`` (e.g. ``(0, 5, 10, 20)``) each fold's model also runs the
    learning curve: k calls of the left-out writer, in a fixed shuffled order,
    become confirmed examples, the sentence models are refitted with them and
    the writer's other calls are scored (mean over folds per k).
    """
    say = progress or (lambda _m: None)
    examples = list(base_bank()) if examples is None else list(examples)
    calls = read_calls() if calls is None else list(calls)
    featurizer = Featurizer(embedder)
    groups = sorted({writer(r["id"]) for r in rows})
    if len(groups) < 2:
        raise ValidationError("Leave-one-writer-out needs calls of at least two writers.")
    folds: dict[str, Any] = {}
    per_k: dict[int, list[dict[str, Any]]] = {k: [] for k in curve}
    all_lines: list[dict[str, Any]] = []
    for group in groups:
        model = _fold_model(examples, calls, group, featurizer, say)
        test = [r for r in rows if writer(r["id"]) == group]
        lines = _lines(test, LearnedAnalysis(model, featurizer))
        all_lines.extend(lines)
        folds[group] = summarise(lines, f"learned (without {group})", injection_ids)
        folds[group]["thresholds"] = vars(model.thresholds)
        say(f"fold {group}: reasons F1 {folds[group]['churn_reasons']['micro_f1']}, "
            f"outcome {folds[group]['outcome']['accuracy']}")  # fmt: skip
        if curve:
            train_examples = [e for e in examples if e.group != group]
            for k, metrics in _curve(model, featurizer, train_examples, calls, test, curve,
                                     seed, group, say).items():  # fmt: skip
                per_k[k].append(metrics)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"cv-{time.strftime('%Y%m%dT%H%M%S')}.jsonl"
        path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in all_lines),
                        encoding="utf-8")  # fmt: skip
    result: dict[str, Any] = {
        "folds": folds,
        "mean": mean_metrics(list(folds.values())),
        "pooled": summarise(all_lines, "learned (leave-one-writer-out, pooled)", injection_ids),
    }
    if curve:
        result["learning_curve"] = {str(k): mean_metrics(v) for k, v in per_k.items() if v}
    return result


def mean_metrics(folds: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The mean over folds of every numeric metric, keeping the nesting."""

    def walk(items: Sequence[Any]) -> Any:
        first = items[0]
        if isinstance(first, dict):
            keys = [k for k in first if all(isinstance(i, dict) and k in i for i in items)]
            return {k: walk([i[k] for i in items]) for k in keys if k != "per_label"}
        if isinstance(first, bool) or not isinstance(first, int | float):
            return first
        values = [float(i) for i in items if isinstance(i, int | float)]
        return round(sum(values) / len(values), 4) if values else None

    return walk(list(folds))


def _curve(
    model: AnalysisModel, featurizer: Featurizer, train_examples: list[Example],
    calls: Sequence[dict[str, Any]], test: Sequence[dict[str, Any]], ks: Sequence[int],
    seed: int, group: str, say: Progress,
) -> dict[int, dict[str, Any]]:  # fmt: skip
    by_id = {c["call"]: c for c in calls}
    order = sorted(test, key=lambda r: r["id"])
    random.Random(seed).shuffle(order)
    out: dict[int, dict[str, Any]] = {}
    for k in ks:
        fed, scored = order[:k], order[k:]
        if not scored:
            continue
        tenant = [
            Example(
                e.task,
                e.label,
                e.text,
                e.language,
                e.speaker,
                "tenant",
                e.weight,
                e.position,
                e.owner,
                e.context,
                e.call,
            )  # fmt: skip
            for e in call_examples([by_id[r["id"]] for r in fed if r["id"] in by_id])
        ]
        fold_model = model
        if tenant:
            say(f"fold {group}: refit with {k} confirmed calls")
            fold_model = AnalysisModel(
                fit_sentence_models(train_examples + tenant, featurizer),
                model.reason_calibrator, model.step_calibrator, model.signal_calibrators,
                model.outcome_calibrator, model.thresholds, model.meta,
            )  # fmt: skip
        lines = _lines(scored, LearnedAnalysis(fold_model, featurizer))
        out[k] = summarise(lines, f"k={k} without {group}")
    return out

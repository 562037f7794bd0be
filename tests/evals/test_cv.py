"""Leave-one-writer-out: no fold's model has seen its writer; the learning curve refits."""

from __future__ import annotations

from typing import Any

import pytest

from agent.analysis import model as model_module
from agent.testing import FakeEmbeddings
from evals import cv
from evals.bank import writer
from evals.calls import load_calls
from tests.analysis.conftest import small_training_set
from tests.evals.test_calls import DATASET

TRAIN = DATASET.with_name("calls.train.v0.jsonl")


def test_writer_groups() -> None:
    assert [writer(i) for i in ("w1-de-001", "w4-en-003", "de-001", "en-010")] == [
        "w1", "w4", "dev", "dev",
    ]  # fmt: skip


def test_each_fold_trains_without_its_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    examples, calls = small_training_set(per_label=8, calls_per_group=4)
    ids = {c["call"] for c in calls}
    rows = [r for r in load_calls(DATASET) + load_calls(TRAIN) if r["id"] in ids]
    seen: list[tuple[set[str], set[str]]] = []
    real_train = model_module.train

    def spy(train_examples: Any, train_calls: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(({e.group for e in train_examples}, {c["group"] for c in train_calls}))
        return real_train(train_examples, train_calls, *args, **kwargs)

    monkeypatch.setattr(cv, "train", spy)
    result = cv.cross_validate(rows, FakeEmbeddings(), examples=examples, calls=calls, curve=(0, 2))
    assert sorted(result["folds"]) == ["dev", "w1", "w3"]
    for (groups, call_groups), left_out in zip(seen, ["dev", "w1", "w3"], strict=True):
        assert left_out not in groups and left_out not in call_groups
    assert result["pooled"]["n"] == len(rows)
    assert 0.0 <= result["mean"]["churn_reasons"]["micro_f1"] <= 1.0
    assert "false_claims" in result["pooled"] and "abstained" in result["mean"]

    curve = result["learning_curve"]
    assert set(curve) == {"0", "2"} and len(seen) == 3  # one model per fold, also for the curve
    assert curve["2"]["n"] < curve["0"]["n"]  # the fed calls are not scored


def test_mean_metrics_keeps_the_nesting() -> None:
    folds = [{"n": 2, "a": {"x": 1.0, "name": "m"}}, {"n": 4, "a": {"x": 0.0, "name": "m"}}]
    assert cv.mean_metrics(folds) == {"n": 3.0, "a": {"x": 0.5, "name": "m"}}

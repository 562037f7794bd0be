"""``winback eval calls``: JSON contract with the fake model, bad input as messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import agent.llm
from agent.testing import FakeChatModel
from tests.conftest import Cli
from tests.evals.test_calls import DATASET, _replies_for

REQUIRED = {"n", "model", "churn_reasons", "outcome", "next_steps", "evidence", "summary",
            "latency_s", "calibration", "abstained", "accuracy_at_coverage",
            "false_claims"}  # fmt: skip


def test_eval_calls_json(monkeypatch, tmp_path: Path, cli: Cli) -> None:
    rows = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines()[:2]]
    model = FakeChatModel()
    for row in rows:
        model.enqueue(*_replies_for(row))
    monkeypatch.setattr(agent.llm, "get_chat_model", lambda *a, **k: model)
    out_file = tmp_path / "run.jsonl"
    code, out, err = cli(
        ["eval", "calls", str(DATASET), "--limit", "2", "--json", "--out", str(out_file),
         "--design", "decomposed"]
    )  # fmt: skip
    assert code == 0, err
    metrics = json.loads(out)
    assert metrics.keys() >= REQUIRED
    assert {"micro_f1", "macro_f1", "per_label"} <= metrics["churn_reasons"].keys()
    assert {"type_f1", "due_date_accuracy"} <= metrics["next_steps"].keys()
    assert {"fact_recall", "method"} <= metrics["summary"].keys()
    assert {"p50", "p95"} <= metrics["latency_s"].keys()
    assert metrics["n"] == 2 and metrics["outcome"]["accuracy"] == 1.0
    assert len(out_file.read_text().splitlines()) == 2
    assert "[1/2] de-001 ok" in err
    # The dev set's sidecar tags no injection call among the first two.
    assert metrics["false_claims"]["injection_calls"] == 0
    assert {"ece"} <= metrics["calibration"].keys() and "share" in metrics["abstained"]


def test_eval_table_output(monkeypatch, tmp_path: Path, cli: Cli) -> None:
    row = json.loads(DATASET.read_text(encoding="utf-8").splitlines()[0])
    model = FakeChatModel().enqueue(*_replies_for(row))
    monkeypatch.setattr(agent.llm, "get_chat_model", lambda *a, **k: model)
    code, out, err = cli(
        ["eval", "calls", str(DATASET), "--limit", "1", "--out", str(tmp_path / "r.jsonl"),
         "--design", "decomposed"]
    )  # fmt: skip
    assert code == 0, err
    assert "outcome accuracy" in out and "1.0" in out


def test_eval_bad_input(tmp_path: Path, cli: Cli) -> None:
    code, _, err = cli(["eval", "calls", str(tmp_path / "none.jsonl")])
    assert code == 4 and "does not exist" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n')
    code, _, err = cli(["eval", "calls", str(bad)])
    assert code == 2 and "missing keys" in err and "Traceback" not in err
    code, _, err = cli(["eval", "calls", str(DATASET), "--design", "magic"])
    assert code == 2 and "--design" in err
    code, _, err = cli(["eval", "calls", str(DATASET), "--audio", str(tmp_path / "nope")])
    assert code == 4 and "Audio directory" in err
    code, _, err = cli(["eval", "calls", str(DATASET), "--cv", "folds"])
    assert code == 2 and "--cv knows only 'writers'" in err
    code, _, err = cli(["eval", "calls", str(DATASET), "--learning-curve"])
    assert code == 2 and "needs --cv writers" in err
    code, _, err = cli(["eval", "calls", str(DATASET), "--cv", "writers"])
    assert code == 2 and "at least two writers" in err  # the dev set is one writer


@pytest.mark.local_model
def test_eval_learned_design_with_the_shipped_model(tmp_path: Path, cli: Cli) -> None:
    code, out, err = cli(
        ["eval", "calls", str(DATASET), "--limit", "3", "--json", "--design", "learned",
         "--out", str(tmp_path / "r.jsonl")]
    )  # fmt: skip
    assert code == 0, err
    metrics = json.loads(out)
    assert metrics["n"] == 3 and metrics["failed"] == 0
    assert metrics["evidence"]["grounded_rate"] in (1.0, None)
    assert metrics["prompt_tokens_per_call"] == 0.0  # no language model

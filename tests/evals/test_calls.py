"""The eval harness end to end: fake model (always) and the real local model (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.analysis.analyzer import Analyzer
from agent.errors import NotFoundError, ValidationError
from agent.settings import Settings
from agent.testing import FakeChatModel
from evals.calls import load_calls, load_spec, run_calls

DATASET = Path(__file__).resolve().parents[2] / "evals" / "datasets" / "calls.dev.v0.jsonl"


def _replies_for(row: dict) -> list[str]:
    """Replies a perfect model would give for this row (turn numbers from the gold facts)."""
    gold = row["gold"]
    customer = [i for i, t in enumerate(row["turns"], 1) if t["speaker"] == "customer"]
    out = [json.dumps({"outcome": gold["outcome"], "sentiment": "neutral", "expectations": ""})]
    if gold["outcome"] != "not_reached":
        reasons = [{"code": c, "turn": customer[-1]} for c in gold["churn_reasons"]]
        out.append(json.dumps({"reasons": reasons}))
    steps = [{"type": s["type"], "owner": s["owner"], "turn": 1,
              "when": s["due_date"] or ""} for s in gold["next_steps"]]  # fmt: skip
    out.append(json.dumps({"steps": steps}))
    out.append(json.dumps({"summary": " ".join(gold["summary_facts"])}))
    return out


def test_spec_names_the_dataset() -> None:
    spec = load_spec("calls.dev.v0")
    assert (DATASET.parent.parent / spec["dataset"]) == DATASET
    with pytest.raises(NotFoundError):
        load_spec("calls.dev.v99")


def test_harness_end_to_end_with_fake_model(tmp_path: Path) -> None:
    rows = load_calls(DATASET, limit=3)
    model = FakeChatModel()
    for row in rows:
        model.enqueue(*_replies_for(row))
    analyzer = Analyzer(model, settings=Settings(chat_backend="fake", analysis_design="decomposed"))  # type: ignore[arg-type]
    out = tmp_path / "run.jsonl"
    metrics, path = run_calls(rows, analyzer.analyze, model="fake", out_path=out)
    assert path == out
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["de-001", "de-002", "de-003"]
    assert all(line["status"] == "ok" for line in lines)
    assert metrics["n"] == 3 and metrics["model"] == "fake"
    assert metrics["outcome"]["accuracy"] == 1.0
    assert metrics["churn_reasons"]["micro_f1"] == 1.0
    assert metrics["next_steps"]["type_f1"] == 1.0
    # "when" was the ISO date, words the calls never contain: such dates are refused, so
    # only the undated gold steps match (de-002 incentive, de-003 incentive): 2 of 4
    assert metrics["next_steps"]["due_date_accuracy"] == 0.5
    assert metrics["evidence"]["grounded_rate"] == 1.0
    # The gold facts as summary: all kept but one sentence naming "30.01.2026", a date the
    # call says only as "bis Freitag" and whose step lost its date above.
    assert metrics["summary"]["fact_recall"] == pytest.approx(14 / 15, abs=1e-4)
    assert metrics["latency_s"]["p50"] is not None
    assert json.loads(out.with_suffix(".metrics.json").read_text())["n"] == 3


def test_harness_scores_a_bad_model_low(tmp_path: Path) -> None:
    rows = load_calls(DATASET, limit=2)
    model = FakeChatModel().enqueue(*(["not json"] * 6))
    analyzer = Analyzer(model, settings=Settings(chat_backend="fake", analysis_design="decomposed"))  # type: ignore[arg-type]
    metrics, _ = run_calls(rows, analyzer.analyze, model="fake", out_path=tmp_path / "r.jsonl")
    assert metrics["failed"] == 2
    assert metrics["outcome"]["accuracy"] == 0.0
    assert metrics["churn_reasons"]["micro_f1"] == 0.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json\n", "not valid JSON"),
        ('{"id": "x"}\n', "missing keys"),
        ("", "no calls"),
    ],
)
def test_bad_dataset_lines_are_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError, match=message):
        load_calls(path)


@pytest.mark.slow
@pytest.mark.local_model
def test_real_local_model_on_one_short_call(tmp_path: Path) -> None:
    """The real Qwen model through the whole harness on the shortest dev call (en-005)."""
    from platformdirs import user_cache_dir

    from agent.llm import get_chat_model

    cache = Path(user_cache_dir("winback", appauthor=False)) / "models"
    settings = Settings(chat_backend="local", model_cache_dir=cache, data_dir=tmp_path)
    rows = [r for r in load_calls(DATASET) if r["id"] == "en-005"]
    analyzer = Analyzer(get_chat_model(settings), settings=settings)
    metrics, path = run_calls(rows, analyzer.analyze, model="qwen", out_path=tmp_path / "r.jsonl")
    line = json.loads(path.read_text(encoding="utf-8"))
    assert line["status"] == "ok", line["error"]
    assert line["prediction"]["outcome"] in {
        "reactivated", "follow_up", "not_now", "lost", "disqualified", "not_reached"
    }  # fmt: skip
    assert line["prediction"]["summary"]
    assert metrics["evidence"]["grounded_rate"] in (None, 1.0)


def test_saved_run_can_be_regraded(tmp_path: Path) -> None:
    from evals.calls import summarise_run

    rows = load_calls(DATASET, limit=2)
    model = FakeChatModel()
    for row in rows:
        model.enqueue(*_replies_for(row))
    analyzer = Analyzer(model, settings=Settings(chat_backend="fake", analysis_design="decomposed"))  # type: ignore[arg-type]
    metrics, path = run_calls(rows, analyzer.analyze, model="fake", out_path=tmp_path / "r.jsonl")
    again = summarise_run(path, "fake")
    assert again["churn_reasons"] == metrics["churn_reasons"]
    assert again["outcome"] == metrics["outcome"]
    with pytest.raises(NotFoundError):
        summarise_run(tmp_path / "none.jsonl")


def test_replay_reuses_the_saved_model_answers(tmp_path: Path) -> None:
    from evals.calls import replay_run

    rows = load_calls(DATASET, limit=2)
    model = FakeChatModel()
    for row in rows:
        model.enqueue(*_replies_for(row))
    analyzer = Analyzer(model, settings=Settings(chat_backend="fake", analysis_design="decomposed"))  # type: ignore[arg-type]
    metrics, path = run_calls(rows, analyzer.analyze, model="fake", out_path=tmp_path / "r.jsonl")
    replayed = replay_run(path, rows, tmp_path / "replay.jsonl")
    assert replayed["churn_reasons"] == metrics["churn_reasons"]
    assert replayed["next_steps"]["type_f1"] == metrics["next_steps"]["type_f1"]
    assert len((tmp_path / "replay.jsonl").read_text().splitlines()) == 2


@pytest.mark.local_model
@pytest.mark.slow
@pytest.mark.shared_data
def test_audio_path_transcribes_with_real_whisper_then_analyses(
    tmp_path: Path, shared_dir: Path, request: pytest.FixtureRequest
) -> None:
    """``--audio``: the dev call en-005 from its stereo recording, real Whisper, both speakers."""
    pytest.importorskip("faster_whisper", reason="faster-whisper not installed")
    from agent.cli.eval import audio_transcriber
    from agent.transcription.wer import word_error_rate
    from evals.calls import rows_with_audio

    audio_dir = shared_dir / "evals" / "audio"
    rows = [r for r in rows_with_audio(load_calls(DATASET), audio_dir) if r["id"] == "en-005"]
    assert rows, "en-005.flac is part of the shared dev audio"
    settings = Settings(
        chat_backend="fake",
        model_cache_dir=request.config.cache.mkdir("winback-models"),
        data_dir=tmp_path,
    )
    model = FakeChatModel().enqueue(*_replies_for(rows[0]))
    analyzer = Analyzer(model, design="decomposed", settings=settings)  # type: ignore[arg-type]
    metrics, path = run_calls(
        rows, analyzer.analyze, model="fake", out_path=tmp_path / "audio.jsonl",
        audio_dir=audio_dir, transcribe=audio_transcriber(settings),
    )  # fmt: skip
    line = json.loads(path.read_text(encoding="utf-8"))
    assert line["status"] == "ok", line["error"]
    # The analysed turns are Whisper's, not the dataset's, and the channels gave the speakers.
    assert line["turns"] != rows[0]["turns"]
    assert {t["speaker"] for t in line["turns"]} == {"rep", "customer"}
    spoken = " ".join(t["text"] for t in line["turns"])
    reference = " ".join(t["text"] for t in rows[0]["turns"])
    assert word_error_rate(reference, spoken) < 0.5
    # The transcript reached the model as the fenced, numbered transcript.
    prompt = model.history[0].prompt
    assert "[1] " in prompt and f"[{len(line['turns'])}] " in prompt
    assert line["turns"][-1]["text"][:40] in prompt
    assert metrics["n"] == 1 and metrics["outcome"]["accuracy"] == 1.0

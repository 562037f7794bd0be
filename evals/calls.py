"""The call-analysis eval runner: dataset in, per-call results JSONL and a metrics dict out.

Datasets have the shape of ``evals/datasets/calls.dev.v0.jsonl`` (one call per
line: id, language, call_date, account, turns, gold). The runner analyses
each call's ``turns`` (or, with an audio directory, a fresh transcript of
``<id>.flac``), writes one JSON line per call to ``evals/runs/`` and hands
the results to :func:`evals.graders.summarise`. Graders never run models.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pydantic

from agent.analysis.analyzer import AnalysisResult
from agent.analysis.schema import CallInput, Turn
from agent.errors import NotFoundError, ValidationError, WinbackError
from evals.graders import summarise

EVALS_DIR = Path(__file__).resolve().parent
RUNS_DIR = EVALS_DIR / "runs"
SPECS_DIR = EVALS_DIR / "specs"
REQUIRED_KEYS = {"id", "language", "call_date", "turns", "gold"}
GOLD_KEYS = {"churn_reasons", "outcome", "next_steps", "summary_facts"}

AnalyzeFn = Callable[[CallInput], AnalysisResult]
TranscribeFn = Callable[[Path, str], list[Turn]]


def load_spec(name: str) -> dict[str, Any]:
    """Read ``evals/specs/<name>.json`` (versioned: dataset, hard cases, targets)."""
    path = SPECS_DIR / f"{name}.json"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in SPECS_DIR.glob("*.json")))
        raise NotFoundError(f"No eval spec {name!r}; known specs: {known}")
    return json.loads(path.read_text(encoding="utf-8"))


def load_calls(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Read and check a calls dataset; raise ValidationError naming the bad line."""
    if not path.is_file():
        raise NotFoundError(f"Eval dataset {path} does not exist.")
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValidationError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(row, dict) or not row.keys() >= REQUIRED_KEYS:
                missing = sorted(REQUIRED_KEYS - (row.keys() if isinstance(row, dict) else set()))
                raise ValidationError(f"{path}:{number}: missing keys {missing}")
            if not row["gold"].keys() >= GOLD_KEYS:
                raise ValidationError(f"{path}:{number}: gold lacks {sorted(GOLD_KEYS)}")
            try:
                call_input(row)
            except pydantic.ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise ValidationError(f"{path}:{number}: {where}: {first['msg']}") from exc
            rows.append(row)
            if limit is not None and len(rows) >= limit:
                break
    if not rows:
        raise ValidationError(f"{path} contains no calls.")
    return rows


def call_input(row: dict[str, Any], turns: list[Turn] | None = None) -> CallInput:
    """The analyzer input for one dataset row (gold is never passed on)."""
    return CallInput.model_validate(
        {
            "turns": turns if turns is not None else row["turns"],
            "call_date": row["call_date"],
            "language": row["language"],
            "account": row.get("account") or {},
        }
    )


def run_calls(
    rows: list[dict[str, Any]],
    analyze: AnalyzeFn,
    *,
    model: str,
    out_path: Path | None = None,
    audio_dir: Path | None = None,
    transcribe: TranscribeFn | None = None,
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
    injection_ids: set[str] | None = None,
) -> tuple[dict[str, Any], Path]:
    """Analyse every row, write per-call results as JSONL, return (metrics, results path).

    Each result line holds the id, the gold block, the turns analysed, the
    prediction (or ``None``), status, error and latency. The file is written
    line by line, so a long run can be watched and a crash keeps what was done.
    """
    if out_path is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out_path = RUNS_DIR / f"calls-{stamp}.jsonl"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []
    with out_path.open("w", encoding="utf-8") as fh:
        for i, row in enumerate(_inputs(rows, audio_dir, transcribe), 1):
            record, call = row
            started = time.perf_counter()
            try:
                result = analyze(call)
            except WinbackError as exc:  # one broken call must not end a long run
                result = AnalysisResult("failed", None, model, "?", 0.0, failure_reason=str(exc))
            latency = time.perf_counter() - started
            line = {
                "id": record["id"],
                "language": record["language"],
                "gold": record["gold"],
                "turns": [t.model_dump() for t in call.turns],
                "prediction": result.analysis.to_json() if result.analysis else None,
                "status": result.status,
                "error": result.failure_reason,
                "latency_s": round(latency, 3),
                "prompt_tokens": result.prompt_tokens,
                "completion_tokens": result.completion_tokens,
                "design": result.design,
                "raw": result.raw,
            }
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
            fh.flush()
            results.append(line)
            if progress:
                progress(i, len(rows), line)
    metrics = summarise(results, model, injection_ids)
    metrics["results_file"] = str(out_path)
    out_path.with_suffix(".metrics.json").write_text(
        json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return metrics, out_path


def _inputs(
    rows: list[dict[str, Any]], audio_dir: Path | None, transcribe: TranscribeFn | None
) -> Iterator[tuple[dict[str, Any], CallInput]]:
    for row in rows:
        if audio_dir is None:
            yield row, call_input(row)
            continue
        audio = next(
            (p for p in sorted(audio_dir.glob(f"{row['id']}.*")) if ".8k." not in p.name), None
        )
        if audio is None or transcribe is None:
            continue  # only calls with a recording are run end to end
        yield row, call_input(row, transcribe(audio, row["language"]))


def rows_with_audio(rows: list[dict[str, Any]], audio_dir: Path) -> list[dict[str, Any]]:
    """The rows that have a recording ``<id>.<ext>`` in ``audio_dir``."""
    if not audio_dir.is_dir():
        raise NotFoundError(f"Audio directory {audio_dir} does not exist.")
    have = {p.name.split(".")[0] for p in audio_dir.iterdir() if p.is_file()}
    return [r for r in rows if r["id"] in have]


def summarise_run(path: Path, model: str | None = None) -> dict[str, Any]:
    """Re-grade a saved run (also a partial one, e.g. of a run still going) from its JSONL."""
    if not path.is_file():
        raise NotFoundError(f"Run file {path} does not exist.")
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    if not lines:
        raise ValidationError(f"{path} holds no results yet.")
    metrics = summarise(lines, model or str(lines[0].get("design", "?")))
    metrics["results_file"] = str(path)
    return metrics


def replay_run(
    path: Path, rows: list[dict[str, Any]], out_path: Path, settings: Any = None
) -> dict[str, Any]:
    """Re-run the code part of an analysis on a saved run's raw model answers (no model).

    Every result line keeps the model's final answer per question (``raw``);
    replaying them through the current ``decomposed`` design measures a change
    of the code rules (evidence, dates, step rules) on exactly the same model
    output. Latencies are those of the original run.
    """
    from agent.analysis.analyzer import Analyzer
    from agent.settings import Settings
    from agent.testing import FakeChatModel

    by_id = {r["id"]: r for r in rows}
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    results = []
    for line in lines:
        row = by_id[line["id"]]
        raw = line.get("raw") or {}
        answers = list(raw.values())  # in the order they were asked
        model = FakeChatModel().enqueue(*answers)
        analyzer = Analyzer(
            model, design="decomposed", settings=settings or Settings(chat_backend="fake")
        )
        result = analyzer.analyze(call_input(row)) if answers else None
        replayed = dict(line)
        if result is not None:
            replayed["prediction"] = result.analysis.to_json() if result.analysis else None
            replayed["status"], replayed["error"] = result.status, result.failure_reason
        results.append(replayed)
    out_path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results), encoding="utf-8"
    )
    return summarise(results, f"{lines[0].get('design', '?')} (replayed)")

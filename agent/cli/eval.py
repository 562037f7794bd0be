"""``winback eval calls``: run the call-analysis eval on a labelled dataset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from agent.cli.common import JsonOption, console, err_console, print_json, settings_for
from agent.errors import ValidationError

eval_app = typer.Typer(help="Evaluations on labelled data.", no_args_is_help=True)


def audio_transcriber(settings: Any) -> Any:
    """A function turning an audio file into analyzer turns (speakers from the channels).

    ``winback eval calls --audio`` grades the analysis on what Whisper heard;
    tests of spoken attacks feed the analysis the same way.
    """
    from agent.analysis.schema import Turn
    from agent.transcription.registry import get_transcriber

    transcriber = get_transcriber(settings)

    def transcribe(path: Path, language: str) -> list[Turn]:
        result = transcriber.transcribe(
            path, language=language, channels=settings.transcription_channels
        )
        turns: list[Turn] = []
        for seg in result.segments:
            speaker = seg.speaker if seg.speaker in ("rep", "customer") else "customer"
            if turns and turns[-1].speaker == speaker:
                turns[-1] = Turn(speaker=speaker, text=f"{turns[-1].text} {seg.text.strip()}")
            else:
                turns.append(Turn(speaker=speaker, text=seg.text.strip()))
        return turns

    return transcribe


def _table(metrics: dict[str, Any]) -> Table:
    table = Table(title=f"calls eval: n={metrics['n']}, model={metrics['model']}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    rows = [
        ("churn reasons micro-F1", metrics["churn_reasons"]["micro_f1"]),
        ("churn reasons macro-F1", metrics["churn_reasons"]["macro_f1"]),
        ("outcome accuracy", metrics["outcome"]["accuracy"]),
        ("next-step type F1", metrics["next_steps"]["type_f1"]),
        ("due-date accuracy", metrics["next_steps"]["due_date_accuracy"]),
        ("evidence grounded", metrics["evidence"]["grounded_rate"]),
        ("summary fact recall", metrics["summary"]["fact_recall"]),
        ("latency p50 s", metrics["latency_s"]["p50"]),
        ("latency p95 s", metrics["latency_s"]["p95"]),
        ("failed calls", metrics["failed"]),
    ]
    for name, value in rows:
        table.add_row(name, "-" if value is None else str(value))
    return table


def _injection_ids(files: list[Path]) -> set[str] | None:
    """Ids tagged ``h`` (prompt injection) in the sets' hard-case sidecars, if there are any."""
    ids: set[str] = set()
    found = False
    for file in files:
        sidecar = file.with_name(file.name.removesuffix(".jsonl") + ".hard_cases.json")
        if sidecar.is_file():
            found = True
            try:
                ids |= set(json.loads(sidecar.read_text(encoding="utf-8")).get("h", []))
            except (ValueError, AttributeError) as exc:
                raise ValidationError(f"{sidecar}: not a hard-case sidecar ({exc}).") from exc
    return ids if found else None


def _cv_table(result: dict[str, Any]) -> Table:
    table = Table(title="leave-one-writer-out (learned design)")
    for column in ("fold", "n", "reasons F1", "P", "R", "+review F1", "outcome", "decided",
                   "acc. decided", "steps F1", "ECE", "abstained", "false claims"):  # fmt: skip
        table.add_column(column, justify="right")
    rows = [*result["folds"].items(), ("mean", result["mean"]), ("pooled", result["pooled"])]
    for name, m in rows:
        reasons = m["churn_reasons"]
        decided = m["accuracy_at_coverage"]["outcome_decided"]
        table.add_row(
            name, str(m.get("n", "")), str(reasons["micro_f1"]), str(reasons["precision"]),
            str(reasons["recall"]), str(reasons["with_candidates"]["micro_f1"]),
            str(m["outcome"]["accuracy"]), str(decided["coverage"]), str(decided["accuracy"]),
            str(m["next_steps"]["type_f1"]), str(m["calibration"]["ece"]),
            str(m["abstained"]["share"]), str(m["false_claims"]["total"]),
        )  # fmt: skip
    return table


@eval_app.command("calls")
def calls(
    files: Annotated[
        list[Path], typer.Argument(help="Dataset JSONL files in the calls.dev format.")
    ],
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Only the first N calls per file.")
    ] = None,
    as_json: JsonOption = False,
    audio: Annotated[
        Path | None,
        typer.Option("--audio", help="Directory of <id>.flac: transcribe, then analyse."),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Per-call results JSONL.")] = None,
    design: Annotated[
        str | None,
        typer.Option(
            "--design",
            help="Analysis design: learned or decomposed (default: setting).",
        ),
    ] = None,
    cv: Annotated[
        str | None,
        typer.Option(
            "--cv",
            help="'writers': leave-one-writer-out - each writer (id prefix w1-, w2-, ...; "
            "other ids form the group 'dev') is scored by a model trained without it.",
        ),
    ] = None,
    curve: Annotated[
        bool,
        typer.Option(
            "--learning-curve",
            help="With --cv writers: also feed k = 0, 5, 10, 20 calls of each left-out "
            "writer as reviewed notes and score the rest.",
        ),
    ] = False,
) -> None:
    """Analyse every call of FILES and grade it against its gold labels."""
    from agent.analysis.analyzer import DESIGNS, analyzer_for
    from evals.calls import load_calls, rows_with_audio, run_calls

    settings = settings_for()
    design = design or settings.analysis_design
    if design not in DESIGNS:
        raise ValidationError(f"--design must be one of {', '.join(DESIGNS)}, not {design!r}.")
    rows = [row for file in files for row in load_calls(file, limit)]
    injection = _injection_ids(files)
    if cv is not None:
        _cross_validate(cv, design, rows, audio, curve, as_json, injection)
        return
    if curve:
        raise ValidationError("--learning-curve needs --cv writers.")
    transcribe = None
    if audio is not None:
        rows = rows_with_audio(rows, audio)
        if not rows:
            raise ValidationError(f"No call of {', '.join(map(str, files))} has a recording in "
                                  f"{audio}.")  # fmt: skip
        transcribe = audio_transcriber(settings)
    analyzer = analyzer_for(settings, design)

    def progress(i: int, n: int, line: dict[str, Any]) -> None:
        pred = line["prediction"] or {}
        err_console.print(
            f"[{i}/{n}] {line['id']} {line['status']} {line['latency_s']:.1f}s "
            f"outcome={pred.get('outcome')} gold={line['gold']['outcome']}",
            highlight=False,
        )

    metrics, path = run_calls(
        rows, analyzer.analyze, model=f"{analyzer.model_name} ({design})", out_path=out,
        audio_dir=audio, transcribe=transcribe, progress=progress, injection_ids=injection,
    )  # fmt: skip
    if as_json:
        print_json(metrics)
    else:
        console.print(_table(metrics))
        console.print(f"Per-call results: {path}")


def _cross_validate(
    cv: str, design: str, rows: list[dict[str, Any]], audio: Path | None, curve: bool,
    as_json: bool, injection: set[str] | None,
) -> None:  # fmt: skip
    from agent.embeddings import get_embedder
    from evals.calls import RUNS_DIR
    from evals.cv import cross_validate

    if cv != "writers":
        raise ValidationError(f"--cv knows only 'writers', not {cv!r}.")
    if design != "learned":
        raise ValidationError("--cv writers trains the learned design; use --design learned.")
    if audio is not None:
        raise ValidationError("--cv works on transcripts; leave out --audio.")
    settings = settings_for()
    embedder = get_embedder(settings)

    def say(message: str) -> None:
        err_console.print(message, highlight=False)

    result = cross_validate(
        rows, embedder, progress=say, injection_ids=injection, out_dir=RUNS_DIR,
        curve=(0, 5, 10, 20) if curve else (),
    )  # fmt: skip
    if as_json:
        print_json(result)
        return
    console.print(_cv_table(result))
    if curve:
        table = Table(title="learning curve: k reviewed calls of the left-out writer")
        for column in ("k", "reasons F1", "+review F1", "outcome", "steps F1"):
            table.add_column(column, justify="right")
        for k, m in result["learning_curve"].items():
            reasons = m["churn_reasons"]
            table.add_row(
                k,
                str(reasons["micro_f1"]),
                str(reasons["with_candidates"]["micro_f1"]),
                str(m["outcome"]["accuracy"]),
                str(m["next_steps"]["type_f1"]),
            )
        console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")

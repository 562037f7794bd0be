"""``winback eval calls``: run the call-analysis eval on a labelled dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from agent.cli.common import JsonOption, console, err_console, print_json, settings_for
from agent.errors import ValidationError

eval_app = typer.Typer(help="Evaluations on labelled data.", no_args_is_help=True)


def _transcriber(settings: Any) -> Any:
    """A function turning an audio file into analyzer turns (speakers from the channels)."""
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


@eval_app.command("calls")
def calls(
    file: Annotated[Path, typer.Argument(help="Dataset JSONL in the calls.dev format.")],
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Only the first N calls.")
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
            help="Analysis design: rules, decomposed, checklist or plain (default: setting).",
        ),
    ] = None,
) -> None:
    """Analyse every call of FILE and grade it against its gold labels."""
    from agent.analysis.analyzer import DESIGNS, Analyzer
    from agent.llm import get_chat_model
    from evals.calls import load_calls, rows_with_audio, run_calls

    settings = settings_for()
    design = design or settings.analysis_design
    if design not in DESIGNS:
        raise ValidationError(f"--design must be one of {', '.join(DESIGNS)}, not {design!r}.")
    rows = load_calls(file, limit)
    transcribe = None
    if audio is not None:
        rows = rows_with_audio(rows, audio)
        if not rows:
            raise ValidationError(f"No call of {file} has a recording in {audio}.")
        transcribe = _transcriber(settings)
    model = get_chat_model(settings)
    analyzer = Analyzer(model, design=design, settings=settings)  # type: ignore[arg-type]

    def progress(i: int, n: int, line: dict[str, Any]) -> None:
        pred = line["prediction"] or {}
        err_console.print(
            f"[{i}/{n}] {line['id']} {line['status']} {line['latency_s']:.1f}s "
            f"outcome={pred.get('outcome')} gold={line['gold']['outcome']}",
            highlight=False,
        )

    metrics, path = run_calls(
        rows, analyzer.analyze, model=f"{analyzer.model_name} ({design})", out_path=out,
        audio_dir=audio, transcribe=transcribe, progress=progress,
    )  # fmt: skip
    if as_json:
        print_json(metrics)
    else:
        console.print(_table(metrics))
        console.print(f"Per-call results: {path}")


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")

"""``winback transcribe FILE``: speech to text with timestamps and speakers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from agent.cli.common import JsonOption, console, print_json, settings_for
from agent.errors import ValidationError
from agent.transcription import get_transcriber
from agent.transcription.types import ChannelLayout, is_channel_layout

LANGUAGES = ("de", "en", "auto")
LAYOUTS = ("rep,customer", "customer,rep", "mono")


def transcribe(
    file: Annotated[Path, typer.Argument(help="Audio file (wav, mp3, m4a, ogg/opus, flac, webm).")],
    language: Annotated[str, typer.Option("--language", help="de, en or auto (detect).")] = "auto",
    channels: Annotated[
        str | None,
        typer.Option(
            "--channels",
            help="rep,customer | customer,rep (one speaker per channel) | mono. "
            "Default: WINBACK_TRANSCRIPTION_CHANNELS for stereo files, mono otherwise.",
            show_default=False,
        ),
    ] = None,
    vocabulary: Annotated[
        str | None,
        typer.Option("--vocabulary", help='Names to recognise, comma separated: "A,B".'),
    ] = None,
    word_timestamps: Annotated[
        bool, typer.Option("--word-timestamps", help="Include per-word times.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Transcribe FILE with the configured transcriber (local Whisper by default)."""
    if language not in LANGUAGES:
        raise ValidationError(
            f"--language must be one of {', '.join(LANGUAGES)}, not {language!r}."
        )
    requested: ChannelLayout | None
    if channels is None or is_channel_layout(channels):
        requested = channels
    else:
        raise ValidationError(f"--channels must be one of {' | '.join(LAYOUTS)}, not {channels!r}.")
    settings = settings_for()
    layout: ChannelLayout
    if requested is None:
        from agent.transcription.audio import probe

        stereo = probe(file).channels >= 2
        layout = settings.transcription_channels if stereo else "mono"
    else:
        layout = requested
    words = [v.strip() for v in (vocabulary or "").split(",") if v.strip()] or None
    transcript = get_transcriber(settings).transcribe(
        file,
        language=None if language == "auto" else language,
        channels=layout,
        vocabulary=words,
        word_timestamps=word_timestamps,
    )
    if as_json:
        print_json(transcript.to_dict())
        return
    table = Table("start", "end", "speaker", "text", title=f"{file.name} ({transcript.language})")
    for s in transcript.segments:
        table.add_row(f"{s.start:7.2f}", f"{s.end:7.2f}", s.speaker, s.text)
    console.print(table)
    if not transcript.segments:
        console.print("[yellow]No speech found.[/yellow]")


def register(app: typer.Typer) -> None:
    """Add the ``transcribe`` command to ``app``."""
    app.command("transcribe")(transcribe)

"""``winback calls``: upload a consented recording, follow its pipeline, read the transcript."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from agent.calls.intake import upload_recording
from agent.calls.status import Recording, get_recording, get_transcript, list_recordings
from agent.cli.common import DbOption, JsonOption, TenantOption, console, print_json, store_for
from agent.consent import validate_consent
from agent.errors import NotFoundError, ValidationError

calls_app = typer.Typer(help="Call recordings: upload, status, transcripts.", no_args_is_help=True)

TERMINAL = {"transcribed", "analyzed", "failed"}


def _finished(recording: Recording) -> bool:
    if recording.status == "failed":
        return True
    return recording.status in TERMINAL and all(
        j.status in ("done", "failed") for j in recording.jobs
    )


def _print_recording(recording: Recording) -> None:
    console.print(
        f"Recording [bold]{recording.id}[/bold] of account {recording.account}: "
        f"{recording.status} ({recording.progress:.0%})"
        + (" [yellow](already uploaded)[/yellow]" if recording.duplicate else ""),
        highlight=False,
    )
    console.print(
        f"  {recording.container}/{recording.codec}, {recording.duration_s or 0:.1f} s, "
        f"{recording.channels} ch, {recording.sample_rate} Hz, {recording.size_bytes} bytes",
        highlight=False,
    )
    if recording.error:
        console.print(f"  [red]{recording.error}[/red]", highlight=False)
    table = Table("step", "status", "attempts", "seconds", "error", box=None)
    for job in recording.jobs:
        table.add_row(
            job.step,
            job.status,
            str(job.attempts),
            f"{job.duration_s:.2f}" if job.duration_s is not None else "",
            job.error or "",
        )
    console.print(table)


@calls_app.command("upload")
def upload(
    account: Annotated[str, typer.Argument(help="Account (CRM number) the call was with.")],
    file: Annotated[Path, typer.Argument(help="The recording (any common audio format).")],
    consent_by: Annotated[
        str | None, typer.Option("--consent-by", help="Who agreed to the recording.")
    ] = None,
    consent_method: Annotated[
        str | None,
        typer.Option("--consent-method", help="verbal_at_call_start, written or electronic."),
    ] = None,
    consent_at: Annotated[
        str | None,
        typer.Option("--consent-at", help="When consent was given (ISO 8601 with time zone)."),
    ] = None,
    consent_text_version: Annotated[
        str | None,
        typer.Option("--consent-text-version", help="Version of the consent text used."),
    ] = None,
    contact: Annotated[str | None, typer.Option("--contact", help="Contact id.")] = None,
    idempotency_key: Annotated[
        str | None, typer.Option("--idempotency-key", help="Repeat-safe upload key.")
    ] = None,
    call_date: Annotated[
        str | None, typer.Option("--call-date", help="Date of the call (YYYY-MM-DD).")
    ] = None,
    channels: Annotated[
        str | None,
        typer.Option("--channels", help="rep,customer | customer,rep | mono (default: setting)."),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Process now in this process and wait for the result.")
    ] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds --wait waits.")] = 3600,
    db: DbOption = None,
    tenant: TenantOption = None,
    as_json: JsonOption = False,
) -> None:
    """Upload a call recording with its recording consent and queue the transcription."""
    consent = validate_consent(
        given_by=consent_by,
        method=consent_method,
        given_at=consent_at,
        text_version=consent_text_version,
    )
    when: date | None = None
    if call_date:
        try:
            when = date.fromisoformat(call_date)
        except ValueError as exc:
            raise ValidationError(f"--call-date {call_date!r} is not a YYYY-MM-DD date.") from exc
    if not file.is_file():
        raise NotFoundError(f"File {file} does not exist.")
    settings, store = store_for(db, tenant)
    with file.open("rb") as fh:
        recording = upload_recording(
            store,
            settings,
            account,
            fh,
            consent,
            idempotency_key=idempotency_key,
            contact=contact,
            call_date=when,
            channels=channels,
            filename=file.name,
        )
    if wait and not _finished(recording):
        from agent.jobs.worker import embedded_worker

        deadline = time.monotonic() + timeout
        with embedded_worker(settings):
            while time.monotonic() < deadline:
                recording = get_recording(store, settings.tenant, recording.id)
                if _finished(recording):
                    break
                time.sleep(0.2)
    if as_json:
        print_json(recording.to_dict())
    else:
        _print_recording(recording)
    if recording.status == "failed":
        raise typer.Exit(2)


@calls_app.command("status")
def status(
    recording_id: Annotated[str | None, typer.Argument(help="Recording id; omit for all.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many recordings to list.")] = 20,
    db: DbOption = None,
    tenant: TenantOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a recording's pipeline state, or the newest recordings."""
    settings, store = store_for(db, tenant)
    if recording_id:
        recording = get_recording(store, settings.tenant, recording_id)
        if as_json:
            print_json(recording.to_dict())
        else:
            _print_recording(recording)
        return
    recordings = list_recordings(store, settings.tenant, limit=limit)
    if as_json:
        print_json([r.to_dict() for r in recordings])
        return
    table = Table(box=None)
    table.add_column("id", no_wrap=True, min_width=32)  # ids are copied into other commands
    for column in ("account", "status", "progress", "seconds", "uploaded"):
        table.add_column(column)
    for r in recordings:
        table.add_row(
            r.id,
            r.account,
            r.status,
            f"{r.progress:.0%}",
            f"{r.duration_s or 0:.0f}",
            r.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


@calls_app.command("transcript")
def transcript(
    recording_id: Annotated[str, typer.Argument(help="Recording id.")],
    db: DbOption = None,
    tenant: TenantOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print the transcript of a recording (with --json: segments, times, speakers)."""
    settings, store = store_for(db, tenant)
    data = get_transcript(store, settings.tenant, recording_id)
    if as_json:
        print_json(data)
        return
    for seg in data["segments"]:
        console.print(
            f"[dim]{seg['start']:7.1f}s[/dim] [bold]{seg['speaker'] or ''}[/bold] {seg['text']}",
            highlight=False,
        )
    if not data["segments"]:
        console.print("[dim](no speech)[/dim]")


def register(app: typer.Typer) -> None:
    """Add the ``calls`` group to the ``winback`` app."""
    app.add_typer(calls_app, name="calls")

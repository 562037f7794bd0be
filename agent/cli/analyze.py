"""``winback analyze``: turn a transcript into a draft call note (or just show the analysis)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from agent.cli.common import (
    DbOption,
    JsonOption,
    TenantOption,
    console,
    print_json,
    settings_for,
    store_for,
)
from agent.errors import ConflictError, NotFoundError, ValidationError


def _print_analysis(data: dict[str, Any]) -> None:
    analysis = data.get("analysis")
    console.print(f"Status: [bold]{data['status']}[/bold] ({data['latency_s']} s, {data['model']})")
    if data.get("failure_reason"):
        console.print(f"[red]Failed:[/red] {data['failure_reason']}", highlight=False)
    if not analysis:
        return
    console.print(f"Outcome: {analysis['outcome']}")
    console.print(f"Summary: {analysis['summary']}", highlight=False)
    for r in analysis["churn_reasons"]:
        console.print(f"  reason {r['code']}: “{r['evidence']}”", highlight=False)
    for s in analysis["next_steps"]:
        console.print(
            f"  step {s['type']} [{s['owner']}] due {s['due_date'] or '-'}", highlight=False
        )
    if data.get("note_id"):
        console.print(f"Stored as draft note {data['note_id']} ({data['note_status']}).")


def analyze(
    transcript: Annotated[
        Path | None, typer.Argument(help="Transcript JSON (turns or segments).", show_default=False)
    ] = None,
    recording: Annotated[
        str | None,
        typer.Option("--recording", help="Analyse the stored transcript of a recording."),
    ] = None,
    account: Annotated[
        str | None, typer.Option("--account", help="Account external id: store a draft note on it.")
    ] = None,
    call_date: Annotated[
        str | None, typer.Option("--date", help="Call date YYYY-MM-DD (default: file, or today).")
    ] = None,
    design: Annotated[
        str | None,
        typer.Option("--design", help="learned or decomposed (default: setting)."),
    ] = None,
    db: DbOption = None,
    tenant: TenantOption = None,
    as_json: JsonOption = False,
) -> None:
    """Analyse a call: summary, churn reasons with evidence, outcome, next steps.

    With --account or --recording the result is stored as a draft note
    (pending_review, or failed with the reason) for a manager to review;
    a file without --account is only analysed and shown.
    """
    from agent.analysis.analyzer import DESIGNS, analyzer_for
    from agent.analysis.notes import store_draft
    from agent.analysis.sources import account_context, input_from_file, input_from_transcript
    from agent.analysis.tenant_bank import tenant_examples
    from agent.crm.db import get_tenant
    from agent.crm.lookup import find_account
    from agent.crm.models import Account, CallNote, CallRecording, Transcript

    if (transcript is None) == (recording is None):
        raise ValidationError("Give either a TRANSCRIPT file or --recording ID (exactly one).")
    if design is not None and design not in DESIGNS:
        raise ValidationError(f"--design must be one of {', '.join(DESIGNS)}.")
    try:
        day = date.fromisoformat(call_date) if call_date else None
    except ValueError as exc:
        raise ValidationError(f"--date must be YYYY-MM-DD, not {call_date!r}.") from exc

    from sqlalchemy import select

    settings, store = store_for(db, tenant) if (account or recording) else (None, None)
    if transcript is not None and store is None:
        call = input_from_file(transcript, call_date=day)
        data = analyzer_for(settings_for(), design).analyze(call).to_json()
        print_json(data) if as_json else _print_analysis(data)
        return
    assert settings is not None and store is not None
    with store.session() as session:
        t = get_tenant(session, settings.tenant)
        if recording is not None:
            rec = session.scalar(
                select(CallRecording).where(
                    CallRecording.tenant_id == t.id, CallRecording.id == recording
                )
            )
            if rec is None:
                raise NotFoundError(f"Recording {recording!r} does not exist.")
            stored = session.scalar(select(Transcript).where(Transcript.recording_id == rec.id))
            if stored is None:
                raise NotFoundError(f"Recording {recording} has no transcript yet.")
            if session.scalar(select(CallNote.id).where(CallNote.recording_id == rec.id)):
                raise ConflictError(f"Recording {recording} already has a call note.")
            acc = session.get(Account, rec.account_id)
            assert acc is not None
            call = input_from_transcript(session, stored, acc, day or rec.call_date)
            rec_id, transcript_id = rec.id, stored.id
        else:
            assert transcript is not None and account is not None
            acc = find_account(session, t.id, account)
            call = input_from_file(transcript, call_date=day)
            if not call.account.name:
                call = call.model_copy(update={"account": account_context(session, acc)})
            rec_id, transcript_id = None, None
        examples = tenant_examples(session, t.id)
    # The model runs outside any database transaction (it can take a minute).
    result = analyzer_for(settings, design, examples).analyze(call)
    with store.session() as session:
        acc = session.get(Account, acc.id)
        assert acc is not None
        note = store_draft(
            session, t.id, acc, result, call_date=call.call_date,
            recording_id=rec_id, transcript_id=transcript_id,
        )  # fmt: skip
        data = {**result.to_json(), "note_id": note.id, "note_status": note.status.value}
    print_json(data) if as_json else _print_analysis(data)


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze)

"""``winback notes``: list, show, approve, edit and reject analysed call notes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from agent.cli.common import DbOption, JsonOption, TenantOption, console, print_json, store_for
from agent.errors import ValidationError

notes_app = typer.Typer(help="Review analysed call notes (managers).", no_args_is_help=True)

AsOption = Annotated[
    str, typer.Option("--as", help="Username of the reviewing manager.", show_default=False)
]


def _show_text(data: dict[str, Any]) -> None:
    sources = data["field_sources"]

    def src(name: str) -> str:
        return f" [dim]({sources.get(name, '-')})[/dim]"

    console.print(
        f"[bold]Note {data['id']}[/bold] account {data['account']} · {data['status']} · "
        f"call {data['call_date']} · model {data['model']}"
    )
    if data["failure_reason"]:
        console.print(f"[red]Failed:[/red] {data['failure_reason']}", highlight=False)
    console.print(f"Outcome: {data['outcome']}{src('outcome')}")
    console.print(f"Summary{src('summary')}: {data['summary']}", highlight=False)
    console.print(f"Churn reasons{src('churn_reasons')}:")
    for r in data["churn_reasons"]:
        console.print(
            f"  - {r['code']} ({r['confidence']:.2f}): “{r['evidence']}”", highlight=False
        )
    console.print(f"Next steps{src('next_steps')}:")
    for s in data["next_steps"]:
        console.print(
            f"  - {s['type']} [{s['owner']}] due {s['due_date'] or '-'}: {s['description']}",
            highlight=False,
        )
    console.print(f"Customer expectations{src('expectations')}: {data['expectations'] or '-'}")
    console.print(f"Customer sentiment{src('sentiment')}: {data['sentiment'] or '-'}")
    for w in data["warnings"]:
        console.print(f"  [yellow]note:[/yellow] {w}", highlight=False)


@notes_app.command("list")
def list_(
    status: Annotated[
        str | None, typer.Option("--status", help="Only notes of this status.")
    ] = None,
    db: DbOption = None,
    tenant: TenantOption = None,
    as_json: JsonOption = False,
) -> None:
    """List call notes, newest first."""
    from agent.analysis.notes import list_notes, note_to_json
    from agent.crm.db import get_tenant

    settings, store = store_for(db, tenant)
    with store.session() as session:
        t = get_tenant(session, settings.tenant)
        rows = [note_to_json(n) for n in list_notes(session, t.id, status)]
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} call notes")
    for col in ("id", "account", "status", "call date", "outcome", "reasons"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["id"]), str(r["account"]), r["status"], r["call_date"] or "-",
            r["outcome"] or "-", ", ".join(c["code"] for c in r["churn_reasons"]) or "-",
        )  # fmt: skip
    console.print(table)


@notes_app.command("show")
def show(
    note_id: Annotated[int, typer.Argument(help="Note id.")],
    db: DbOption = None,
    tenant: TenantOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one note with the source (ai / edited) of every field."""
    from agent.analysis.notes import get_note, note_to_json
    from agent.crm.db import get_tenant
    from agent.crm.models import Account

    settings, store = store_for(db, tenant)
    with store.session() as session:
        t = get_tenant(session, settings.tenant)
        note = get_note(session, t.id, note_id)
        data = note_to_json(note, session.get(Account, note.account_id))
    if as_json:
        print_json(data)
    else:
        _show_text(data)


@notes_app.command("approve")
def approve(
    note_id: Annotated[int, typer.Argument(help="Note id.")],
    as_user: AsOption,
    comment: Annotated[str | None, typer.Option("--comment")] = None,
    db: DbOption = None,
    tenant: TenantOption = None,
    as_json: JsonOption = False,
) -> None:
    """Approve a note: churn reasons, tasks and account status go into the CRM record."""
    from agent.analysis import review
    from agent.crm.db import get_tenant

    settings, store = store_for(db, tenant)
    with store.session() as session:
        t = get_tenant(session, settings.tenant)
        user = review.reviewer(session, t.id, as_user)
        result = review.approve(session, t.id, note_id, user, comment)
    if as_json:
        print_json(result)
        return
    console.print(
        f"Note {note_id} approved: {len(result['labels'])} churn reasons, "
        f"{len(result['tasks'])} tasks"
        + (
            f", account {result['account_status']['from']} → {result['account_status']['to']}"
            if result["account_status"]
            else ""
        )  # fmt: skip
        + "."
    )


def _parse_changes(field_values: list[str], file: Path | None) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if file is not None:
        try:
            loaded = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValidationError(f"Cannot read changes from {file}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ValidationError(f"{file} must hold a JSON object of field: value.")
        changes.update(loaded)
    for item in field_values:
        name, sep, raw = item.partition("=")
        if not sep:
            raise ValidationError(f"--set needs FIELD=VALUE, got {item!r}.")
        value: Any = raw
        if name in ("churn_reasons", "next_steps"):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ValidationError(f"--set {name} needs a JSON list: {exc.msg}") from exc
        changes[name.strip()] = value
    return changes


@notes_app.command("edit")
def edit(
    note_id: Annotated[int, typer.Argument(help="Note id.")],
    as_user: AsOption,
    set_: Annotated[
        list[str],
        typer.Option(
            "--set",
            help="FIELD=VALUE (summary, outcome, sentiment, expectations; churn_reasons and "
            "next_steps as JSON lists). Repeatable.",
        ),
    ] = [],  # noqa: B006 - typer needs a literal default
    file: Annotated[Path | None, typer.Option("--file", help="JSON object of changes.")] = None,
    db: DbOption = None,
    tenant: TenantOption = None,
    as_json: JsonOption = False,
) -> None:
    """Edit fields of a draft note; edited fields are marked as such."""
    from agent.analysis import review
    from agent.analysis.notes import note_to_json
    from agent.crm.db import get_tenant

    changes = _parse_changes(set_, file)
    settings, store = store_for(db, tenant)
    with store.session() as session:
        t = get_tenant(session, settings.tenant)
        user = review.reviewer(session, t.id, as_user)
        note = review.edit(session, t.id, note_id, user, changes)
        data = note_to_json(note)
    if as_json:
        print_json(data)
    else:
        edited = [k for k, v in data["field_sources"].items() if v == "edited"]
        console.print(f"Note {note_id} updated; edited fields: {', '.join(edited) or '-'}.")


@notes_app.command("reject")
def reject(
    note_id: Annotated[int, typer.Argument(help="Note id.")],
    as_user: AsOption,
    reason: Annotated[str, typer.Option("--reason", help="Why the note is rejected.")],
    db: DbOption = None,
    tenant: TenantOption = None,
) -> None:
    """Reject a note with a reason; the CRM record is not changed."""
    from agent.analysis import review
    from agent.crm.db import get_tenant

    settings, store = store_for(db, tenant)
    with store.session() as session:
        t = get_tenant(session, settings.tenant)
        user = review.reviewer(session, t.id, as_user)
        review.reject(session, t.id, note_id, user, reason)
    console.print(f"Note {note_id} rejected.")


def register(app: typer.Typer) -> None:
    app.add_typer(notes_app, name="notes")

"""``winback privacy``: erase or export an account or contact, apply retention (DSGVO)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from agent.cli.common import DbOption, JsonOption, TenantOption, console, print_json, store_for
from agent.errors import StorageError, ValidationError

privacy_app = typer.Typer(
    help="Data protection: erasure (Art. 17), export (Art. 15), retention purge.",
    no_args_is_help=True,
)

KindArg = Annotated[str, typer.Argument(help="account or contact", show_default=False)]
IdArg = Annotated[str, typer.Argument(help="The external (CRM) id.", show_default=False)]


def _kind(kind: str) -> str:
    kind = kind.strip().lower()
    if kind not in ("account", "contact"):
        raise ValidationError(f"Unknown kind {kind!r}: use account or contact.")
    return kind


@privacy_app.command("erase")
def erase_cmd(
    kind: KindArg,
    external_id: IdArg,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm; erasure cannot be undone.")] = False,
    db: DbOption = None,
    tenant: TenantOption = None,
    as_json: JsonOption = False,
) -> None:
    """Erase an account or contact from the database, history index, audio store and caches."""
    from agent.privacy.erasure import erase

    kind = _kind(kind)
    if not yes:
        raise ValidationError(
            f"Erasing {kind} {external_id!r} cannot be undone: add --yes to confirm."
        )
    settings, store = store_for(db, tenant)
    report = erase(store, settings, settings.tenant, kind, external_id, actor_label="cli")
    if as_json:
        print_json(report.to_dict())
        return
    table = Table(title=f"Erased {kind} {report.external_id} (tenant {report.tenant})")
    table.add_column("store")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, count in report.deleted.items():
        if count:
            table.add_row("database", f"{name} deleted", str(count))
    for name, count in report.scrubbed.items():
        if count:
            table.add_row("database", f"{name} scrubbed", str(count))
    table.add_row("history index", "chunks deleted", str(report.index.get("chunks_deleted", 0)))
    table.add_row("audio store", "files deleted", str(report.audio_files_deleted))
    table.add_row("tombstones", "re-import blocked", str(report.tombstones))
    console.print(table)
    console.print(f"Database files: {report.database_compaction}", highlight=False)
    for warning in report.warnings:
        console.print(f"[yellow]Warning:[/yellow] {warning}", highlight=False)


@privacy_app.command("export")
def export_cmd(
    kind: KindArg,
    external_id: IdArg,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the JSON to this file (default: stdout).")
    ] = None,
    db: DbOption = None,
    tenant: TenantOption = None,
) -> None:
    """Export everything stored about an account or contact as JSON (Art. 15)."""
    from agent.privacy.export import export_subject

    kind = _kind(kind)
    settings, store = store_for(db, tenant)
    data = export_subject(store, settings.tenant, kind, external_id, actor_label="cli")
    if out is None:
        print_json(data)
        return
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        out.chmod(0o600)  # personal data: readable by the operator only
    except OSError as exc:
        raise StorageError(f"Cannot write the export to {out}: {exc}") from exc
    console.print(f"Wrote the export of {kind} {external_id} to {out}.", highlight=False)


@privacy_app.command("purge")
def purge_cmd(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count what the policies would delete.")
    ] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete audio, transcripts and notes older than the retention policies allow."""
    from agent.privacy.retention import purge

    settings, store = store_for(db)
    report = purge(store, settings, dry_run=dry_run)
    if as_json:
        print_json(report.to_dict())
        return
    verb = "would delete" if dry_run else "deleted"
    table = Table(title=f"Retention purge ({verb})")
    table.add_column("data kind")
    table.add_column("policy")
    table.add_column(verb, justify="right")
    table.add_row("audio", str(report.policies["audio"]), str(report.audio))
    table.add_row("transcripts", str(report.policies["transcripts_days"]), str(report.transcripts))
    table.add_row("notes", str(report.policies["notes_days"]), str(report.notes))
    table.add_row("call notes", str(report.policies["notes_days"]), str(report.call_notes))
    console.print(table)
    for warning in report.warnings:
        console.print(f"[yellow]Warning:[/yellow] {warning}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``privacy`` command group to ``app``."""
    app.add_typer(privacy_app, name="privacy")

"""``winback import``: load orders, accounts, contacts and notes from CRM exports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from agent.cli.common import DbOption, JsonOption, TenantOption, console, print_json, store_for
from agent.crm.importers import (
    ImportStats,
    import_accounts,
    import_contacts,
    import_notes,
    import_orders,
)
from agent.crm.importers.readers import ProgressCallback

import_app = typer.Typer(help="Import CRM exports (CSV, CSV.GZ or JSON).", no_args_is_help=True)

FileArgument = Annotated[
    Path, typer.Argument(help="File to import (.csv, .csv.gz, .json).", show_default=False)
]
FormatOption = Annotated[
    str,
    typer.Option("--format", help="Order file layout: auto, generic or uci (UCI Online Retail)."),
]
RequireAccountsOption = Annotated[
    bool,
    typer.Option(
        "--require-accounts",
        help="Reject order rows whose customer id is not an existing account.",
    ),
]


@contextmanager
def _progress(enabled: bool) -> Iterator[ProgressCallback | None]:
    """A rich progress bar fed by the importer's callback (off for --json and pipes)."""
    if not enabled or not console.is_terminal:
        yield None
        return
    labels = {"reading": "Checking rows", "writing": "Writing rows"}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(labels.get(phase, phase), total=total or 1)
            bar.update(tasks[phase], completed=done, total=total or 1)

        yield update


def _show(stats: ImportStats, as_json: bool) -> None:
    if as_json:
        print_json(stats.as_dict())
        return
    table = Table(title=f"Import of {stats.kind} from {stats.filename} ({stats.source_format})")
    table.add_column("", style="bold")
    table.add_column("count", justify="right")
    for label, value in stats.summary_rows():
        table.add_row(label, value)
    console.print(table)


def _run(
    db: str | None,
    tenant: str | None,
    as_json: bool,
    action: Callable[..., ImportStats],
) -> None:
    settings, store = store_for(db, tenant)
    with _progress(not as_json) as progress:
        stats = action(store, settings.tenant, progress)
    _show(stats, as_json)


@import_app.command("orders")
def orders(
    file: FileArgument,
    db: DbOption = None,
    tenant: TenantOption = None,
    fmt: FormatOption = "auto",
    require_accounts: RequireAccountsOption = False,
    as_json: JsonOption = False,
) -> None:
    """Import order lines (generic CSV layout or UCI Online Retail)."""
    _run(
        db,
        tenant,
        as_json,
        lambda store, slug, progress: import_orders(
            store, file, slug, fmt=fmt, require_accounts=require_accounts, progress=progress
        ),
    )


@import_app.command("accounts")
def accounts(
    file: FileArgument,
    db: DbOption = None,
    tenant: TenantOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create or update accounts by external id."""
    _run(db, tenant, as_json, lambda s, t, p: import_accounts(s, file, t, progress=p))


@import_app.command("contacts")
def contacts(
    file: FileArgument,
    db: DbOption = None,
    tenant: TenantOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create or update contacts by external id (their accounts must exist)."""
    _run(db, tenant, as_json, lambda s, t, p: import_contacts(s, file, t, progress=p))


@import_app.command("notes")
def notes(
    file: FileArgument,
    db: DbOption = None,
    tenant: TenantOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create or update dated notes on accounts."""
    _run(db, tenant, as_json, lambda s, t, p: import_notes(s, file, t, progress=p))


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")

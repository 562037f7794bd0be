"""``winback db``: create or upgrade the database schema and show where it is."""

from __future__ import annotations

import typer

from agent.cli.common import DbOption, console, store_for

db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(db: DbOption = None) -> None:
    """Create the database if needed and migrate it to the newest schema."""
    _, store = store_for(db)
    console.print(f"Database at [bold]{store.url}[/bold] is up to date.")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")

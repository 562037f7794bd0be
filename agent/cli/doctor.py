"""``winback doctor``: check the configured setup and say what is wrong."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from agent.cli.common import DbOption, JsonOption, console, print_json, settings_for

_STYLE = {"ok": "[green]ok[/green]", "warn": "[yellow]warn[/yellow]", "fail": "[red]fail[/red]"}


def doctor(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Check database, queue, Chroma, audio store, models and privacy settings.

    Exits with status 1 when any check fails (warnings do not count).
    """
    from agent.doctor import healthy, run_checks

    settings = settings_for(db)
    checks = run_checks(settings)
    ok = healthy(checks)
    if as_json:
        print_json({"healthy": ok, "checks": [c.to_dict() for c in checks]})
    else:
        table = Table(title="winback doctor")
        table.add_column("check")
        table.add_column("status")
        table.add_column("found")
        table.add_column("hint")
        for check in checks:
            table.add_row(check.name, _STYLE[check.status], check.detail, check.hint)
        console.print(table)
        failed = sum(c.status == "fail" for c in checks)
        console.print("All checks passed." if ok else f"[red]{failed} check(s) failed.[/red]")
    if not ok:
        # sys.exit, not typer.Exit: main() runs click with standalone_mode=False, where a
        # typer.Exit turns into a return value and the exit status would be 0.
        sys.exit(1)


def register(app: typer.Typer) -> None:
    """Add the ``doctor`` command to ``app``."""
    app.command("doctor")(doctor)

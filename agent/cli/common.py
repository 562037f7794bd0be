"""Shared pieces of the CLI: the ``--db``/``--tenant`` options, console, output helpers."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

from agent.crm.db import Store, open_store
from agent.settings import Settings, configure, get_settings

console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (overrides WINBACK_DATABASE_URL).", show_default=False),
]
TenantOption = Annotated[
    str | None,
    typer.Option("--tenant", help="Tenant slug (overrides WINBACK_TENANT).", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def settings_for(db: str | None = None, tenant: str | None = None, **overrides: Any) -> Settings:
    """Apply the command's overrides to the settings in effect and return them."""
    values: dict[str, Any] = {}
    if db:
        values["database_url"] = db
    if tenant:
        values["tenant"] = tenant
    values.update({k: v for k, v in overrides.items() if v is not None})
    if not values:
        return get_settings()
    current = get_settings()
    merged = current.model_dump()
    merged.update(values)
    return configure(**merged)


def store_for(db: str | None = None, tenant: str | None = None) -> tuple[Settings, Store]:
    """Settings plus the opened, migrated store for a command."""
    settings = settings_for(db, tenant)
    return settings, open_store(settings.db_url)


def print_json(data: Any) -> None:
    """Write ``data`` as JSON to stdout (dates and decimals as strings)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    sys.stdout.write("\n")

"""Importing contact persons of accounts from CSV or JSON, keyed by external id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.crm.db import Store
from agent.crm.importers import fields as f
from agent.crm.importers.readers import ProgressCallback
from agent.crm.importers.report import ImportStats
from agent.crm.importers.upsert import MasterDataSpec, RowContext, run_import
from agent.crm.models import Account, Contact, Language

REQUIRED = ("external_id", "account_external_id", "name")
OPTIONAL = ("title", "email", "phone", "language", "is_primary")


def account_lookup(session: Session, tenant_id: int) -> dict[str, dict[str, int]]:
    """Map account external ids to row ids for the tenant."""
    rows = session.execute(
        select(Account.external_id, Account.id).where(Account.tenant_id == tenant_id)
    )
    return {"accounts": dict(rows.tuples().all())}


def resolve_account(
    problems: f.Problems, line: int, row: dict[str, str], ctx: RowContext
) -> int | None:
    """Return the id of the row's account, or record a problem when it is unknown."""
    external = f.text(
        problems,
        line,
        "account_external_id",
        row.get("account_external_id"),
        max_len=64,
        required=True,
    )
    if external is None:
        return None
    account_id = ctx.lookups["accounts"].get(external)
    if account_id is None:
        problems.add(
            line,
            "account_external_id",
            f"no account {external!r}; import accounts (or orders) first",
        )
    return account_id


def _parse(
    problems: f.Problems, line: int, row: dict[str, str], ctx: RowContext
) -> dict[str, Any] | None:
    before = len(problems.items)
    values: dict[str, Any] = {
        "external_id": f.text(
            problems, line, "external_id", row.get("external_id"), max_len=64, required=True
        ),
        "account_id": resolve_account(problems, line, row, ctx),
        "name": f.text(problems, line, "name", row.get("name"), max_len=200, required=True),
        "title": f.text(problems, line, "title", row.get("title"), max_len=200),
        "email": f.email(problems, line, "email", row.get("email")),
        "phone": f.text(problems, line, "phone", row.get("phone"), max_len=64),
        "language": f.choice(problems, line, "language", row.get("language"), Language),
    }
    if (row.get("is_primary") or "").strip():
        values["is_primary"] = f.boolean(problems, line, "is_primary", row.get("is_primary"))
    return None if len(problems.items) > before else values


SPEC = MasterDataSpec(
    kind="contacts",
    table=Contact.__table__,  # type: ignore[arg-type]
    required_columns=REQUIRED,
    optional_columns=OPTIONAL,
    parse_row=_parse,
    load_lookups=account_lookup,
)


def import_contacts(
    store: Store, path: str | Path, tenant_slug: str, *, progress: ProgressCallback | None = None
) -> ImportStats:
    """Create or update contacts from a CSV or JSON file, keyed by ``external_id``.

    Columns: external_id, account_external_id (an existing account) and name
    (required); title, email, phone, language (de/en), is_primary (yes/no).
    Empty cells leave stored values unchanged. Any bad row raises
    :class:`~agent.errors.ImportRowError` listing every problem; nothing is
    written then. Returns created/updated/unchanged counts.
    """
    return run_import(SPEC, store, path, tenant_slug, progress)

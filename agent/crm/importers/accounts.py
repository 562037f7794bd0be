"""Importing accounts (customers) from CSV or JSON, created or updated by external id."""

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
from agent.crm.models import Account, AccountStatus, Language, User, utcnow

REQUIRED = ("external_id", "name")
OPTIONAL = (
    "industry",
    "city",
    "country",
    "language",
    "status",
    "status_reason",
    "owner",
    "relationship_ease",
)


def _lookups(session: Session, tenant_id: int) -> dict[str, dict[str, int]]:
    users = session.execute(select(User.username, User.id).where(User.tenant_id == tenant_id))
    return {"users": {username.lower(): user_id for username, user_id in users}}


def _parse(
    problems: f.Problems, line: int, row: dict[str, str], ctx: RowContext
) -> dict[str, Any] | None:
    before = len(problems.items)
    values: dict[str, Any] = {
        "external_id": f.text(
            problems, line, "external_id", row.get("external_id"), max_len=64, required=True
        ),
        "name": f.text(problems, line, "name", row.get("name"), max_len=300, required=True),
        "industry": f.text(problems, line, "industry", row.get("industry"), max_len=200),
        "city": f.text(problems, line, "city", row.get("city"), max_len=200),
        "country": f.text(problems, line, "country", row.get("country"), max_len=100),
        "language": f.choice(problems, line, "language", row.get("language"), Language),
        "status": f.choice(problems, line, "status", row.get("status"), AccountStatus),
        "status_reason": f.text(
            problems, line, "status_reason", row.get("status_reason"), max_len=2000
        ),
        "relationship_ease": f.integer_in(
            problems, line, "relationship_ease", row.get("relationship_ease"), 1, 5
        ),
    }
    owner = (row.get("owner") or "").strip()
    if owner:
        owner_id = ctx.lookups["users"].get(owner.lower())
        if owner_id is None:
            problems.add(line, "owner", f"no user {owner!r} in this tenant; create the user first")
        values["owner_id"] = owner_id
    return None if len(problems.items) > before else values


def _on_change(changed: dict[str, Any], current: dict[str, Any] | None) -> None:
    # A status set or changed by the import is dated, as if set by hand.
    if "status" in changed and (current is not None or changed["status"] != AccountStatus.active):
        changed["status_changed_at"] = utcnow()


SPEC = MasterDataSpec(
    kind="accounts",
    table=Account.__table__,  # type: ignore[arg-type]
    required_columns=REQUIRED,
    optional_columns=OPTIONAL,
    parse_row=_parse,
    load_lookups=_lookups,
    on_change=_on_change,
)


def import_accounts(
    store: Store, path: str | Path, tenant_slug: str, *, progress: ProgressCallback | None = None
) -> ImportStats:
    """Create or update accounts from a CSV or JSON file, keyed by ``external_id``.

    Columns: external_id and name (required), industry, city, country,
    language (de/en), status (active/insolvent/lost/do_not_contact),
    status_reason, owner (an existing user's username), relationship_ease
    (1-5). Empty cells leave stored values unchanged. Any bad row raises
    :class:`~agent.errors.ImportRowError` listing every problem; nothing is
    written then. Returns created/updated/unchanged counts.
    """
    return run_import(SPEC, store, path, tenant_slug, progress)

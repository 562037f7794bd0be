"""Importing dated CRM notes and interactions from CSV or JSON."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from agent.crm.db import Store
from agent.crm.importers import fields as f
from agent.crm.importers.contacts import account_lookup, resolve_account
from agent.crm.importers.readers import ProgressCallback
from agent.crm.importers.report import ImportStats
from agent.crm.importers.upsert import MasterDataSpec, RowContext, run_import
from agent.crm.models import Language, Note, NoteKind

REQUIRED = ("account_external_id", "occurred_at", "body")
OPTIONAL = ("external_id", "kind", "subject", "language")


def content_key(account: str, occurred_at: str, kind: str, subject: str, body: str) -> str:
    """A stable external id for a note exported without one.

    Without an id a re-import could not recognise the note and would add it
    again; hashing what the note says makes the same note map to the same key.
    """
    digest = hashlib.sha256("\x1f".join((account, occurred_at, kind, subject, body)).encode())
    return "h:" + digest.hexdigest()[:40]


def _parse(
    problems: f.Problems, line: int, row: dict[str, str], ctx: RowContext
) -> dict[str, Any] | None:
    before = len(problems.items)
    occurred = f.timestamp(problems, line, "occurred_at", row.get("occurred_at"), ctx.today)
    kind = f.choice(problems, line, "kind", row.get("kind"), NoteKind)
    subject = f.text(problems, line, "subject", row.get("subject"), max_len=300)
    body = f.text(problems, line, "body", row.get("body"), max_len=100_000, required=True)
    values: dict[str, Any] = {
        "external_id": f.text(problems, line, "external_id", row.get("external_id"), max_len=64),
        "account_id": resolve_account(problems, line, row, ctx),
        "occurred_at": occurred,
        "kind": kind,
        "subject": subject,
        "body": body,
        "language": f.choice(problems, line, "language", row.get("language"), Language),
    }
    if len(problems.items) > before:
        return None
    if values["external_id"] is None:
        values["external_id"] = content_key(
            (row.get("account_external_id") or "").strip(),
            occurred.isoformat() if occurred else "",
            kind.value if kind else "",
            subject or "",
            body or "",
        )
    return values


SPEC = MasterDataSpec(
    kind="notes",
    table=Note.__table__,  # type: ignore[arg-type]
    required_columns=REQUIRED,
    optional_columns=OPTIONAL,
    parse_row=_parse,
    load_lookups=account_lookup,
)


def import_notes(
    store: Store, path: str | Path, tenant_slug: str, *, progress: ProgressCallback | None = None
) -> ImportStats:
    """Create or update notes from a CSV or JSON file.

    Columns: account_external_id (an existing account), occurred_at (not in
    the future) and body (required); external_id, kind
    (note/call/visit/email/meeting/complaint, default note), subject,
    language (de/en). A note without external_id is keyed by a hash of its
    content so that re-importing it adds nothing. Any bad row raises
    :class:`~agent.errors.ImportRowError` listing every problem; nothing is
    written then. Returns created/updated/unchanged counts.
    """
    return run_import(SPEC, store, path, tenant_slug, progress)

"""The shared machinery of the master-data imports (accounts, contacts, notes).

Each master-data importer turns a record into a dict of column values; this
module runs the common steps around that: read the file, check required
columns, reject duplicate external ids, stop on any problem, then create new
rows and update changed ones by external id in one transaction, and record
the ``ImportRun``. An empty cell (or a missing optional column) means "not
given": new rows get the column default, existing rows keep their value. That
makes a re-import of the same file a no-op and lets partial exports (only
names, only statuses) update just what they carry.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from agent.crm.db import Store, get_or_create_tenant
from agent.crm.importers import fields as f
from agent.crm.importers.readers import ProgressCallback, inspect_file, read_records
from agent.crm.importers.report import ImportStats, new_stats, record_run
from agent.crm.models import utcnow
from agent.privacy.tombstones import erased_rows


@dataclass
class RowContext:
    """What a row parser needs besides the row: lookups and today's date."""

    session: Session
    tenant_id: int
    today: date
    lookups: dict[str, dict[str, int]]


#: Parses one record into column values (``None`` values are "not given").
RowParser = Callable[[f.Problems, int, dict[str, str], RowContext], dict[str, Any] | None]
#: Adjusts the values written for a changed row (e.g. a status change date).
ChangeHook = Callable[[dict[str, Any], dict[str, Any] | None], None]


@dataclass(frozen=True)
class MasterDataSpec:
    """How to import one kind of master data."""

    kind: str
    table: Table
    required_columns: tuple[str, ...]
    optional_columns: tuple[str, ...]
    parse_row: RowParser
    load_lookups: Callable[[Session, int], dict[str, dict[str, int]]]
    on_change: ChangeHook | None = None


def run_import(
    spec: MasterDataSpec,
    store: Store,
    path: str | Path,
    tenant_slug: str,
    progress: ProgressCallback | None = None,
) -> ImportStats:
    """Import ``path`` as ``spec.kind``; see the module docstring for the rules."""
    clock = time.perf_counter()
    started = utcnow()
    source = inspect_file(path)
    records = read_records(source, progress)
    lowered = [c.lower() for c in records.columns]
    f.require_columns(source.path.name, lowered, spec.required_columns, spec.kind)
    stats = new_stats(spec.kind, source.syntax, source)
    with store.session() as session:
        tenant = get_or_create_tenant(session, tenant_slug)
        ctx = RowContext(session, tenant.id, date.today(), spec.load_lookups(session, tenant.id))
        # Rows of erased subjects are skipped and counted, not errors (agent/privacy/tombstones).
        erased = erased_rows(session, tenant.id, spec.kind)
        problems = f.Problems(source.path.name)
        parsed: list[tuple[int, dict[str, Any]]] = []
        first_line: dict[str, int] = {}
        for line, record in records.rows:
            stats.rows_read += 1
            row = {k.lower(): v for k, v in record.items()}
            if erased(row):
                stats.skipped_erased += 1
                continue
            # Duplicates are checked on the raw id first so that a repeated id is
            # reported even when the row also has other problems.
            raw_id = (row.get("external_id") or "").strip()
            if raw_id and raw_id in first_line:
                problems.add(
                    line,
                    "external_id",
                    f"{raw_id!r} appears again (first on line {first_line[raw_id]})",
                )
                continue
            values = spec.parse_row(problems, line, row, ctx)
            key = raw_id or (values or {}).get("external_id")
            if key and key in first_line:  # a content key: the same note twice
                problems.add(line, "-", f"same record as line {first_line[key]}")
                continue
            if key:
                first_line[key] = line
            if values is None:
                continue
            parsed.append((line, values))
        problems.extend(records.problems)
        problems.raise_if_any()
        _write(session, spec, tenant.id, parsed, stats, progress)
        stats.seconds = round(time.perf_counter() - clock, 3)
        record_run(session, tenant.id, stats, source, started)
    return stats


def _write(
    session: Session,
    spec: MasterDataSpec,
    tenant_id: int,
    parsed: list[tuple[int, dict[str, Any]]],
    stats: ImportStats,
    progress: ProgressCallback | None,
) -> None:
    table = spec.table
    skip = ("id", "tenant_id", "created_at", "updated_at")
    compared = [col.name for col in table.columns if col.name not in skip]
    existing = {
        row.external_id: row._asdict()
        for row in session.execute(
            select(table.c.id, *[table.c[c] for c in compared]).where(
                table.c.tenant_id == tenant_id
            )
        )
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for _line, values in parsed:
        given = {k: v for k, v in values.items() if v is not None}
        current = existing.get(values["external_id"])
        if current is None:
            if spec.on_change is not None:
                spec.on_change(given, None)
            inserts.append({"tenant_id": tenant_id, **given})
            continue
        changed = {k: v for k, v in given.items() if current.get(k) != v}
        if not changed:
            stats.unchanged += 1
            continue
        if spec.on_change is not None:
            spec.on_change(changed, current)
        updates.append({"_id": current["id"], **changed})
    if inserts:
        # Rows differ in which columns they give; executemany needs one shape,
        # so missing columns are filled with the column defaults explicitly.
        keys = sorted({k for row in inserts for k in row})
        defaults = {k: _default(table, k) for k in keys}
        session.execute(insert(table), [{**defaults, **row} for row in inserts])
    for row in updates:
        # Changed columns differ per row, so these are single statements; master
        # data files are small (thousands of rows), unlike order files.
        columns: dict[str, Any] = {k: bindparam(k) for k in row if k != "_id"}
        if "updated_at" in table.c:
            columns["updated_at"] = bindparam("updated_at")
            row["updated_at"] = utcnow()
        session.execute(update(table).where(table.c.id == bindparam("_id")).values(columns), row)
    stats.created = len(inserts)
    stats.updated = len(updates)
    if progress is not None:
        progress("writing", len(parsed), len(parsed))


def _default(table: Table, column: str) -> Any:
    default = table.c[column].default
    if default is None:
        return None
    if default.is_callable:
        return default.arg(None)  # type: ignore[attr-defined]
    return default.arg  # type: ignore[attr-defined]

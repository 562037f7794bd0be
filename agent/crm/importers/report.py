"""The result of an import (:class:`ImportStats`) and its ``ImportRun`` record."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from agent.crm.importers.readers import SourceFile
from agent.crm.models import ImportRun, table_of, utcnow


@dataclass
class ImportStats:
    """What one import did; the CLI prints it as a table or as JSON.

    Order imports fill the order fields, master-data imports (accounts,
    contacts, notes) fill ``created``/``updated``/``unchanged``.
    """

    kind: str
    source_format: str
    filename: str
    sha256: str
    rows_read: int = 0
    orders_imported: int = 0
    lines_imported: int = 0
    cancellations: int = 0
    skipped_no_customer: int = 0
    adjustments: int = 0
    orders_already_present: int = 0
    lines_already_present: int = 0
    accounts_created: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_erased: int = 0  # rows of erased accounts/contacts (DSGVO tombstones)
    seconds: float = 0.0
    import_run_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """All figures as a JSON-friendly dict."""
        return asdict(self)

    def summary_rows(self) -> list[tuple[str, str]]:
        """(label, value) pairs relevant to this kind of import, for a summary table."""
        if self.kind == "orders":
            fields = [
                ("rows read", self.rows_read),
                ("orders imported", self.orders_imported),
                ("order lines imported", self.lines_imported),
                ("cancellations (orders)", self.cancellations),
                ("skipped: no customer id", self.skipped_no_customer),
                ("skipped: adjustments", self.adjustments),
                ("orders already present", self.orders_already_present),
                ("accounts created", self.accounts_created),
                ("skipped: erased (DSGVO)", self.skipped_erased),
            ]
        else:
            fields = [
                ("rows read", self.rows_read),
                ("created", self.created),
                ("updated", self.updated),
                ("unchanged", self.unchanged),
                ("skipped: erased (DSGVO)", self.skipped_erased),
            ]
        rows = [(label, f"{value:,}") for label, value in fields]
        rows.append(("seconds", f"{self.seconds:.1f}"))
        return rows


def new_stats(kind: str, source_format: str, source: SourceFile) -> ImportStats:
    """Empty statistics for an import of ``source``."""
    return ImportStats(
        kind=kind, source_format=source_format, filename=source.path.name, sha256=source.sha256
    )


def record_run(
    session: Session, tenant_id: int, stats: ImportStats, source: SourceFile, started: datetime
) -> int:
    """Write the ``ImportRun`` row for a finished import and return its id."""
    stats_dict = stats.as_dict()
    for key in ("kind", "source_format", "filename", "sha256", "import_run_id"):
        stats_dict.pop(key)
    result = session.execute(
        insert(table_of(ImportRun)).values(
            tenant_id=tenant_id,
            kind=stats.kind,
            source_format=stats.source_format,
            filename=str(source.path)[-500:],
            sha256=source.sha256,
            started_at=started,
            finished_at=utcnow(),
            stats=stats_dict,
        )
    )
    run_id = result.inserted_primary_key[0]  # type: ignore[attr-defined]
    stats.import_run_id = int(run_id)
    return int(run_id)

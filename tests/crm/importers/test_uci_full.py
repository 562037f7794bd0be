"""End to end: the real UCI Online Retail file (541,909 lines) from ../shared.

The expected figures are computed here with the csv module, independently of
the importer, and compared with what it stored. One run on SQLite; the
PostgreSQL run is marked slow.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.crm.db import open_store
from agent.crm.importers import import_orders
from agent.crm.models import Account, Order, OrderLine
from tests.conftest import pg_database

pytestmark = pytest.mark.shared_data


def _expected(path: Path) -> dict[str, object]:
    customers: set[str] = set()
    invoices: set[str] = set()
    cancellations: set[str] = set()
    rows = lines = skipped = adjustments = 0
    revenue = Decimal("0")
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            rows += 1
            if row["InvoiceNo"].startswith("A"):
                adjustments += 1
                continue
            if not row["CustomerID"]:
                skipped += 1
                continue
            customers.add(row["CustomerID"].removesuffix(".0"))
            invoices.add(row["InvoiceNo"])
            if row["InvoiceNo"].startswith("C"):
                cancellations.add(row["InvoiceNo"])
            lines += 1
            amount = Decimal(row["Quantity"]) * Decimal(row["UnitPrice"])
            revenue += amount.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    return {
        "rows_read": rows,
        "orders_imported": len(invoices),
        "lines_imported": lines,
        "cancellations": len(cancellations),
        "skipped_no_customer": skipped,
        "adjustments": adjustments,
        "accounts_created": len(customers),
        "revenue": revenue,
    }


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=[pytest.mark.slow, pytest.mark.postgres])]
)
def full_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'uci.db'}"
        return
    with pg_database(request.getfixturevalue("pg_admin")) as url:
        yield url


def test_full_uci_file(shared_dir: Path, full_db: str) -> None:
    path = shared_dir / "data" / "online_retail" / "online_retail_uci352.csv.gz"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    expected = _expected(path)
    assert expected["accounts_created"] == 4372 and expected["rows_read"] == 541_909
    store = open_store(full_db)
    stats = import_orders(store, path, "uci")
    for key, value in expected.items():
        if key != "revenue":
            assert getattr(stats, key) == value, key
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 4372
        assert session.scalar(select(func.count()).select_from(OrderLine)) == 406_829
        assert (
            session.scalar(select(func.count()).select_from(Order).where(Order.is_cancellation))
            == expected["cancellations"]
        )
        total = session.scalar(select(func.sum(Order.total_amount)))
    assert Decimal(str(total)).quantize(Decimal("0.01")) == expected["revenue"]

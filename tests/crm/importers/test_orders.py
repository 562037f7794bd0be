"""Order import: generic and UCI layouts, validation, idempotency (SQLite and PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.crm.db import Store
from agent.crm.importers import import_orders
from agent.crm.importers.orders import detect_format
from agent.crm.models import Account, ImportRun, Order, OrderLine
from agent.errors import ImportRowError, ValidationError
from tests.crm.importers.conftest import count_rows


def test_generic_layout_imports_orders_lines_accounts(store: Store, fixtures: Path) -> None:
    stats = import_orders(store, fixtures / "orders_generic.csv", "acme")
    assert stats.source_format == "generic"
    assert (stats.rows_read, stats.orders_imported, stats.lines_imported) == (5, 4, 5)
    assert (stats.cancellations, stats.accounts_created) == (1, 2)
    with store.session() as session:
        accounts = {a.external_id: a for a in session.scalars(select(Account))}
        assert accounts["K100"].name == "Müller Maschinenbau GmbH"
        assert accounts["K200"].country == "Österreich"
        orders = {o.external_id: o for o in session.scalars(select(Order))}
        # 5 x 12.50 + 5 x 4,20 (German decimal comma)
        assert orders["A-1001"].total_amount == Decimal("83.50")
        assert orders["A-1002"].order_date.day == 15
        assert orders["S-1001"].is_cancellation and orders["S-1001"].total_amount == Decimal("-25")
        run = session.scalars(select(ImportRun)).one()
        assert run.kind == "orders" and run.source_format == "generic"
        assert run.sha256 == stats.sha256 and run.stats["lines_imported"] == 5


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_generic_layout_in_other_encodings(
    store: Store, fixtures: Path, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes((fixtures / "orders_generic.csv").read_text("utf-8").encode(encoding))
    import_orders(store, path, "acme")
    with store.session() as session:
        names = set(session.scalars(select(Account.name)))
    assert names == {"Müller Maschinenbau GmbH", "Straße & Söhne KG"}


def test_reimport_is_idempotent(store: Store, fixtures: Path) -> None:
    import_orders(store, fixtures / "orders_generic.csv", "acme")
    before = count_rows(store)
    again = import_orders(store, fixtures / "orders_generic.csv", "acme")
    assert (again.orders_imported, again.lines_imported, again.accounts_created) == (0, 0, 0)
    assert again.orders_already_present == 4
    after = count_rows(store)
    assert after == {**before, "import_runs": before["import_runs"] + 1}


def test_uci_sample(store: Store, fixtures: Path) -> None:
    stats = import_orders(store, fixtures / "uci_sample.csv", "shop")
    assert stats.source_format == "uci"
    assert stats.rows_read == 24
    assert (stats.skipped_no_customer, stats.adjustments) == (3, 3)
    assert (stats.orders_imported, stats.cancellations, stats.lines_imported) == (7, 3, 18)
    with store.session() as session:
        ids = set(session.scalars(select(Account.external_id)))
        assert ids == {"17850", "13047", "17908", "14527", "15311", "17548"}
        order = session.scalars(select(Order).where(Order.external_id == "536409")).one()
        assert order.currency == "GBP"
        lines = session.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.line_no)
        ).all()
        # Identical lines of one invoice stay separate lines.
        assert [line.line_no for line in lines] == [1, 2]
        assert lines[0].sku == lines[1].sku == "21866"
        account = session.scalars(select(Account).where(Account.external_id == "17850")).one()
        assert account.name == "Customer 17850" and account.country == "United Kingdom"


def test_bad_rows_are_all_reported_and_nothing_is_written(store: Store, fixtures: Path) -> None:
    import_orders(store, fixtures / "orders_generic.csv", "acme")
    before = count_rows(store)
    with pytest.raises(ImportRowError) as info:
        import_orders(store, fixtures / "orders_bad.csv", "acme")
    problems = {(line, field) for line, field, _ in info.value.problems}
    assert problems == {
        (2, "order_date"),
        (3, "quantity"),
        (4, "unit_price"),
        (5, "order_date"),
        (6, "quantity"),
        (7, "unit_price"),
        (8, "customer_id"),
    }
    reasons = " ".join(reason for _, _, reason in info.value.problems)
    assert "future" in reasons and "not a cancellation" in reasons and "exceeds" in reasons
    assert "7 problem(s)" in str(info.value)
    assert count_rows(store) == before


def test_require_accounts_names_the_row(store: Store, fixtures: Path) -> None:
    with pytest.raises(ImportRowError) as info:
        import_orders(store, fixtures / "orders_generic.csv", "acme", require_accounts=True)
    assert (2, "customer_id") in {(p[0], p[1]) for p in info.value.problems}
    assert "unknown account 'K100'" in info.value.problems[0][2]
    assert count_rows(store)["orders"] == 0


def test_missing_columns_are_named(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("order_id,customer,order_date,quantity\n1,2,2023-01-01,1\n")
    with pytest.raises(ValidationError) as info:
        import_orders(store, path, "acme")
    message = str(info.value)
    assert "missing column(s)" in message and "customer_id" in message and "unit_price" in message
    assert "Found: order_id, customer, order_date, quantity" in message


def test_forced_uci_format_on_generic_file(store: Store, fixtures: Path) -> None:
    with pytest.raises(ValidationError, match="InvoiceNo"):
        import_orders(store, fixtures / "orders_generic.csv", "acme", fmt="uci")


def test_inconsistent_order_lines_are_rejected(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text(
        "order_id,customer_id,order_date,sku,description,quantity,unit_price\n"
        "X1,K1,2023-01-01,a,,1,1\n"
        "X1,K2,2023-01-01,b,,1,1\n"
    )
    with pytest.raises(ImportRowError) as info:
        import_orders(store, path, "acme")
    assert info.value.problems == [
        (3, "customer_id", "'K2' differs from 'K1' on line 2 of the same order")
    ]


def test_settings_limits_apply(store: Store, fixtures: Path) -> None:
    from agent.settings import configure

    configure(database_url=str(store.engine.url), max_unit_price=15)
    with pytest.raises(ImportRowError) as info:
        import_orders(store, fixtures / "orders_generic.csv", "acme")
    assert {(p[0], p[1]) for p in info.value.problems} == {(4, "unit_price")}


def test_detect_format() -> None:
    assert detect_format(["InvoiceNo", "StockCode", "Quantity"]) == "uci"
    assert detect_format(["order_id", "sku"]) == "generic"

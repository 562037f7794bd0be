"""Importing order lines: the generic CSV layout and the UCI Online Retail layout.

The import runs in two steps inside one transaction. First every row is
parsed and checked and the good ones are kept as compact tuples; if any row
is bad, :class:`~agent.errors.ImportRowError` lists all problems and nothing
is written. Then accounts, orders and lines are written with SQLAlchemy Core
``executemany`` in batches, which is what makes the 541,909-line UCI file fit
the one-minute budget on SQLite (ORM objects per row would not).

Re-importing is idempotent: orders are keyed by ``(tenant, external id)`` and
an order that already exists is left as it is and counted as already present.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from agent.crm.db import Store, get_or_create_tenant
from agent.crm.importers import fields as f
from agent.crm.importers.readers import ProgressCallback, SourceFile, inspect_file, read_records
from agent.crm.importers.report import ImportStats, new_stats, record_run
from agent.crm.models import Account, Order, OrderLine, table_of, utcnow
from agent.errors import ValidationError
from agent.privacy.tombstones import erased_ids
from agent.settings import get_settings

#: Columns of the generic layout that must be present (values of sku and
#: description may be empty).
GENERIC_REQUIRED = (
    "order_id",
    "customer_id",
    "order_date",
    "sku",
    "description",
    "quantity",
    "unit_price",
)
GENERIC_OPTIONAL = ("currency", "customer_name", "country", "is_cancellation")
#: UCI Online Retail column -> our canonical name.
UCI_COLUMNS = {
    "InvoiceNo": "order_id",
    "StockCode": "sku",
    "Description": "description",
    "Quantity": "quantity",
    "InvoiceDate": "order_date",
    "UnitPrice": "unit_price",
    "CustomerID": "customer_id",
    "Country": "country",
}
FORMATS = ("auto", "generic", "uci")
_CENT = Decimal("0.01")
_BATCH = 10_000


@dataclass(slots=True)
class _Order:
    """What we know about one order while reading its lines."""

    customer: str
    first_line: int
    order_date: datetime
    is_cancellation: bool
    currency: str
    total: Decimal = Decimal("0")
    lines: int = 0
    new: bool = True


@dataclass
class _Parsed:
    orders: dict[str, _Order] = field(default_factory=dict)
    # (order external id, line_no, sku, description, quantity, unit price, amount)
    lines: list[tuple[str, int, str | None, str | None, float, Decimal, Decimal]] = field(
        default_factory=list
    )
    # customer id -> (name, country), first occurrence wins
    customers: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)


def detect_format(columns: list[str]) -> str:
    """Return "uci" when the header is the UCI Online Retail one, else "generic"."""
    lowered = {c.lower() for c in columns}
    return "uci" if "invoiceno" in lowered and "stockcode" in lowered else "generic"


def _column_map(source: SourceFile, columns: list[str], fmt: str) -> dict[str, str]:
    """Map canonical names to the file's column names, or raise naming what is missing."""
    by_lower = {c.lower(): c for c in columns}
    if fmt == "uci":
        if any(c.lower() not in by_lower for c in UCI_COLUMNS):
            f.require_columns(source.path.name, columns, UCI_COLUMNS, "UCI Online Retail")
        return {canon: by_lower[col.lower()] for col, canon in UCI_COLUMNS.items()}
    if any(c not in by_lower for c in GENERIC_REQUIRED):
        f.require_columns(source.path.name, columns, GENERIC_REQUIRED, "generic orders")
    return {c: by_lower[c] for c in GENERIC_REQUIRED + GENERIC_OPTIONAL if c in by_lower}


def import_orders(
    store: Store,
    path: str | Path,
    tenant_slug: str,
    *,
    fmt: str = "auto",
    require_accounts: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportStats:
    """Import order lines from a CSV file (``.csv`` or ``.csv.gz``) into ``tenant_slug``.

    ``fmt`` is "generic" (docs/import-formats.md), "uci" (UCI Online Retail) or
    "auto" (decided from the header). Every row is checked before anything is
    written; any bad row raises :class:`~agent.errors.ImportRowError` with all
    problems (line, field, reason) and leaves the database unchanged. Unknown
    customer ids become new accounts unless ``require_accounts`` is set, in
    which case each such row is a problem. UCI rows without a customer id and
    "A" (bad-debt adjustment) invoices are skipped and counted; "C" invoices
    are stored as cancellations. Orders already in the database are left
    unchanged and counted. ``progress(phase, done, total)`` is called now and
    then for a progress bar. Returns the figures of the run, which are also
    stored as an ``ImportRun`` row.
    """
    if fmt not in FORMATS:
        raise ValidationError(f"Unknown order format {fmt!r}: use one of {', '.join(FORMATS)}.")
    clock = time.perf_counter()
    started = utcnow()
    source = inspect_file(path)
    records = read_records(source, progress)
    used_format = detect_format(records.columns) if fmt == "auto" else fmt
    columns = _column_map(source, records.columns, used_format)
    stats = new_stats("orders", used_format, source)
    with store.session() as session:
        tenant = get_or_create_tenant(session, tenant_slug)
        accounts = _account_ids(session, tenant.id)
        existing_orders = set(
            session.scalars(select(Order.external_id).where(Order.tenant_id == tenant.id))
        )
        problems = f.Problems(source.path.name)
        parsed = _parse(
            records.rows,
            columns,
            used_format,
            stats,
            problems,
            accounts,
            existing_orders,
            require_accounts,
            erased_ids(session, tenant.id, "account"),
        )
        problems.extend(records.problems)
        problems.raise_if_any()
        _write(session, tenant.id, parsed, accounts, stats, progress)
        stats.seconds = round(time.perf_counter() - clock, 3)
        record_run(session, tenant.id, stats, source, started)
    _refresh_statistics(store)
    return stats


def _refresh_statistics(store: Store) -> None:
    """Refresh PostgreSQL's planner statistics after a bulk load.

    Right after a large import the statistics are empty and the planner picks
    nested loops for the plan's grouped queries (seen: 75 s instead of 1 s).
    SQLite needs nothing here.
    """
    if store.engine.dialect.name != "postgresql":
        return
    with store.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE orders, order_lines, accounts")
        connection.commit()


def _account_ids(session: Session, tenant_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Account.external_id, Account.id).where(Account.tenant_id == tenant_id)
    )
    return {external_id: account_id for external_id, account_id in rows}


def _parse(
    rows: Iterator[tuple[int, dict[str, Any]]],
    columns: dict[str, str],
    fmt: str,
    stats: ImportStats,
    problems: f.Problems,
    accounts: dict[str, int],
    existing_orders: set[str],
    require_accounts: bool,
    erased: Callable[[str], bool] = lambda _customer: False,
) -> _Parsed:
    """Check every row and collect the good ones; problems go to ``problems``."""
    settings = get_settings()
    max_qty, max_price = settings.max_quantity, Decimal(str(settings.max_unit_price))
    today = date.today()
    uci = fmt == "uci"
    default_currency = "GBP" if uci else "EUR"
    c_order, c_cust, c_date = columns["order_id"], columns["customer_id"], columns["order_date"]
    c_qty, c_price = columns["quantity"], columns["unit_price"]
    c_sku, c_desc = columns["sku"], columns["description"]
    c_country, c_name = columns.get("country"), columns.get("customer_name")
    c_cur, c_cancel = columns.get("currency"), columns.get("is_cancellation")
    # Caches: the UCI file repeats dates, prices and product texts thousands of
    # times; parsing each distinct value once and sharing the objects saves
    # both time and most of the memory of the collected lines.
    dates: dict[str, datetime | None] = {}
    prices: dict[str, Decimal | None] = {}
    strings: dict[str, str] = {}
    out = _Parsed()
    orders, lines, customers = out.orders, out.lines, out.customers
    for line, row in rows:
        stats.rows_read += 1
        order_id = f.text(problems, line, "order_id", row[c_order], max_len=64, required=True)
        if order_id is None:
            continue
        if uci and order_id.startswith("A"):
            stats.adjustments += 1
            continue
        customer = (row[c_cust] or "").strip()
        if not customer:
            if uci:
                stats.skipped_no_customer += 1
            else:
                problems.add(line, "customer_id", "is empty but required")
            continue
        if uci and customer.endswith(".0"):
            customer = customer[:-2]
        if len(customer) > 64:
            problems.add(line, "customer_id", "is longer than 64 characters")
            continue
        if erased(customer):  # an erased account (DSGVO): skip and count, never recreate
            stats.skipped_erased += 1
            continue
        if uci:
            is_cancellation = order_id.startswith("C")
        elif c_cancel:
            flag = f.boolean(problems, line, "is_cancellation", row[c_cancel])
            is_cancellation = bool(flag)
        else:
            is_cancellation = False
        raw_date = row[c_date]
        if raw_date in dates:
            when = dates[raw_date]
            if when is None:  # parse again to report this line too
                f.timestamp(problems, line, "order_date", raw_date, today)
        else:
            when = dates[raw_date] = f.timestamp(problems, line, "order_date", raw_date, today)
        qty = _quantity(problems, line, row[c_qty])
        if qty is not None:
            if qty < 0 and not is_cancellation:
                problems.add(
                    line, "quantity", f"{qty:g} is negative on an order that is not a cancellation"
                )
                qty = None
            elif abs(qty) > max_qty:
                problems.add(line, "quantity", f"{qty:g} exceeds the limit of {max_qty:g}")
                qty = None
        raw_price = row[c_price]
        price = prices.get(raw_price)
        if price is None:
            price = f.number(problems, line, "unit_price", raw_price)
            if price is not None and price < 0:
                problems.add(line, "unit_price", f"{raw_price.strip()} is negative")
                price = None
            elif price is not None and price > max_price:
                problems.add(
                    line, "unit_price", f"{raw_price.strip()} exceeds the limit of {max_price}"
                )
                price = None
            elif price is not None:
                prices[raw_price] = price
        sku = f.text(problems, line, "sku", row[c_sku], max_len=64)
        desc = f.text(problems, line, "description", row[c_desc], max_len=500)
        currency = default_currency
        if c_cur and (row[c_cur] or "").strip():
            currency = row[c_cur].strip().upper()
            if len(currency) != 3 or not currency.isalpha():
                problems.add(line, "currency", f"{row[c_cur]!r} is not a 3-letter currency code")
        name = f.text(problems, line, "customer_name", row[c_name], max_len=300) if c_name else None
        country = (
            f.text(problems, line, "country", row[c_country], max_len=100) if c_country else None
        )
        if customer not in accounts and customer not in customers:
            if require_accounts:
                problems.add(
                    line,
                    "customer_id",
                    f"unknown account {customer!r} "
                    "(--require-accounts is set; import accounts first)",
                )
            customers[customer] = (name, country)
        if when is None or qty is None or price is None:
            continue
        order = orders.get(order_id)
        if order is None:
            order = orders[order_id] = _Order(
                customer, line, when, is_cancellation, currency, new=order_id not in existing_orders
            )
        else:
            if order.customer != customer:
                problems.add(
                    line,
                    "customer_id",
                    f"{customer!r} differs from {order.customer!r} "
                    f"on line {order.first_line} of the same order",
                )
            if order.is_cancellation != is_cancellation:
                problems.add(
                    line,
                    "is_cancellation",
                    f"differs from line {order.first_line} of the same order",
                )
            if order.currency != currency:
                problems.add(
                    line,
                    "currency",
                    f"{currency} differs from {order.currency} on line "
                    f"{order.first_line} of the same order",
                )
            if when < order.order_date:
                order.order_date = when
        order.lines += 1
        if not order.new:
            stats.lines_already_present += 1
            continue
        amount = (Decimal(repr(qty)) * price).quantize(_CENT, rounding=ROUND_HALF_UP)
        order.total += amount
        if sku is not None:
            sku = strings.setdefault(sku, sku)
        if desc is not None:
            desc = strings.setdefault(desc, desc)
        lines.append((order_id, order.lines, sku, desc, qty, price, amount))
    return out


def _quantity(problems: f.Problems, line: int, raw: str) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        parsed = f.number(problems, line, "quantity", raw)
        return None if parsed is None else float(parsed)
    if not math.isfinite(value):
        problems.add(line, "quantity", f"{raw!r} is not a finite number")
        return None
    return value


def _write(
    session: Session,
    tenant_id: int,
    parsed: _Parsed,
    accounts: dict[str, int],
    stats: ImportStats,
    progress: ProgressCallback | None,
) -> None:
    """Insert new accounts, orders and lines with Core executemany in batches."""
    new_accounts = [
        {
            "tenant_id": tenant_id,
            "external_id": cid,
            "name": name or f"Customer {cid}",
            "country": country,
        }
        for cid, (name, country) in parsed.customers.items()
        if cid not in accounts
    ]
    if new_accounts:
        for start in range(0, len(new_accounts), _BATCH):
            session.execute(insert(table_of(Account)), new_accounts[start : start + _BATCH])
        accounts.update(_account_ids(session, tenant_id))
    stats.accounts_created = len(new_accounts)

    new_orders = []
    for external_id, order in parsed.orders.items():
        if not order.new:
            stats.orders_already_present += 1
            continue
        new_orders.append(
            {
                "tenant_id": tenant_id,
                "account_id": accounts[order.customer],
                "external_id": external_id,
                "order_date": order.order_date,
                "is_cancellation": order.is_cancellation,
                "total_amount": order.total,
                "currency": order.currency,
            }
        )
        stats.cancellations += order.is_cancellation
    for start in range(0, len(new_orders), _BATCH):
        session.execute(insert(table_of(Order)), new_orders[start : start + _BATCH])
    stats.orders_imported = len(new_orders)
    if not parsed.lines:
        return
    order_ids = dict(
        session.execute(select(Order.external_id, Order.id).where(Order.tenant_id == tenant_id))
        .tuples()
        .all()
    )
    total = len(parsed.lines)
    table = table_of(OrderLine)
    for start in range(0, total, _BATCH):
        batch = [
            {
                "order_id": order_ids[ext],
                "line_no": line_no,
                "sku": sku,
                "description": desc,
                "quantity": qty,
                "unit_price": price,
                "amount": amount,
            }
            for ext, line_no, sku, desc, qty, price, amount in parsed.lines[start : start + _BATCH]
        ]
        session.execute(insert(table), batch)
        if progress is not None:
            progress("writing", min(start + _BATCH, total), total)
    stats.lines_imported = total

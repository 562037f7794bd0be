"""``winback import``: summary output, JSON output, exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

from agent.crm.db import open_store
from tests.conftest import Cli
from tests.crm.importers.conftest import FIXTURES, count_rows


def test_import_orders_prints_json(sqlite_url: str, cli: Cli) -> None:
    code, out, _ = cli(
        ["import", "orders", str(FIXTURES / "uci_sample.csv"), "--db", sqlite_url, "--json"]
    )
    assert code == 0
    stats = json.loads(out)
    assert stats["source_format"] == "uci" and stats["orders_imported"] == 7


def test_bad_master_data_exits_2(sqlite_url: str, cli: Cli) -> None:
    path = FIXTURES / "contacts.csv"
    code, _, err = cli(["import", "accounts", str(FIXTURES / "accounts.json"), "--db", sqlite_url])
    assert code == 2
    assert "line 4, field relationship_ease" in err
    code, _, err = cli(["import", "contacts", str(path), "--db", sqlite_url, "--tenant", "t1"])
    assert code == 2
    assert "no account 'K100'" in err


def test_bad_orders_exit_2_and_leave_db_unchanged(sqlite_url: str, cli: Cli) -> None:
    code, _, err = cli(["import", "orders", str(FIXTURES / "orders_bad.csv"), "--db", sqlite_url])
    assert code == 2
    assert "nothing was imported" in err and "line 3, field quantity" in err
    assert "Traceback" not in err
    assert count_rows(open_store(sqlite_url))["orders"] == 0


def test_missing_file_and_table_output(sqlite_url: str, tmp_path: Path, cli: Cli) -> None:
    code, _, err = cli(["import", "notes", str(tmp_path / "none.json"), "--db", sqlite_url])
    assert code == 4
    assert "not found" in err
    code, out, _ = cli(
        ["import", "orders", str(FIXTURES / "orders_generic.csv"), "--db", sqlite_url]
    )
    assert code == 0
    assert "orders imported" in out and "accounts created" in out

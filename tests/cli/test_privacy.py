"""``winback privacy erase|export|purge`` as an operator runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.crm.db import open_store
from agent.settings import configure, get_settings
from tests.conftest import Cli
from tests.privacy import seed as world


@pytest.fixture
def seeded_db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("WINBACK_EMBEDDINGS_BACKEND", "fake")
    configure(database_url=sqlite_url)
    world.seed(open_store(sqlite_url), get_settings())
    return sqlite_url


def test_erase_needs_yes(seeded_db: str, cli: Cli) -> None:
    code, _out, err = cli(["privacy", "erase", "account", "K-1", "--db", seeded_db])
    assert code == 2 and "--yes" in err and "Traceback" not in err
    assert world.database_hits(open_store(seeded_db), (world.IBAN,))  # nothing erased


def test_erase_account_json_report(seeded_db: str, cli: Cli) -> None:
    argv = ["privacy", "erase", "account", "K-1", "--yes", "--json", "--db", seeded_db]
    code, out, err = cli(argv)
    assert code == 0, err
    report = json.loads(out)
    assert report["deleted"]["accounts"] == 1 and report["audio_files_deleted"] == 2
    assert report["database_compaction"].startswith("sqlite: VACUUM")
    assert world.database_hits(open_store(seeded_db), world.ACCOUNT_PII) == {}
    code, _out, err = cli(argv)  # again: the account is gone
    assert code == 4 and "K-1" in err and "Traceback" not in err


def test_erase_contact_table(seeded_db: str, cli: Cli) -> None:
    code, out, err = cli(["privacy", "erase", "contact", "C-1", "--yes", "--db", seeded_db])
    assert code == 0, err
    assert "contacts deleted" in out and "re-import blocked" in out


def test_export_to_file(seeded_db: str, cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "out" / "k1.json"
    argv = ["privacy", "export", "account", "K-1", "--out", str(target), "--db", seeded_db]
    code, _out, err = cli(argv)
    assert code == 0, err
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["subject"] == {"kind": "account", "external_id": "K-1"}
    assert target.stat().st_mode & 0o777 == 0o600


def test_bad_kind_and_unknown_id(seeded_db: str, cli: Cli) -> None:
    code, _out, err = cli(["privacy", "export", "person", "K-1", "--db", seeded_db])
    assert code == 2 and "account or contact" in err
    code, _out, err = cli(["privacy", "export", "contact", "C-404", "--db", seeded_db])
    assert code == 4 and "C-404" in err and "Traceback" not in err


def test_purge_dry_run(seeded_db: str, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WINBACK_RETENTION_NOTES_DAYS", "365")
    configure(database_url=seeded_db)  # re-read the environment
    code, out, err = cli(["privacy", "purge", "--dry-run", "--json", "--db", seeded_db])
    assert code == 0, err
    report = json.loads(out)
    assert report["dry_run"] and report["notes"] == 3 and report["policies"]["notes_days"] == 365
    code, out, _err = cli(["privacy", "purge", "--db", seeded_db])
    assert code == 0 and "deleted" in out

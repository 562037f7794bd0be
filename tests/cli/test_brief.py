"""``winback brief ACCOUNT`` and ``winback index rebuild`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.crm.db import open_store
from agent.crm.models import StoredBrief
from tests.conftest import Cli
from tests.history.fixtures import AS_OF, Crm, build_crm

pytestmark = [pytest.mark.local_model]


@pytest.fixture
def cli_db(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, pytestconfig: pytest.Config
) -> tuple[str, Crm]:
    """A CRM in SQLite, real local embeddings, and the fake chat backend (empty queue)."""
    monkeypatch.setenv(
        "WINBACK_MODEL_CACHE_DIR", str(Path(pytestconfig.cache.mkdir("winback-models")))
    )
    monkeypatch.setenv("WINBACK_CHAT_BACKEND", "fake")
    return sqlite_url, build_crm(open_store(sqlite_url))


def test_brief_json_for_an_excluded_account_and_versions(cli_db, cli: Cli) -> None:  # type: ignore[no-untyped-def]
    url, crm = cli_db
    argv = ["brief", "K-400", "--json", "--db", url, "--tenant", "acme", "--as-of", str(AS_OF)]
    code, out, err = cli(argv)
    assert code == 0, err
    data = json.loads(out)
    assert data["account_external_id"] == "K-400" and data["should_call"] is False
    assert data["call_reason"].startswith("Nicht anrufen")
    assert data["as_of"] == "2026-11-02"
    assert "Building the history index" in err  # first use builds the index
    code, out, err = cli([*argv[:2], "--markdown", *argv[3:]])
    assert code == 0 and out.startswith("# Gesprächsvorbereitung: Pleite KG (K-400)")
    with open_store(url).session() as s:
        assert sorted(
            r.version for r in s.query(StoredBrief).filter_by(account_id=crm.insolvent_account)
        ) == [1, 2]


def test_brief_by_database_id_html_and_no_save(cli_db, cli: Cli) -> None:  # type: ignore[no-untyped-def]
    url, crm = cli_db
    code, out, err = cli(
        ["brief", str(crm.empty_account), "--html", "--no-save", "--db", url, "--tenant", "acme"]
    )
    assert code == 0, err
    assert out.startswith('<article class="brief" lang="de">') and "Leer GmbH" in out
    with open_store(url).session() as s:
        assert s.query(StoredBrief).count() == 0


def test_bad_input_gives_clear_errors(cli_db, cli: Cli) -> None:  # type: ignore[no-untyped-def]
    url, _ = cli_db
    code, _, err = cli(["brief", "K-999", "--db", url, "--tenant", "acme"])
    assert code == 4 and "Account 'K-999' does not exist" in err and "Traceback" not in err
    code, _, err = cli(["brief", "K-100", "--db", url, "--tenant", "nobody"])
    assert code == 4 and "Tenant 'nobody' does not exist" in err
    code, _, err = cli(["brief", "K-100", "--db", url, "--tenant", "acme", "--as-of", "gestern"])
    assert code == 2 and "--as-of must be a date" in err
    # The fake chat backend has no reply queued: a model failure is a clear error too.
    code, _, err = cli(["brief", "K-100", "--db", url, "--tenant", "acme"])
    assert code == 69 and "Error:" in err and "Traceback" not in err


def test_index_rebuild(cli_db, cli: Cli) -> None:  # type: ignore[no-untyped-def]
    url, _ = cli_db
    code, out, err = cli(["index", "rebuild", "--db", url, "--tenant", "acme"])
    assert code == 0, err
    assert "History index of tenant acme: 4 chunks." in out

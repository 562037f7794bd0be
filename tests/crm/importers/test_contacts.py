"""Contact import: accounts must exist; idempotent by external id."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from agent.crm.db import Store
from agent.crm.importers import import_accounts, import_contacts
from agent.crm.models import Contact
from agent.errors import ImportRowError, ValidationError
from tests.crm.importers.conftest import count_rows


def _accounts(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "acc.csv"
    path.write_text("external_id,name\nK100,Müller\nK300,Acme\n")
    import_accounts(store, path, "acme")


def test_contacts_created_and_reimport_unchanged(
    store: Store, fixtures: Path, tmp_path: Path
) -> None:
    _accounts(store, tmp_path)
    stats = import_contacts(store, fixtures / "contacts.csv", "acme")
    assert (stats.created, stats.updated, stats.unchanged) == (2, 0, 0)
    with store.session() as session:
        contacts = {c.external_id: c for c in session.scalars(select(Contact))}
    assert contacts["P1"].name == "Jürgen Weiß" and contacts["P1"].is_primary is True
    assert contacts["P2"].is_primary is False and contacts["P2"].phone is None
    again = import_contacts(store, fixtures / "contacts.csv", "acme")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_unknown_account_and_bad_email(store: Store, tmp_path: Path) -> None:
    _accounts(store, tmp_path)
    before = count_rows(store)
    path = tmp_path / "c.csv"
    path.write_text(
        "external_id,account_external_id,name,email,is_primary\n"
        "P1,K999,Hans,hans@example.de,\n"
        "P2,K100,Eva,not-an-address,vielleicht\n"
    )
    with pytest.raises(ImportRowError) as info:
        import_contacts(store, path, "acme")
    assert [(p[0], p[1]) for p in info.value.problems] == [
        (2, "account_external_id"),
        (3, "email"),
        (3, "is_primary"),
    ]
    assert count_rows(store) == before


def test_missing_required_column(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("external_id,name\nP1,Hans\n")
    with pytest.raises(ValidationError, match="account_external_id"):
        import_contacts(store, path, "acme")

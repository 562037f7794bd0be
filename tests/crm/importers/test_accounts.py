"""Account import: create, update by external id, owner lookup, validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from agent.crm.db import Store, get_or_create_tenant
from agent.crm.importers import import_accounts
from agent.crm.models import Account, AccountStatus, Language, Role, User
from agent.errors import ImportRowError
from tests.crm.importers.conftest import count_rows


def _add_user(store: Store, username: str = "anna") -> int:
    with store.session() as session:
        tenant = get_or_create_tenant(session, "acme")
        user = User(tenant_id=tenant.id, username=username, name="Anna", role=Role.rep)
        session.add(user)
        session.flush()
        return user.id


def test_accounts_are_created_then_unchanged(store: Store, fixtures: Path) -> None:
    anna = _add_user(store)
    stats = import_accounts(store, fixtures / "accounts.csv", "acme")
    assert (stats.rows_read, stats.created, stats.updated, stats.unchanged) == (3, 3, 0, 0)
    with store.session() as session:
        accounts = {a.external_id: a for a in session.scalars(select(Account))}
    assert accounts["K100"].owner_id == anna and accounts["K100"].relationship_ease == 4
    assert accounts["K200"].status is AccountStatus.insolvent
    assert accounts["K200"].status_changed_at is not None
    assert accounts["K300"].language is Language.en
    assert accounts["K300"].status is AccountStatus.active
    again = import_accounts(store, fixtures / "accounts.csv", "acme")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_changed_rows_are_updated_and_empty_cells_keep_values(
    store: Store, fixtures: Path, tmp_path: Path
) -> None:
    _add_user(store)
    import_accounts(store, fixtures / "accounts.csv", "acme")
    path = tmp_path / "update.csv"
    path.write_text("external_id,name,city,status\nK100,Müller Maschinenbau GmbH,Ulm,lost\n")
    stats = import_accounts(store, path, "acme")
    assert (stats.created, stats.updated, stats.unchanged) == (0, 1, 0)
    with store.session() as session:
        account = session.scalars(select(Account).where(Account.external_id == "K100")).one()
    assert (account.city, account.status) == ("Ulm", AccountStatus.lost)
    assert account.industry == "Maschinenbau" and account.relationship_ease == 4


def test_bad_json_rows_are_all_reported(store: Store, fixtures: Path) -> None:
    before = count_rows(store)
    with pytest.raises(ImportRowError) as info:
        import_accounts(store, fixtures / "accounts.json", "acme")
    assert [(p[0], p[1]) for p in info.value.problems] == [
        (4, "relationship_ease"),
        (6, "language"),
    ]
    assert "from 1 to 5" in info.value.problems[0][2]
    assert count_rows(store) == before


def test_unknown_owner_and_duplicates(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("external_id,name,owner\nK1,One,bob\nK1,Again,\n,Nameless,\n")
    with pytest.raises(ImportRowError) as info:
        import_accounts(store, path, "acme")
    assert [(p[0], p[1]) for p in info.value.problems] == [
        (2, "owner"),
        (3, "external_id"),
        (4, "external_id"),
    ]
    assert "no user 'bob'" in info.value.problems[0][2]
    assert "first on line 2" in info.value.problems[1][2]

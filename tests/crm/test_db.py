"""The CRM store migrates on SQLite and PostgreSQL and enforces its constraints."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from agent.crm.db import Store, get_or_create_tenant, get_tenant, make_engine, migrate, open_store
from agent.crm.models import Account, AccountStatus, Base, Tenant
from agent.errors import ConfigError, NotFoundError


def test_migration_creates_every_model_table(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_migrate_twice_is_a_no_op(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    migrate(engine)
    engine.dispose()


def test_session_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError), store.session() as session:
        get_or_create_tenant(session, "acme")
        raise RuntimeError("boom")
    with store.session() as session:
        assert session.scalar(select(Tenant).where(Tenant.slug == "acme")) is None


def test_account_external_id_unique_per_tenant(store: Store) -> None:
    with store.session() as session:
        a = get_or_create_tenant(session, "a")
        b = get_or_create_tenant(session, "b")
        session.add_all(
            [
                Account(tenant_id=a.id, external_id="1", name="X"),
                Account(tenant_id=b.id, external_id="1", name="X"),
            ]
        )
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(Account(tenant_id=a.id, external_id="1", name="dup"))


def test_relationship_ease_range_is_checked(store: Store) -> None:
    with pytest.raises(IntegrityError), store.session() as session:
        tenant = get_or_create_tenant(session, "a")
        session.add(Account(tenant_id=tenant.id, external_id="9", name="Y", relationship_ease=7))


def test_status_enum_round_trips(store: Store) -> None:
    with store.session() as session:
        tenant = get_or_create_tenant(session, "a")
        session.add(
            Account(tenant_id=tenant.id, external_id="7", name="Z", status=AccountStatus.insolvent)
        )
    with store.session() as session:
        account = session.scalar(select(Account).where(Account.external_id == "7"))
        assert account is not None and account.status is AccountStatus.insolvent


def test_unknown_tenant_is_a_clear_error(store: Store) -> None:
    with pytest.raises(NotFoundError, match="demo seed"), store.session() as session:
        get_tenant(session, "nope")


def test_bad_database_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        open_store("mysql://nobody@localhost/x")
    with pytest.raises(ConfigError):
        open_store("not a url")

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


def _terminate_backend(admin_url: str, pid: int) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.mark.postgres
def test_migration_survives_a_dropped_connection(pg_admin: str) -> None:
    # A worker that starts while the database server drops connections (a failover, a
    # restart of a pooler) must not exit: the migration's connection is terminated
    # by the server on its first statement, and migrate() tries again on a new one.
    from sqlalchemy import event

    from tests.conftest import pg_database

    with pg_database(pg_admin) as url:
        engine = make_engine(url)
        dropped: list[int] = []

        def drop_once(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
            if not dropped:
                pid = conn.connection.dbapi_connection.info.backend_pid
                dropped.append(pid)
                _terminate_backend(pg_admin, pid)

        event.listen(engine, "before_cursor_execute", drop_once)
        try:
            migrate(engine)
            assert dropped, "the fault never hit the migration"
            event.remove(engine, "before_cursor_execute", drop_once)
            assert "alembic_version" in set(inspect(engine).get_table_names())
        finally:
            engine.dispose()

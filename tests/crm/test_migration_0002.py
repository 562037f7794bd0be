"""Migration 0002 (council role) on SQLite and PostgreSQL: widened check, no data lost.

The naive SQLite way (Alembic batch mode: copy, drop, rename) would run the
ON DELETE actions of every table referencing ``users`` and delete all API
tokens; this test pins that tokens and account owners survive.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from agent.crm.db import alembic_config, make_engine

NOW = "2026-01-01 00:00:00"


def migrate_to(engine: sa.Engine, revision: str, down: bool = False) -> None:
    with engine.begin() as connection:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, revision)


def add_user(connection: sa.Connection, username: str, role: str) -> None:
    connection.execute(
        sa.text(
            "INSERT INTO users (tenant_id, username, name, role, language, active, created_at) "
            "VALUES (1, :u, :u, :r, 'de', true, :now)"
        ),
        {"u": username, "r": role, "now": NOW},
    )


def test_upgrade_widens_the_role_check_and_keeps_every_row(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate_to(engine, "0001")
        with engine.begin() as c:
            c.execute(sa.text("INSERT INTO tenants (slug, name, created_at) VALUES ('t', 'T', :n)"),
                      {"n": NOW})  # fmt: skip
            add_user(c, "anna", "rep")
            c.execute(sa.text("INSERT INTO api_tokens (user_id, name, token_hash, created_at) "
                              "VALUES (1, 'crm', 'h', :n)"), {"n": NOW})  # fmt: skip
            c.execute(sa.text(
                "INSERT INTO accounts (tenant_id, external_id, name, language, status, owner_id, "
                "created_at, updated_at) VALUES (1, 'K1', 'Kunde', 'de', 'active', 1, :n, :n)"
            ), {"n": NOW})  # fmt: skip
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as c:
            add_user(c, "br0", "council")  # not allowed before 0002

        migrate_to(engine, "head")
        with engine.begin() as c:
            assert c.execute(sa.text("SELECT count(*) FROM api_tokens")).scalar_one() == 1
            assert c.execute(sa.text("SELECT owner_id FROM accounts")).scalar_one() == 1
            add_user(c, "br", "council")
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as c:
            add_user(c, "boss", "chief")  # still a check, only wider
        with pytest.raises(RuntimeError, match="works council user"):
            migrate_to(engine, "0001", down=True)  # refused while council users exist

        with engine.begin() as c:
            c.execute(sa.text("DELETE FROM users WHERE role = 'council'"))
        migrate_to(engine, "0001", down=True)
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as c:
            add_user(c, "br2", "council")
        with engine.begin() as c:
            assert c.execute(sa.text("SELECT count(*) FROM api_tokens")).scalar_one() == 1
    finally:
        engine.dispose()

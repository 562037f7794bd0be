"""Migration 0005 (sessions, token expiry) on SQLite and PostgreSQL: as modelled, no token lost."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from agent.crm.db import make_engine
from agent.crm.models import Base
from tests.crm.test_migration_0002 import NOW, add_user, migrate_to


def test_sessions_follow_their_user_and_tokens_get_an_expiry(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate_to(engine, "0004")
        with engine.begin() as c:
            c.execute(sa.text("INSERT INTO tenants (slug, name, created_at) VALUES ('t', 'T', :n)"),
                      {"n": NOW})  # fmt: skip
            add_user(c, "anna", "rep")
            c.execute(sa.text("INSERT INTO api_tokens (user_id, name, token_hash, created_at) "
                              "VALUES (1, 'crm', 'h1', :n)"), {"n": NOW})  # fmt: skip
            c.execute(sa.text("INSERT INTO api_tokens (user_id, name, token_hash, created_at, "
                              "revoked_at) VALUES (1, 'old', 'h2', :n, :n)"),
                      {"n": NOW})  # fmt: skip
        assert "user_sessions" not in sa.inspect(engine).get_table_names()

        migrate_to(engine, "head")
        with engine.connect() as c:
            assert compare_metadata(MigrationContext.configure(c), Base.metadata) == []
        with engine.begin() as c:
            rows = dict(c.execute(sa.text("SELECT name, expires_at FROM api_tokens")).all())
            assert rows["crm"] is not None and rows["old"] is None  # a revoked one needs none
            c.execute(sa.text(
                "INSERT INTO user_sessions (user_id, token_hash, created_at, last_seen_at, "
                "expires_at) VALUES (1, :h, :n, :n, :n)"
            ), {"h": "a" * 64, "n": NOW})  # fmt: skip
        with engine.begin() as c:
            c.execute(sa.text("DELETE FROM users"))
            assert c.execute(sa.text("SELECT count(*) FROM user_sessions")).scalar_one() == 0

        with engine.begin() as c:
            add_user(c, "bert", "rep")
            c.execute(sa.text("INSERT INTO api_tokens (user_id, name, token_hash, created_at) "
                              "SELECT id, 'crm', 'h3', :n FROM users"), {"n": NOW})  # fmt: skip
        migrate_to(engine, "0004", down=True)
        inspector = sa.inspect(engine)
        assert "user_sessions" not in inspector.get_table_names()
        assert "expires_at" not in {col["name"] for col in inspector.get_columns("api_tokens")}
        with engine.begin() as c:
            assert c.execute(sa.text("SELECT count(*) FROM api_tokens")).scalar_one() == 1
    finally:
        engine.dispose()

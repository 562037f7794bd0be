"""Migration 0004 (tenant examples) on SQLite and PostgreSQL: as modelled, gone with its note."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from agent.crm.db import make_engine
from agent.crm.models import Base
from tests.crm.test_migration_0002 import NOW, migrate_to


def test_tenant_examples_follow_their_note(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate_to(engine, "0003")
        assert "tenant_examples" not in sa.inspect(engine).get_table_names()
        migrate_to(engine, "head")
        with engine.connect() as c:
            assert compare_metadata(MigrationContext.configure(c), Base.metadata) == []
        with engine.begin() as c:
            c.execute(sa.text("INSERT INTO tenants (slug, name, created_at) VALUES ('t', 'T', :n)"),
                      {"n": NOW})  # fmt: skip
            c.execute(sa.text(
                "INSERT INTO accounts (tenant_id, external_id, name, language, status, "
                "created_at, updated_at) VALUES (1, 'K1', 'Kunde', 'de', 'active', :n, :n)"
            ), {"n": NOW})  # fmt: skip
            c.execute(sa.text(
                "INSERT INTO call_notes (tenant_id, account_id, status, analysis, field_sources, "
                "created_at, updated_at) VALUES (1, 1, 'approved', '{}', '{}', :n, :n)"
            ), {"n": NOW})  # fmt: skip
            c.execute(sa.text(
                "INSERT INTO tenant_examples (tenant_id, call_note_id, task, label, text, context, "
                "language, speaker, created_at) VALUES (1, 1, 'reason', 'price_terms', 'Zu teuer.',"
                " '', 'de', 'customer', :n)"
            ), {"n": NOW})  # fmt: skip
        with engine.begin() as c:
            c.execute(sa.text("DELETE FROM call_notes"))
            assert c.execute(sa.text("SELECT count(*) FROM tenant_examples")).scalar_one() == 0
        migrate_to(engine, "0003", down=True)
        assert "tenant_examples" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()

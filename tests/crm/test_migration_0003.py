"""Migration 0003 (brief jobs) on SQLite and PostgreSQL: the table the model describes.

The upgrade must leave existing rows alone, create ``brief_jobs`` exactly as
the ORM model declares it (no autogenerate difference), enforce its status
check and foreign keys, and the downgrade must remove it again.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from agent.crm.db import MIGRATIONS_DIR, make_engine
from agent.crm.models import Base
from tests.crm.test_migration_0002 import NOW, add_user, migrate_to

#: The newest revision (a failed downgrade must leave the database there).
HEAD = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def add_job(connection: sa.Connection, job_id: str, status: str = "queued") -> None:
    connection.execute(
        sa.text(
            "INSERT INTO brief_jobs (id, tenant_id, account_id, user_id, as_of, status, "
            "attempts, created_at) VALUES (:id, 1, 1, 1, '2026-11-02', :s, 0, :now)"
        ),
        {"id": job_id, "s": status, "now": NOW},
    )


def test_upgrade_creates_brief_jobs_as_modelled_and_downgrade_drops_it(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate_to(engine, "0002")
        with engine.begin() as c:
            c.execute(sa.text("INSERT INTO tenants (slug, name, created_at) VALUES ('t', 'T', :n)"),
                      {"n": NOW})  # fmt: skip
            add_user(c, "anna", "rep")
            c.execute(sa.text(
                "INSERT INTO accounts (tenant_id, external_id, name, language, status, owner_id, "
                "created_at, updated_at) VALUES (1, 'K1', 'Kunde', 'de', 'active', 1, :n, :n)"
            ), {"n": NOW})  # fmt: skip
        assert "brief_jobs" not in sa.inspect(engine).get_table_names()

        migrate_to(engine, "head")
        with engine.connect() as c:
            diff = compare_metadata(MigrationContext.configure(c), Base.metadata)
        assert diff == [], diff  # the migration and the model agree, on both databases
        with engine.begin() as c:
            assert c.execute(sa.text("SELECT count(*) FROM accounts")).scalar_one() == 1
            add_job(c, "a" * 32)
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as c:
            add_job(c, "b" * 32, status="lost")  # not a job status
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as c:
            c.execute(sa.text("UPDATE brief_jobs SET brief_id = 999"))  # no such brief
        with engine.begin() as c:  # deleting the account deletes its jobs
            c.execute(sa.text("DELETE FROM accounts"))
            assert c.execute(sa.text("SELECT count(*) FROM brief_jobs")).scalar_one() == 0

        # A downgrade that 0002 refuses (council users exist) leaves 0003 whole: on SQLite
        # the table's DDL must roll back with the revision number, not commit on its own.
        with engine.begin() as c:
            add_user(c, "br", "council")
        with pytest.raises(RuntimeError, match="works council user"):
            migrate_to(engine, "0001", down=True)
        assert "brief_jobs" in sa.inspect(engine).get_table_names()
        with engine.connect() as c:
            assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == HEAD

        migrate_to(engine, "0002", down=True)
        assert "brief_jobs" not in sa.inspect(engine).get_table_names()
        migrate_to(engine, "head")  # and up again
        assert "brief_jobs" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()

"""The works council role: widen the CHECK constraint of users.role by 'council'.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

PostgreSQL drops and re-adds the named constraint. SQLite cannot alter a
constraint, and Alembic's batch mode would copy the table, drop the old one
and rename the copy: with ``PRAGMA foreign_keys=ON`` (always on here, and a
pragma that cannot be switched off inside the migration's transaction) that
DROP TABLE runs the ON DELETE actions of every table that references users,
deleting all API tokens and clearing account owners. So on SQLite the table
definition in ``sqlite_master`` is edited in place, the procedure SQLite
documents for removing or loosening a CHECK constraint ("Making Other Kinds Of
Table Schema Changes", lang_altertable.html): no row is touched, and widening
the allowed values keeps every existing row valid.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NAME = "ck_users_role"
OLD = ("rep", "manager", "admin")
NEW = ("rep", "manager", "admin", "council")


def _check(values: tuple[str, ...]) -> str:
    return "role IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _sqlite_set_check(values: tuple[str, ...]) -> None:
    bind = op.get_bind()
    table_sql = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'")
    ).scalar_one()
    pattern = re.compile(rf"CONSTRAINT {NAME} CHECK \(role IN \([^)]*\)\)")
    if len(pattern.findall(table_sql)) != 1:
        raise RuntimeError(f"users table has no single {NAME} constraint: {table_sql}")
    new_sql = pattern.sub(f"CONSTRAINT {NAME} CHECK ({_check(values)})", table_sql)
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    try:
        bind.execute(
            sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'users'"),
            {"sql": new_sql},
        )
        # A new schema version makes every connection re-read the table definition.
        bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    finally:
        bind.execute(sa.text("PRAGMA writable_schema = OFF"))
    result = bind.execute(sa.text("PRAGMA integrity_check")).scalar_one()
    if result != "ok":
        raise RuntimeError(f"integrity check after changing {NAME} failed: {result}")


def _set_check(values: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_set_check(values)
        return
    op.drop_constraint(op.f(NAME), "users", type_="check")
    op.create_check_constraint(op.f(NAME), "users", _check(values))


def upgrade() -> None:
    _set_check(NEW)


def downgrade() -> None:
    council = op.get_bind().execute(
        sa.text("SELECT count(*) FROM users WHERE role = 'council'")
    ).scalar_one()
    if council:
        raise RuntimeError(
            f"{council} works council user(s) exist: delete them or change their role first."
        )
    _set_check(OLD)

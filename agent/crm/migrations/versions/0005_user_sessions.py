"""Server-side sessions, and an expiry on API tokens.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10

A new table and a new nullable column, so the same operations run on SQLite
and PostgreSQL without copying a table (see 0002 for why a copy of a table
that ``users`` rows reference would be dangerous on SQLite, and 0003 for why
the SQLite transaction is opened first).

Tokens that exist at upgrade time get an expiry one year ahead: every token
then has one, and no integration stops working on the day of the upgrade.
Sessions start empty: the signed cookies of the old scheme are not
accepted any more, so everyone logs in once after the upgrade.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: Lifetime given to the API tokens that exist when this migration runs.
EXISTING_TOKEN_DAYS = 365


def _begin_on_sqlite() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    driver = bind.connection.driver_connection
    if driver is not None and not driver.in_transaction:
        bind.exec_driver_sql("BEGIN")


def upgrade() -> None:
    _begin_on_sqlite()
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"])
    op.create_index(op.f("ix_user_sessions_expires_at"), "user_sessions", ["expires_at"])
    # ADD COLUMN of a nullable column without a constraint: no table copy on SQLite.
    op.add_column("api_tokens", sa.Column("expires_at", sa.DateTime(timezone=True)))
    tokens = sa.table(
        "api_tokens",
        sa.column("expires_at", sa.DateTime(timezone=True)),
        sa.column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        tokens.update()
        .where(tokens.c.revoked_at.is_(None))
        .values(expires_at=datetime.now(UTC) + timedelta(days=EXISTING_TOKEN_DAYS))
    )


def downgrade() -> None:
    _begin_on_sqlite()
    # DROP COLUMN is native in SQLite since 3.35: again no table copy.
    op.drop_column("api_tokens", "expires_at")
    op.drop_index(op.f("ix_user_sessions_expires_at"), table_name="user_sessions")
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_table("user_sessions")

"""Brief jobs: durable rows for brief generations run by the queue workers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

A new table only, so the same operations run on SQLite and PostgreSQL: no
existing table is altered or copied.

On SQLite the transaction is opened explicitly first: the sqlite3 driver
begins one only before INSERT/UPDATE/DELETE, so this DDL would otherwise
commit at once, and a later migration failing in the same run (0002's
downgrade refuses while council users exist) would leave the table created
or dropped under the old revision number.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

STATUSES = ("queued", "running", "done", "failed")


def _begin_on_sqlite() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return  # PostgreSQL runs DDL inside the migration's transaction anyway
    driver = bind.connection.driver_connection
    if driver is not None and not driver.in_transaction:
        bind.exec_driver_sql("BEGIN")


def upgrade() -> None:
    _begin_on_sqlite()
    op.create_table(
        "brief_jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                *STATUSES,
                name="brief_job_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("brief_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_brief_jobs_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["brief_id"],
            ["briefs.id"],
            name=op.f("fk_brief_jobs_brief_id_briefs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_brief_jobs_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_brief_jobs_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brief_jobs")),
    )
    op.create_index(op.f("ix_brief_jobs_account_id"), "brief_jobs", ["account_id"])
    op.create_index(op.f("ix_brief_jobs_status"), "brief_jobs", ["status"])
    op.create_index(op.f("ix_brief_jobs_tenant_id"), "brief_jobs", ["tenant_id"])


def downgrade() -> None:
    _begin_on_sqlite()
    op.drop_index(op.f("ix_brief_jobs_tenant_id"), table_name="brief_jobs")
    op.drop_index(op.f("ix_brief_jobs_status"), table_name="brief_jobs")
    op.drop_index(op.f("ix_brief_jobs_account_id"), table_name="brief_jobs")
    op.drop_table("brief_jobs")

"""Tenant examples: sentences confirmed in reviewed call notes, for the analysis to learn from.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05

A new table only (see 0003 for why the SQLite transaction is opened first).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


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
        "tenant_examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("call_note_id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("speaker", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["call_note_id"], ["call_notes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tenant_examples_tenant_id", "tenant_examples", ["tenant_id"])
    op.create_index("ix_tenant_examples_call_note_id", "tenant_examples", ["call_note_id"])


def downgrade() -> None:
    _begin_on_sqlite()
    op.drop_index("ix_tenant_examples_call_note_id", table_name="tenant_examples")
    op.drop_index("ix_tenant_examples_tenant_id", table_name="tenant_examples")
    op.drop_table("tenant_examples")

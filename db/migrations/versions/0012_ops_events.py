"""operations events: slow page runs and backups, for the admins' operations view

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ops_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("page", sa.String(length=100), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("ms", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_events")),
    )
    with op.batch_alter_table("ops_events", schema=None) as batch_op:
        batch_op.create_index("ix_ops_events_kind_at", ["kind", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ops_events", schema=None) as batch_op:
        batch_op.drop_index("ix_ops_events_kind_at")

    op.drop_table("ops_events")

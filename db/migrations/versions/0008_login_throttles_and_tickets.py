"""login throttles and tickets: unknown names are throttled like accounts, and a
sign-in ticket is exchanged for the HttpOnly login cookie only once

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name_hash", sa.String(length=64), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_throttles")),
        sa.UniqueConstraint("name_hash", name=op.f("uq_login_throttles_name_hash")),
    )
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_throttles_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "login_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("used_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_tickets")),
        sa.UniqueConstraint("jti", name=op.f("uq_login_tickets_jti")),
    )
    with op.batch_alter_table("login_tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_tickets_used_at"), ["used_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_tickets_used_at"))

    op.drop_table("login_tickets")
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttles_updated_at"))

    op.drop_table("login_throttles")

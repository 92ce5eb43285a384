"""record engine: soft delete, health-education activities

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "he_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("activity_date", sa.Date(), nullable=False),
        sa.Column("activity_type", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("theme_day", sa.String(length=60), nullable=True),
        sa.Column("venue", sa.String(length=120), nullable=True),
        sa.Column("speaker", sa.String(length=60), nullable=True),
        sa.Column("participants", sa.Integer(), nullable=True),
        sa.Column("consultations", sa.Integer(), nullable=True),
        sa.Column("materials_given", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_units.id"], name=op.f("fk_he_activities_org_unit_id_org_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_he_activities")),
    )
    with op.batch_alter_table("he_activities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_he_activities_activity_date"), ["activity_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_he_activities_activity_type"), ["activity_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_he_activities_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(
            "ix_he_activities_org_unit_id_activity_date", ["org_unit_id", "activity_date"], unique=False
        )

    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_org_units_deleted_at"), ["deleted_at"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_deleted_at"), ["deleted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_deleted_at"))
        batch_op.drop_column("deleted_at")

    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_units_deleted_at"))
        batch_op.drop_column("deleted_at")

    with op.batch_alter_table("he_activities", schema=None) as batch_op:
        batch_op.drop_index("ix_he_activities_org_unit_id_activity_date")
        batch_op.drop_index(batch_op.f("ix_he_activities_deleted_at"))
        batch_op.drop_index(batch_op.f("ix_he_activities_activity_type"))
        batch_op.drop_index(batch_op.f("ix_he_activities_activity_date"))

    op.drop_table("he_activities")

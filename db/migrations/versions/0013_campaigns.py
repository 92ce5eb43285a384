"""health-education campaigns: campaigns and their goals per unit; activities point to a campaign;
materials received and handed out per unit; activities planned per unit

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "he_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("theme_day_id", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("topics", sa.String(length=200), nullable=True),
        sa.Column("activity_types", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_units.id"], name=op.f("fk_he_campaigns_org_unit_id_org_units")),
        sa.ForeignKeyConstraint(
            ["theme_day_id"], ["theme_days.id"], name=op.f("fk_he_campaigns_theme_day_id_theme_days")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_he_campaigns")),
    )
    with op.batch_alter_table("he_campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_he_campaigns_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_he_campaigns_org_unit_id"), ["org_unit_id"], unique=False)

    op.create_table(
        "he_campaign_goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("activities_goal", sa.Integer(), nullable=True),
        sa.Column("people_goal", sa.Integer(), nullable=True),
        sa.Column("materials_goal", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["he_campaigns.id"], name=op.f("fk_he_campaign_goals_campaign_id_he_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_he_campaign_goals_org_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_he_campaign_goals")),
    )
    with op.batch_alter_table("he_campaign_goals", schema=None) as batch_op:
        batch_op.create_index("ix_he_campaign_goals_campaign", ["campaign_id", "deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_he_campaign_goals_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_he_campaign_goals_org_unit_id"), ["org_unit_id"], unique=False)

    op.create_table(
        "he_materials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("movement_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=80), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("handed_out", sa.Integer(), nullable=False),
        sa.Column("notes", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["he_campaigns.id"], name=op.f("fk_he_materials_campaign_id_he_campaigns")
        ),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_units.id"], name=op.f("fk_he_materials_org_unit_id_org_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_he_materials")),
    )
    with op.batch_alter_table("he_materials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_he_materials_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_he_materials_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index("ix_he_materials_unit_kind", ["org_unit_id", "kind", "deleted_at"], unique=False)

    op.create_table(
        "he_campaign_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("activity_type", sa.String(length=20), nullable=False),
        sa.Column("planned_date", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=120), nullable=True),
        sa.Column("expected_reach", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["he_campaigns.id"], name=op.f("fk_he_campaign_plans_campaign_id_he_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_he_campaign_plans_org_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_he_campaign_plans")),
    )
    with op.batch_alter_table("he_campaign_plans", schema=None) as batch_op:
        batch_op.create_index("ix_he_campaign_plans_campaign", ["campaign_id", "deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_he_campaign_plans_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_he_campaign_plans_org_unit_id"), ["org_unit_id"], unique=False)

    with op.batch_alter_table("he_activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_he_activities_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_he_activities_campaign_id_he_campaigns"), "he_campaigns", ["campaign_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("he_campaign_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_he_campaign_plans_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_he_campaign_plans_deleted_at"))
        batch_op.drop_index("ix_he_campaign_plans_campaign")

    op.drop_table("he_campaign_plans")

    with op.batch_alter_table("he_materials", schema=None) as batch_op:
        batch_op.drop_index("ix_he_materials_unit_kind")
        batch_op.drop_index(batch_op.f("ix_he_materials_deleted_at"))
        batch_op.drop_index(batch_op.f("ix_he_materials_campaign_id"))

    op.drop_table("he_materials")

    with op.batch_alter_table("he_activities", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_he_activities_campaign_id_he_campaigns"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_he_activities_campaign_id"))
        batch_op.drop_column("campaign_id")

    with op.batch_alter_table("he_campaign_goals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_he_campaign_goals_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_he_campaign_goals_deleted_at"))
        batch_op.drop_index("ix_he_campaign_goals_campaign")

    op.drop_table("he_campaign_goals")
    with op.batch_alter_table("he_campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_he_campaigns_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_he_campaigns_deleted_at"))

    op.drop_table("he_campaigns")

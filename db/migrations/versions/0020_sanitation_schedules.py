"""sanitation schedules (检查安排): how often a campaign's zones are inspected and by whom;
the campaign's rule for how a missed inspection counts in its ranking

``sanitation_schedules`` holds one schedule per row (a zone, or every zone of the campaign,
daily on working days, weekly or monthly; a rota of usernames or a duty team).
``sanitation_campaigns.missed_rule`` ("ignore", "zero" or "score", with ``missed_score``)
defaults to "ignore", so existing rankings stay as they were.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sanitation_campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("missed_rule", sa.String(length=8), server_default="ignore", nullable=False))
        batch_op.add_column(sa.Column("missed_score", sa.Double(), nullable=True))
    op.create_table(
        "sanitation_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("zone_type", sa.String(length=20), nullable=True),
        sa.Column("frequency", sa.String(length=8), nullable=False),
        sa.Column("inspection_type", sa.String(length=12), nullable=False),
        sa.Column("duty", sa.String(length=8), nullable=False),
        sa.Column("inspectors", sa.String(length=400), nullable=False),
        sa.Column("team_name", sa.String(length=60), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["sanitation_campaigns.id"],
            name=op.f("fk_sanitation_schedules_campaign_id_sanitation_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_sanitation_schedules_org_unit_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["sanitation_zones.id"], name=op.f("fk_sanitation_schedules_zone_id_sanitation_zones")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanitation_schedules")),
    )
    with op.batch_alter_table("sanitation_schedules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sanitation_schedules_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sanitation_schedules_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sanitation_schedules_org_unit_id"), ["org_unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sanitation_schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sanitation_schedules_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_sanitation_schedules_deleted_at"))
        batch_op.drop_index(batch_op.f("ix_sanitation_schedules_campaign_id"))
    op.drop_table("sanitation_schedules")
    with op.batch_alter_table("sanitation_campaigns", schema=None) as batch_op:
        batch_op.drop_column("missed_score")
        batch_op.drop_column("missed_rule")

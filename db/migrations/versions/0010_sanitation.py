"""sanitation: campaigns, zones, checklists and their items, inspections with item scores, rectifications,
published rankings

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sanitation_checklists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("target_type", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanitation_checklists")),
    )
    with op.batch_alter_table("sanitation_checklists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sanitation_checklists_deleted_at"), ["deleted_at"], unique=False)

    op.create_table(
        "sanitation_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("campaign_type", sa.String(length=20), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("checklist_id", sa.Integer(), nullable=True),
        sa.Column("planned_inspections", sa.Integer(), nullable=True),
        sa.Column("target_score", sa.Double(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["checklist_id"],
            ["sanitation_checklists.id"],
            name=op.f("fk_sanitation_campaigns_checklist_id_sanitation_checklists"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_sanitation_campaigns_org_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanitation_campaigns")),
    )
    with op.batch_alter_table("sanitation_campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sanitation_campaigns_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sanitation_campaigns_org_unit_id"), ["org_unit_id"], unique=False)

    op.create_table(
        "sanitation_checklist_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checklist_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("criterion", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("max_points", sa.Double(), nullable=False),
        sa.Column("step", sa.Double(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["checklist_id"],
            ["sanitation_checklists.id"],
            name=op.f("fk_sanitation_checklist_items_checklist_id_sanitation_checklists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanitation_checklist_items")),
    )
    with op.batch_alter_table("sanitation_checklist_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sanitation_checklist_items_checklist_id"), ["checklist_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sanitation_checklist_items_deleted_at"), ["deleted_at"], unique=False)

    op.create_table(
        "sanitation_zones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("zone_type", sa.String(length=20), nullable=False),
        sa.Column("responsible", sa.String(length=60), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_sanitation_zones_org_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanitation_zones")),
    )
    with op.batch_alter_table("sanitation_zones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sanitation_zones_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sanitation_zones_org_unit_id"), ["org_unit_id"], unique=False)

    op.create_table(
        "sanitation_inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("checklist_id", sa.Integer(), nullable=False),
        sa.Column("inspection_date", sa.Date(), nullable=False),
        sa.Column("inspection_type", sa.String(length=12), nullable=False),
        sa.Column("inspector", sa.String(length=60), nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("max_score", sa.Double(), nullable=True),
        sa.Column("score_pct", sa.Double(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["sanitation_campaigns.id"],
            name=op.f("fk_sanitation_inspections_campaign_id_sanitation_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["checklist_id"],
            ["sanitation_checklists.id"],
            name=op.f("fk_sanitation_inspections_checklist_id_sanitation_checklists"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_sanitation_inspections_org_unit_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["sanitation_zones.id"], name=op.f("fk_sanitation_inspections_zone_id_sanitation_zones")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanitation_inspections")),
    )
    with op.batch_alter_table("sanitation_inspections", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sanitation_inspections_campaign", ["campaign_id", "deleted_at", "inspection_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sanitation_inspections_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sanitation_inspections_org_unit_id"), ["org_unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sanitation_inspections_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "sanitation_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["sanitation_campaigns.id"],
            name=op.f("fk_sanitation_publications_campaign_id_sanitation_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_sanitation_publications_org_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanitation_publications")),
        sa.UniqueConstraint("token", name=op.f("uq_sanitation_publications_token")),
    )
    with op.batch_alter_table("sanitation_publications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sanitation_publications_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sanitation_publications_org_unit_id"), ["org_unit_id"], unique=False)

    op.create_table(
        "sanitation_item_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("criterion", sa.String(length=200), nullable=True),
        sa.Column("max_points", sa.Double(), nullable=True),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["sanitation_inspections.id"],
            name=op.f("fk_sanitation_item_scores_inspection_id_sanitation_inspections"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["sanitation_checklist_items.id"],
            name=op.f("fk_sanitation_item_scores_item_id_sanitation_checklist_items"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_sanitation_item_scores_org_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanitation_item_scores")),
    )
    with op.batch_alter_table("sanitation_item_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sanitation_item_scores_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index("ix_sanitation_item_scores_inspection", ["inspection_id", "deleted_at"], unique=False)

    op.create_table(
        "sanitation_rectifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=True),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("rectified_on", sa.Date(), nullable=True),
        sa.Column("verified_on", sa.Date(), nullable=True),
        sa.Column("verified_by", sa.String(length=64), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["sanitation_inspections.id"],
            name=op.f("fk_sanitation_rectifications_inspection_id_sanitation_inspections"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_sanitation_rectifications_org_unit_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["sanitation_zones.id"], name=op.f("fk_sanitation_rectifications_zone_id_sanitation_zones")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanitation_rectifications")),
    )
    with op.batch_alter_table("sanitation_rectifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sanitation_rectifications_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sanitation_rectifications_org_unit_id"), ["org_unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sanitation_rectifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sanitation_rectifications_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_sanitation_rectifications_deleted_at"))

    op.drop_table("sanitation_rectifications")
    with op.batch_alter_table("sanitation_item_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_sanitation_item_scores_inspection")
        batch_op.drop_index(batch_op.f("ix_sanitation_item_scores_deleted_at"))

    op.drop_table("sanitation_item_scores")
    with op.batch_alter_table("sanitation_publications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sanitation_publications_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_sanitation_publications_deleted_at"))

    op.drop_table("sanitation_publications")
    with op.batch_alter_table("sanitation_inspections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sanitation_inspections_zone_id"))
        batch_op.drop_index(batch_op.f("ix_sanitation_inspections_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_sanitation_inspections_deleted_at"))
        batch_op.drop_index("ix_sanitation_inspections_campaign")

    op.drop_table("sanitation_inspections")
    with op.batch_alter_table("sanitation_zones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sanitation_zones_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_sanitation_zones_deleted_at"))

    op.drop_table("sanitation_zones")
    with op.batch_alter_table("sanitation_checklist_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sanitation_checklist_items_deleted_at"))
        batch_op.drop_index(batch_op.f("ix_sanitation_checklist_items_checklist_id"))

    op.drop_table("sanitation_checklist_items")
    with op.batch_alter_table("sanitation_campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sanitation_campaigns_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_sanitation_campaigns_deleted_at"))

    op.drop_table("sanitation_campaigns")
    with op.batch_alter_table("sanitation_checklists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sanitation_checklists_deleted_at"))

    op.drop_table("sanitation_checklists")

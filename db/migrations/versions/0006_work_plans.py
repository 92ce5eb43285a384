"""monthly work plans

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monthly_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("problems", sa.Text(), nullable=True),
        sa.Column("next_plan", sa.Text(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("submitted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.String(length=64), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("reviewed_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_monthly_reports_org_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_reports")),
        sa.UniqueConstraint("org_unit_id", "month", name=op.f("uq_monthly_reports_org_unit_id_month")),
    )
    with op.batch_alter_table("monthly_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_monthly_reports_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_monthly_reports_month"), ["month"], unique=False)
        batch_op.create_index(batch_op.f("ix_monthly_reports_org_unit_id"), ["org_unit_id"], unique=False)

    op.create_table(
        "work_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("plan_type", sa.String(length=10), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("guiding_idea", sa.Text(), nullable=True),
        sa.Column("goals", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_units.id"], name=op.f("fk_work_plans_org_unit_id_org_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_plans")),
    )
    with op.batch_alter_table("work_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_plans_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_plans_org_unit_id"), ["org_unit_id"], unique=False)

    op.create_table(
        "plan_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("area", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("owner_name", sa.String(length=60), nullable=True),
        sa.Column("target_qty", sa.Double(), nullable=True),
        sa.Column("target_unit", sa.String(length=20), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("progress_pct", sa.Integer(), nullable=False),
        sa.Column("actual_qty", sa.Double(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("carried_over", sa.Boolean(), nullable=False),
        sa.Column("carried_from_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["carried_from_id"], ["plan_items.id"], name=op.f("fk_plan_items_carried_from_id_plan_items")
        ),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_units.id"], name=op.f("fk_plan_items_org_unit_id_org_units")),
        sa.ForeignKeyConstraint(["owner_user_id"], ["users.id"], name=op.f("fk_plan_items_owner_user_id_users")),
        sa.ForeignKeyConstraint(["plan_id"], ["work_plans.id"], name=op.f("fk_plan_items_plan_id_work_plans")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_items")),
    )
    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_items_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(
            "ix_plan_items_live_due", ["deleted_at", "due_date", "status", "org_unit_id"], unique=False
        )
        batch_op.create_index(
            "ix_plan_items_unit_month", ["org_unit_id", "deleted_at", "month", "status"], unique=False
        )

    op.create_table(
        "progress_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("update_date", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Double(), nullable=True),
        sa.Column("progress_pct", sa.Integer(), nullable=True),
        sa.Column("by_name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["plan_items.id"], name=op.f("fk_progress_updates_item_id_plan_items")),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_progress_updates_org_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_updates")),
    )
    with op.batch_alter_table("progress_updates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_progress_updates_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_progress_updates_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_progress_updates_org_unit_id"), ["org_unit_id"], unique=False)

    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("report_due_rule", sa.String(length=20), server_default="workday:5", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.drop_column("report_due_rule")

    with op.batch_alter_table("progress_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progress_updates_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_progress_updates_item_id"))
        batch_op.drop_index(batch_op.f("ix_progress_updates_deleted_at"))

    op.drop_table("progress_updates")
    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_items_unit_month")
        batch_op.drop_index("ix_plan_items_live_due")
        batch_op.drop_index(batch_op.f("ix_plan_items_deleted_at"))

    op.drop_table("plan_items")
    with op.batch_alter_table("work_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_plans_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_work_plans_deleted_at"))

    op.drop_table("work_plans")
    with op.batch_alter_table("monthly_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monthly_reports_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_monthly_reports_month"))
        batch_op.drop_index(batch_op.f("ix_monthly_reports_deleted_at"))

    op.drop_table("monthly_reports")

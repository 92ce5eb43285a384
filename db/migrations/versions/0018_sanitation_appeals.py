"""sanitation appeals (异议): a unit's objection to an inspection and the decision on it

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sanitation_appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("lodged_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("original_score", sa.Double(), nullable=True),
        sa.Column("adjusted_score", sa.Double(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["sanitation_inspections.id"],
            name=op.f("fk_sanitation_appeals_inspection_id_sanitation_inspections"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_sanitation_appeals_org_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanitation_appeals")),
    )
    with op.batch_alter_table("sanitation_appeals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sanitation_appeals_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sanitation_appeals_inspection_id"), ["inspection_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sanitation_appeals_org_unit_id"), ["org_unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sanitation_appeals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sanitation_appeals_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_sanitation_appeals_inspection_id"))
        batch_op.drop_index(batch_op.f("ix_sanitation_appeals_deleted_at"))
    op.drop_table("sanitation_appeals")

"""sanitation checklist versions: a used checklist is copied on edit, the old one kept;
a published ranking may be ranked by groups

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30

Numbered 0020 because 0019 (inspection schedules) is written on another branch; when both
are merged this revision is rechained onto 0019.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sanitation_checklists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version_no", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("lineage_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("supersedes_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("superseded_by_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_sanitation_checklists_lineage_id"), ["lineage_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_sanitation_checklists_supersedes_id_sanitation_checklists"),
            "sanitation_checklists",
            ["supersedes_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_sanitation_checklists_superseded_by_id_sanitation_checklists"),
            "sanitation_checklists",
            ["superseded_by_id"],
            ["id"],
        )
    with op.batch_alter_table("sanitation_publications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grouped", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("sanitation_publications", schema=None) as batch_op:
        batch_op.drop_column("grouped")
    with op.batch_alter_table("sanitation_checklists", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_sanitation_checklists_superseded_by_id_sanitation_checklists"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_sanitation_checklists_supersedes_id_sanitation_checklists"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_sanitation_checklists_lineage_id"))
        batch_op.drop_column("superseded_by_id")
        batch_op.drop_column("supersedes_id")
        batch_op.drop_column("lineage_id")
        batch_op.drop_column("version_no")

"""covering indexes for live health-education rows

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("he_activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_he_activities_activity_date"))
        batch_op.drop_index(batch_op.f("ix_he_activities_activity_type"))
        batch_op.drop_index(batch_op.f("ix_he_activities_org_unit_id_activity_date"))
        batch_op.create_index(
            "ix_he_activities_live_date", ["deleted_at", "activity_date", "activity_type", "org_unit_id"], unique=False
        )
        batch_op.create_index(
            "ix_he_activities_unit_live", ["org_unit_id", "deleted_at", "activity_date", "activity_type"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("he_activities", schema=None) as batch_op:
        batch_op.drop_index("ix_he_activities_unit_live")
        batch_op.drop_index("ix_he_activities_live_date")
        batch_op.create_index(
            batch_op.f("ix_he_activities_org_unit_id_activity_date"), ["org_unit_id", "activity_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_he_activities_activity_type"), ["activity_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_he_activities_activity_date"), ["activity_date"], unique=False)

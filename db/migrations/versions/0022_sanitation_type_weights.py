"""sanitation campaigns weigh inspections by type in the ranking (每周大检查=2; 突击 / 暗访=3)

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sanitation_campaigns") as batch:
        batch.add_column(sa.Column("type_weights", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sanitation_campaigns") as batch:
        batch.drop_column("type_weights")

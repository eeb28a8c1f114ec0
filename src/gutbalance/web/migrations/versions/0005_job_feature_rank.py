"""The rank an upload declared for its bare taxon names.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Give jobs a column for the rank declared for the upload's bare taxon names (NULL: none declared)."""
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("feature_rank", sa.String(16), nullable=True))


def downgrade() -> None:
    """Drop the jobs' feature_rank column."""
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("feature_rank")

"""The files of an upload that could not be read, and an index for paging the samples list.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Give jobs a column for the problems of a zip's unreadable files, and samples the listing index."""
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("problems", sa.JSON(), nullable=True))
    op.create_index("ix_samples_owner_listing", "samples", ["owner_id", "subject", "collected", "created_at", "name", "id"])


def downgrade() -> None:
    """Drop the listing index and the jobs' problems column."""
    op.drop_index("ix_samples_owner_listing", table_name="samples")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("problems")

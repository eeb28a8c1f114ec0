"""Upload jobs scored off the request path, and stored contributions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the jobs table and give samples a column for their stored contributions."""
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("owner_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(128), nullable=True),
        sa.Column("collected", sa.Date(), nullable=True),
        sa.Column("upload", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.String(2000), nullable=True),
        sa.Column("error_status", sa.Integer(), nullable=True),
        sa.Column("sample_ids", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_jobs_owner_created", "jobs", ["owner_id", "created_at"])
    op.create_index("ix_jobs_status_created", "jobs", ["status", "created_at"])
    with op.batch_alter_table("samples") as batch:
        batch.add_column(sa.Column("contributions", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    """Drop the jobs table and the samples' contributions column."""
    with op.batch_alter_table("samples") as batch:
        batch.drop_column("contributions")
    op.drop_index("ix_jobs_status_created", table_name="jobs")
    op.drop_index("ix_jobs_owner_created", table_name="jobs")
    op.drop_table("jobs")

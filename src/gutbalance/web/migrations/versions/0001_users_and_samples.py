"""Users and their samples.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the users and samples tables."""
    op.create_table(
        "users",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "samples",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("owner_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(128), nullable=True),
        sa.Column("collected", sa.Date(), nullable=True),
        sa.Column("source_file", sa.String(255), nullable=False),
        sa.Column("source_format", sa.String(64), nullable=False),
        sa.Column("database", sa.String(255), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("profile", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_samples_owner_created", "samples", ["owner_id", "created_at"])
    op.create_index("ix_samples_owner_subject", "samples", ["owner_id", "subject"])


def downgrade() -> None:
    """Drop the users and samples tables."""
    op.drop_index("ix_samples_owner_subject", table_name="samples")
    op.drop_index("ix_samples_owner_created", table_name="samples")
    op.drop_table("samples")
    op.drop_table("users")

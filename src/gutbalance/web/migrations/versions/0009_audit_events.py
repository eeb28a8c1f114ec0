"""The audit log: who uploaded, viewed, downloaded, corrected and deleted which sample, and when.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``audit_events`` (empty: nothing done before it was kept is invented)."""
    op.create_table(
        "audit_events",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("owner_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("sample_id", sa.String(32), nullable=True),
        sa.Column("sample_name", sa.String(255), nullable=False),
        sa.Column("detail", sa.String(255), nullable=False),
    )
    op.create_index("ix_audit_events_owner_at", "audit_events", ["owner_id", "at", "id"])


def downgrade() -> None:
    """Drop the audit log."""
    op.drop_index("ix_audit_events_owner_at", table_name="audit_events")
    op.drop_table("audit_events")

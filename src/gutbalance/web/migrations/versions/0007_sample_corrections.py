"""A sample's subject and collection date may be corrected after upload: when, and what it was uploaded with.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Give samples the time of their last correction (NULL: never corrected) and the subject and
    date they were uploaded with, kept at the first correction."""
    with op.batch_alter_table("samples") as batch:
        batch.add_column(sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("uploaded_subject", sa.String(128), nullable=True))
        batch.add_column(sa.Column("uploaded_collected", sa.Date(), nullable=True))


def downgrade() -> None:
    """Drop the three columns (a corrected sample keeps its corrected subject and date)."""
    with op.batch_alter_table("samples") as batch:
        batch.drop_column("uploaded_collected")
        batch.drop_column("uploaded_subject")
        batch.drop_column("corrected_at")

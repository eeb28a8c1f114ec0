"""The age a sample's person had, as the upload gave it, kept with the sample and its job.

A child's gut microbiome is still developing toward an adult's, and the
shipped healthy reference people are of recorded ages (the MetaPhlAn one
6-84): the report says so when a sample's age lies outside them, as
``gutbalance report --age-column`` does.  Samples stored before have no age
(NULL), which the pages treat as not given.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Give samples and jobs a column for the age in years (NULL: not given)."""
    for table in ("samples", "jobs"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("age_years", sa.Float(), nullable=True))


def downgrade() -> None:
    """Drop the age columns."""
    for table in ("samples", "jobs"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("age_years")

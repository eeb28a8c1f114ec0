"""The rank an upload declared for its bare taxon names, kept with each sample.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: The formats whose readers take a rank for bare taxon names (``Format.takes_feature_rank``
#: as of this revision: a migration keeps the list it was written with).
TAKES_FEATURE_RANK = ("biom", "qza", "table")


def upgrade() -> None:
    """Give samples a column for the declared rank (NULL: none declared), filled for the samples
    of finished jobs that declared one, when the sample's format reads it (a MetaPhlAn profile of
    the same zip named its ranks itself)."""
    with op.batch_alter_table("samples") as batch:
        batch.add_column(sa.Column("feature_rank", sa.String(16), nullable=True))
    bind = op.get_bind()
    jobs = sa.table("jobs", sa.column("feature_rank", sa.String), sa.column("sample_ids", sa.JSON),
                    sa.column("status", sa.String))
    samples = sa.table("samples", sa.column("id", sa.String), sa.column("feature_rank", sa.String),
                       sa.column("source_format", sa.String))
    declared = bind.execute(sa.select(jobs.c.feature_rank, jobs.c.sample_ids)
                            .where(jobs.c.feature_rank.is_not(None), jobs.c.status == "done")).all()
    for rank, ids in declared:
        if ids:
            bind.execute(samples.update()
                         .where(samples.c.id.in_([str(i) for i in ids]), samples.c.source_format.in_(TAKES_FEATURE_RANK))
                         .values(feature_rank=rank))


def downgrade() -> None:
    """Drop the samples' feature_rank column (the jobs keep theirs)."""
    with op.batch_alter_table("samples") as batch:
        batch.drop_column("feature_rank")

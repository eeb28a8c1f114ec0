"""Samples scored before the scores row had ``kb_reach`` get it missing, with the reason.

A sample's scores row is the JSON of the scores table it was scored with
(new score columns need no schema change).  ``kb_reach``, the share of the
sample the immune-support scores rest on, is computed in the same pass as
the pillars; a row stored before it existed gets it missing (``null``) with
its reason under ``missing``, so that every page, download and API answer
says why it is not there.  It is not computed here from the stored profile:
the knowledge base of today may not be the one the stored pillars were
scored with, and a reach of today beside pillars of another day would say
what they rest on wrongly; uploading the file again scores both anew.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: The column, the reason, and how the ``missing`` text joins its entries,
#: as of this revision (a migration keeps what it was written with).
COLUMN = "kb_reach"
REASON = ("the sample was scored before gutbalance recorded how much of it the knowledge base reaches; "
          "upload its file again to see it")
SEPARATOR = " | "
#: Rows read and written at a time.
PAGE = 500

SAMPLES = sa.table("samples", sa.column("id", sa.String), sa.column("scores", sa.JSON))


def _pages():
    """The samples' (id, scores) in pages of :data:`PAGE`, by id."""
    bind = op.get_bind()
    last = ""
    while True:
        rows = bind.execute(sa.select(SAMPLES.c.id, SAMPLES.c.scores).where(SAMPLES.c.id > last)
                            .order_by(SAMPLES.c.id).limit(PAGE)).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def with_missing_reach(scores: dict) -> dict:
    """``scores`` with ``kb_reach`` missing (after ``coverage``, where the
    scores table puts it) and its reason added to ``missing``."""
    out: dict = {}
    for key, value in scores.items():
        out[key] = value
        if key == "coverage":
            out[COLUMN] = None
    out.setdefault(COLUMN, None)
    entry = f"{COLUMN}: {REASON}"
    missing = str(scores.get("missing") or "")
    out["missing"] = f"{missing}{SEPARATOR}{entry}" if missing else entry
    return out


def without_missing_reach(scores: dict) -> dict:
    """:func:`with_missing_reach` undone: the column and its reason gone
    (a row scored with a reach keeps it)."""
    entry = f"{COLUMN}: {REASON}"
    missing = str(scores.get("missing") or "").split(SEPARATOR)
    if scores.get(COLUMN) is not None or entry not in missing:
        return scores
    out = {k: v for k, v in scores.items() if k != COLUMN}
    out["missing"] = SEPARATOR.join(m for m in missing if m != entry)
    return out


def upgrade() -> None:
    """Give every stored scores row without ``kb_reach`` the column, missing with the reason."""
    bind = op.get_bind()
    for rows in _pages():
        for sample_id, scores in rows:
            if isinstance(scores, dict) and scores and COLUMN not in scores:
                bind.execute(SAMPLES.update().where(SAMPLES.c.id == sample_id).values(scores=with_missing_reach(scores)))


def downgrade() -> None:
    """Take the missing ``kb_reach`` and its reason out of the rows this revision gave them."""
    bind = op.get_bind()
    for rows in _pages():
        for sample_id, scores in rows:
            if isinstance(scores, dict) and COLUMN in scores:
                undone = without_missing_reach(scores)
                if undone is not scores:
                    bind.execute(SAMPLES.update().where(SAMPLES.c.id == sample_id).values(scores=undone))
